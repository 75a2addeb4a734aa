import { formatUsdRounded, usdToAtto, type Atto } from '../domain/money.js';
import type { UsageTotals } from '../domain/usageTotals.js';

/** How much of one limit is used (CONTRACT §3.2 `limits`). */
export interface LimitUsage {
  name: string;
  unit: 'tokens' | 'usd';
  limit: number;
  used: number | string;
  usedPct: number;
}

export interface SummaryBlockOptions {
  limits?: readonly LimitUsage[];
  /** `track_cache_savings` from the config; the savings line is shown unless it is false. */
  trackCacheSavings?: boolean;
  /** The Balance line, when prepaid credits are configured and Anthropic was polled. */
  balance?: BalanceLine;
}

export interface BalanceLine {
  remainingUsd: string;
  daysUntilDepleted: number | null;
  burnPerDayUsd: string | null;
  dataAsOf: string | null;
}

const LABEL_WIDTH = 17;
const tokenCount = new Intl.NumberFormat('en-US');

function dollars(atto: Atto): string {
  const text = formatUsdRounded(atto, 3);
  return text.startsWith('-') ? `-$${text.slice(1)}` : `$${text}`;
}

function line(label: string, value: string): string {
  return `${`${label}: `.padEnd(LABEL_WIDTH)}${value}`;
}

/** "daily_limit" → "Daily Limit", "daily_cost_limit_usd" → "Daily Cost Limit", a budget keeps its name. */
export function limitLabel(name: string): string {
  if (!/_limit(_usd)?$/.test(name)) return `Budget ${name}`;
  return name
    .replace(/_usd$/, '')
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

/** The summary block of CONTRACT §5; cache, web-search, unpriced and limit lines appear only when they apply. */
export function renderSummaryBlock(totals: UsageTotals, options: SummaryBlockOptions = {}): string {
  const { breakdown } = totals;
  const lines = [
    'Token Usage Summary',
    '==================',
    line('Input Tokens', `${tokenCount.format(totals.inputTokens)} (${dollars(breakdown.inputUsd)})`),
    line('Output Tokens', `${tokenCount.format(totals.outputTokens)} (${dollars(breakdown.outputUsd)})`),
  ];
  if (totals.cacheCreationInputTokens > 0) {
    const writes = breakdown.cacheWrite5mUsd + breakdown.cacheWrite1hUsd;
    lines.push(line('Cache Writes', `${tokenCount.format(totals.cacheCreationInputTokens)} (${dollars(writes)})`));
  }
  if (totals.cacheReadInputTokens > 0) {
    lines.push(line('Cache Reads', `${tokenCount.format(totals.cacheReadInputTokens)} (${dollars(breakdown.cacheReadUsd)})`));
  }
  if (totals.webSearchRequests > 0) {
    lines.push(line('Web Searches', `${tokenCount.format(totals.webSearchRequests)} (${dollars(breakdown.webSearchUsd)})`));
  }
  if (options.trackCacheSavings !== false) lines.push(line('Cache Savings', dollars(totals.cacheSavingsUsd)));
  lines.push(line('Total Cost', dollars(totals.costUsd)));
  if (totals.unpricedRequests > 0) {
    const noun = totals.unpricedRequests === 1 ? 'request' : 'requests';
    lines.push(line('Unpriced', `${tokenCount.format(totals.unpricedRequests)} ${noun} (no known price; left out of Total Cost)`));
  }
  for (const limit of options.limits ?? []) lines.push(line(limitLabel(limit.name), `${limit.usedPct.toFixed(1)}% used`));
  if (options.balance) {
    const { remainingUsd, daysUntilDepleted, burnPerDayUsd, dataAsOf } = options.balance;
    const runway = daysUntilDepleted === null || burnPerDayUsd === null ? '' : `, ~${daysUntilDepleted} days at ${dollars(usdToAtto(burnPerDayUsd))}/day`;
    const fresh = dataAsOf ? ` (as of ${dataAsOf.slice(0, 16).replace('T', ' ')} UTC)` : '';
    lines.push(line('Balance', `${dollars(usdToAtto(remainingUsd))} left${runway}${fresh}`));
  }
  return lines.join('\n');
}
