import { centsToAtto } from '../domain/anthropicReport.js';
import { formatUsd, usdToAtto, type Atto } from '../domain/money.js';
import { dayOf, previousDay } from '../domain/time.js';
import { AppError } from './errors.js';
import type { ReconciliationDeps } from './reconciliation.js';
import type { RateLimitSnapshot } from './ports.js';

export const BURN_DAYS = 7;

export interface Balance {
  credits: { totalUsd: string; since: string; count: number } | null;
  /** Anthropic-reported cost (post-discount) since the first credit's day, from the poller's data. */
  anthropicCostSinceUsd: string | null;
  remainingUsd: string | null;
  /** Anthropic-reported cost per day over the last 7 whole days. */
  burnPerDayUsd: string | null;
  daysUntilDepleted: number | null;
  /** When Anthropic's figures were last refreshed (or polled). */
  dataAsOf: string | null;
  spendLimits: { period: string; scope: string; limitUsd: string | null; periodToDateSpendUsd: string; remainingUsd: string | null }[] | null;
  spendLimitsAsOf: string | null;
  /** The newest rate-limit headers clients reported per model (`seenAt` says how fresh). */
  rateLimits: RateLimitSnapshot[];
  notes: string[];
}

/**
 * "How much is left": prepaid credits from the config minus what Anthropic reports spent since,
 * days until depleted at the trailing 7-day burn, and spend limits where the organization has them.
 * Anthropic offers no balance endpoint, so credits must be entered (`balance.credits`) and the
 * poller must have covered the time since the first one (`tokmon backfill --since <day>`).
 */
export async function getBalance(deps: ReconciliationDeps): Promise<Balance> {
  const poll = await deps.anthropicStore.lastPoll();
  const credits = deps.config.balance?.credits;
  const notes: string[] = [];
  const now = deps.clock.now();
  const timeZone = deps.settings.timezone;
  const balance: Balance = {
    credits: null,
    anthropicCostSinceUsd: null,
    remainingUsd: null,
    burnPerDayUsd: null,
    daysUntilDepleted: null,
    dataAsOf: poll ? (poll.dataRefreshedAt ?? poll.polledAt) : null,
    spendLimits: poll?.spendLimits
      ? poll.spendLimits.map((limit) => {
          const cap = limit.amountCents === null ? null : centsToAtto(limit.amountCents);
          const spent = centsToAtto(limit.periodToDateSpendCents);
          return { period: limit.period, scope: limit.scope, limitUsd: cap === null ? null : formatUsd(cap), periodToDateSpendUsd: formatUsd(spent), remainingUsd: cap === null ? null : formatUsd(cap - spent) };
        })
      : null,
    spendLimitsAsOf: poll?.spendLimitsAt ?? null,
    rateLimits: deps.rateLimits ? await deps.rateLimits.latest() : [],
    notes,
  };
  if (!poll) notes.push('Anthropic has not been polled yet: set an admin key and run `tokmon run poll`.');
  if (!credits) {
    notes.push('No prepaid credits configured (balance.credits in tokmon.yaml).');
    return balance;
  }
  if (!poll) throw new AppError('not_configured', 'the balance needs Anthropic-reported cost: configure the admin key and run the poll job first');
  const since = credits.map((credit) => credit.date).sort()[0]!;
  const total = credits.reduce((sum, credit) => sum + usdToAtto(String(credit.amount_usd)), 0n);
  balance.credits = { totalUsd: formatUsd(total), since, count: credits.length };

  const today = dayOf(now, timeZone);
  const costs = await deps.anthropicStore.dayCosts(since, today);
  let burnFrom = today;
  for (let index = 0; index < BURN_DAYS; index++) burnFrom = previousDay(burnFrom);
  let spent: Atto = 0n;
  let burn: Atto = 0n;
  for (const [day, amount] of costs) {
    spent += amount;
    if (day >= burnFrom && day < today) burn += amount;
  }
  const remaining = total - spent;
  const perDay = burn / BigInt(BURN_DAYS);
  balance.anthropicCostSinceUsd = formatUsd(spent);
  balance.remainingUsd = formatUsd(remaining);
  balance.burnPerDayUsd = formatUsd(perDay);
  balance.daysUntilDepleted = perDay > 0n ? Math.max(0, Number((remaining * 10n) / perDay) / 10) : null;
  if (!costs.has(since)) notes.push(`No Anthropic cost is stored for ${since} (the first credit's day); run \`tokmon backfill --since ${since}\` so everything since then counts.`);
  return balance;
}
