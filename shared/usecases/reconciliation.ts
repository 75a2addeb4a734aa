import { randomUUID } from 'node:crypto';
import { API_PRODUCTS, centsToAtto, floorHour, HOUR_MS, usageTokens, type AnthropicCostRow } from '../domain/anthropicReport.js';
import { percentOf } from '../domain/budgets.js';
import { formatUsd, usdToAtto, type Atto } from '../domain/money.js';
import { dayOf, isValidDay, nextDay, previousDay, startOfDay } from '../domain/time.js';
import { emptyTotals, limitTokens, mergeTotals, totalsToJson, type UsageTotals, type UsageTotalsJson } from '../domain/usageTotals.js';
import { smsText } from '../render/notificationText.js';
import { AppError } from './errors.js';
import { readDayRows, type SummaryDeps } from './getSummary.js';
import { notifyOnce, type NotifyDeps } from './notify.js';
import type { AlertNotification, AnthropicReportSource, AnthropicReportStore, PollDispatcher } from './ports.js';

export interface ReconciliationDeps extends SummaryDeps {
  anthropicStore: AnthropicReportStore;
}

export interface PollDeps extends ReconciliationDeps, NotifyDeps {
  /** Undefined when no admin key is configured. */
  anthropic: (() => Promise<AnthropicReportSource | undefined>) | undefined;
}

/** A poll holds the lock at most this long; a crashed poll's lock is taken over after it. */
export const POLL_LOCK_MS = 5 * 60_000;
/** The analytics API accepts at most 31 days per request. */
export const MAX_WINDOW_DAYS = 31;

export interface PollResult {
  polled: boolean;
  reason?: string;
  from: string;
  to: string;
  usageRows: number;
  costRows: number;
  written: number;
  deleted: number;
  dataRefreshedAt: string | null;
  spendLimits: number | null;
  alerts: string[];
}

export interface PollOptions {
  /** A backfill window: RFC 3339 or YYYY-MM-DD (UTC midnight). Without it, the lookback window up to now. */
  from?: string;
  to?: string;
  /** Skip a backfill window already done. */
  resume?: boolean;
}

function parseInstant(text: string, name: string): number {
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) throw new AppError('invalid_request', `${name} must be a day (YYYY-MM-DD) or an RFC 3339 time`);
  return ms;
}

function upstreamError(error: unknown): never {
  const status = (error as { status?: number }).status;
  const type = (error as { error?: { error?: { type?: string } } }).error?.error?.type;
  if (status === 401 || status === 403) throw new AppError('upstream_failed', `Anthropic's Admin API refused the admin key (${status}${type ? ` ${type}` : ''}); check ANTHROPIC_ADMIN_KEY or the admin-key secret`);
  if (typeof status === 'number') throw new AppError('upstream_failed', `Anthropic's Admin API answered ${status}${type ? ` (${type})` : ''} after retries; the next poll tries again`);
  throw new AppError('upstream_failed', `cannot reach Anthropic's Admin API (${(error as Error).name}); the next poll tries again`);
}

/**
 * The `poll` job: reads Anthropic's usage and cost in 1-hour buckets for the lookback window (at
 * least `admin_api.lookback_hours`, up to the current hour) or a backfill window, and replaces what
 * was stored for those hours, so repeated polls and late data never count twice. One poll at a
 * time (a lease item); then checks yesterday's drift and coverage (an alert once per day).
 */
/** The hours a poll covers: the lookback window up to the current hour, or a backfill window (at most 31 days, never past the current hour). */
function pollWindow(deps: ReconciliationDeps, options: PollOptions, now: number): { from: number; to: number } {
  const backfill = options.from !== undefined;
  const from = backfill ? floorHour(parseInstant(options.from!, 'from')) : floorHour(now - deps.config.admin_api.lookback_hours * HOUR_MS);
  const to = backfill ? Math.min(floorHour(parseInstant(options.to ?? new Date(from + MAX_WINDOW_DAYS * 86_400_000).toISOString(), 'to')), floorHour(now) + HOUR_MS) : floorHour(now) + HOUR_MS;
  if (to <= from) throw new AppError('invalid_request', 'to must be after from');
  if (to - from > MAX_WINDOW_DAYS * 86_400_000) throw new AppError('invalid_request', `a poll window spans at most ${MAX_WINDOW_DAYS} days`);
  return { from, to };
}

/**
 * A poll asked for through the API (`POST /v1/jobs/poll`). Where a dispatcher exists (AWS: the
 * API's 30-second limit is too short for 31 days of hourly rows, and the api function does not
 * carry the Anthropic SDK) it is handed to the poller function and the answer says `queued`;
 * asking again for a backfill window reports `already backfilled` once it is done. Locally it runs now.
 */
export async function requestPoll(deps: PollDeps & { pollDispatcher?: PollDispatcher }, options: PollOptions = {}): Promise<PollResult & { queued?: boolean }> {
  if (!deps.pollDispatcher) return pollAnthropic(deps, options);
  const now = deps.clock.now();
  const { from, to } = pollWindow(deps, options, now);
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const result = { polled: false, ...range, usageRows: 0, costRows: 0, written: 0, deleted: 0, dataRefreshedAt: null, spendLimits: null, alerts: [] };
  const backfill = options.from !== undefined;
  if (backfill && (await deps.anthropicStore.backfilled(range.from, range.to))) return { ...result, reason: 'already backfilled' };
  if (await deps.anthropicStore.lockHeld(now)) return { ...result, queued: true, reason: 'a poll is running' };
  await deps.pollDispatcher.dispatch(backfill ? { ...range, resume: true } : undefined);
  return { ...result, queued: true, reason: 'queued: the poller function runs it (without an admin key in its secret it skips, see its log)' };
}

export async function pollAnthropic(deps: PollDeps, options: PollOptions = {}): Promise<PollResult> {
  const source = deps.anthropic ? await deps.anthropic() : undefined;
  if (!source) throw new AppError('not_configured', 'the Admin-API poller needs an admin key: set ANTHROPIC_ADMIN_KEY locally, or the admin-key secret on AWS');
  const now = deps.clock.now();
  const backfill = options.from !== undefined;
  const { from, to } = pollWindow(deps, options, now);
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const result: PollResult = { polled: false, ...range, usageRows: 0, costRows: 0, written: 0, deleted: 0, dataRefreshedAt: null, spendLimits: null, alerts: [] };
  if (backfill && options.resume && (await deps.anthropicStore.backfilled(range.from, range.to))) return { ...result, reason: 'already backfilled' };

  const owner = randomUUID();
  if (!(await deps.anthropicStore.acquireLock(owner, now, POLL_LOCK_MS))) return { ...result, reason: 'another poll is running' };
  try {
    // The current hour's bucket is asked for up to now, not into the future.
    const report = await source.fetch(range.from, new Date(Math.min(to, now)).toISOString()).catch(upstreamError);
    if (report.usage.length === 0 && report.cost.length === 0) {
      const stored = await deps.anthropicStore.rowsBetween(from, to);
      // Anthropic does not retract a whole window of usage: an empty answer over stored data is a glitch, not news.
      if (stored.usage.length + stored.cost.length > 0) return { ...result, reason: 'Anthropic returned no rows for hours that had data; the stored figures were kept' };
    }
    const replaced = await deps.anthropicStore.replaceHours(from, to, report);
    await deps.anthropicStore.putDayCosts(await dayCostsAround(from, to, deps));
    const spendLimits = backfill ? undefined : await source.spendLimits().catch(() => undefined);
    const previous = await deps.anthropicStore.lastPoll();
    const polledAt = new Date(now).toISOString();
    await deps.anthropicStore.recordPoll({
      polledAt,
      dataRefreshedAt: report.dataRefreshedAt ?? previous?.dataRefreshedAt ?? null,
      ...range,
      ...(spendLimits ? { spendLimits, spendLimitsAt: polledAt } : previous?.spendLimits ? { spendLimits: previous.spendLimits, spendLimitsAt: previous.spendLimitsAt } : {}),
    });
    if (backfill) await deps.anthropicStore.markBackfilled(range.from, range.to, polledAt);
    Object.assign(result, { polled: true, usageRows: report.usage.length, costRows: report.cost.length, ...replaced, dataRefreshedAt: report.dataRefreshedAt, spendLimits: spendLimits?.length ?? null });
  } finally {
    await deps.anthropicStore.releaseLock(owner);
  }
  if (!backfill) result.alerts = await checkReconciliation(previousDay(dayOf(now, deps.settings.timezone)), deps);
  return result;
}

/** The Anthropic-reported cost of every local day the hours [from, to) touch, from all stored hours of those days. */
async function dayCostsAround(from: number, to: number, deps: ReconciliationDeps): Promise<Map<string, bigint>> {
  const timeZone = deps.settings.timezone;
  const first = dayOf(from, timeZone);
  const last = dayOf(to - 1, timeZone);
  const stored = await deps.anthropicStore.rowsBetween(floorHour(startOfDay(first, timeZone)), startOfDay(nextDay(last), timeZone));
  const costs = new Map<string, bigint>();
  for (let day = first; day <= last; day = nextDay(day)) costs.set(day, 0n);
  for (const row of stored.cost) {
    const day = dayOf(Date.parse(row.hour), timeZone);
    if (costs.has(day)) costs.set(day, costs.get(day)! + centsToAtto(row.amountCents));
  }
  return costs;
}

/** CONTRACT §3.4: the summary totals' fields that Anthropic also reports. */
export type ReconciliationFigures = Pick<UsageTotalsJson, 'requests' | 'inputTokens' | 'outputTokens' | 'cacheCreationInputTokens' | 'cacheReadInputTokens' | 'costUsd'>;

export interface ReconciliationRow {
  date: string;
  model: string;
  tracked: ReconciliationFigures;
  anthropic: (ReconciliationFigures & { listCostUsd: string; webSearchRequests: number }) | null;
  coveragePct: number | null;
  costDriftPct: number | null;
}

export interface UnattributedLine {
  date: string;
  model: string | null;
  /**
   * console_or_workbench (no api key), default_workspace (no workspace), priority_tier_not_in_cost
   * (Priority Tier usage, absent from the cost API), cost_not_tracked (code execution, sessions),
   * other_product (claude.ai, Claude Code…: usage of the organization that is not the Messages API).
   */
  kind: 'console_or_workbench' | 'default_workspace' | 'priority_tier_not_in_cost' | 'cost_not_tracked' | 'other_product';
  product?: string;
  requests: number;
  tokens: number;
  costUsd?: string;
}

export interface Reconciliation {
  from: string;
  to: string;
  rows: ReconciliationRow[];
  totals: { trackedCostUsd: string; anthropicCostUsd: string; anthropicListCostUsd: string; coveragePct: number | null; costDriftPct: number | null };
  unattributed: UnattributedLine[];
  dataAsOf: string | null;
  polledAt: string | null;
}

type Category = 'input' | 'output' | 'cacheWrite' | 'cacheRead' | 'webSearch' | 'other';
const PRICED_CATEGORIES = ['input', 'output', 'cacheWrite', 'cacheRead', 'webSearch'] as const;
type PricedCategory = (typeof PRICED_CATEGORIES)[number];

/** Tokens (or web searches) and list cost per category: Anthropic's own rate is list ÷ quantity. */
type Rates = Record<PricedCategory, { quantity: bigint; list: Atto }>;

function emptyRates(): Rates {
  return { input: { quantity: 0n, list: 0n }, output: { quantity: 0n, list: 0n }, cacheWrite: { quantity: 0n, list: 0n }, cacheRead: { quantity: 0n, list: 0n }, webSearch: { quantity: 0n, list: 0n } };
}

interface AnthropicDayModel {
  requests: number;
  uncached: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  webSearch: number;
  cost: Atto;
  list: Atto;
  /** Per service tier (priority left out: its cost is not in the cost API). */
  rates: Map<string, Rates>;
}

function categoryOf(row: AnthropicCostRow): Category {
  if (row.costType === 'web_search') return 'webSearch';
  if (row.costType !== null && row.costType !== 'tokens') return 'other';
  switch (row.tokenType) {
    case 'uncached_input_tokens':
      return 'input';
    case 'output_tokens':
      return 'output';
    case 'cache_read_input_tokens':
      return 'cacheRead';
    case 'cache_creation.ephemeral_5m_input_tokens':
    case 'cache_creation.ephemeral_1h_input_tokens':
      return 'cacheWrite';
    default:
      return 'other';
  }
}

const isPriority = (tier: string | null) => tier === 'priority' || tier === 'priority_on_demand';
const tierOf = (tier: string | null | undefined) => tier ?? 'standard';

function emptyAnthropic(): AnthropicDayModel {
  return { requests: 0, uncached: 0, output: 0, cacheWrite: 0, cacheRead: 0, webSearch: 0, cost: 0n, list: 0n, rates: new Map() };
}

function ratesFor(entry: AnthropicDayModel, tier: string): Rates {
  let rates = entry.rates.get(tier);
  if (!rates) entry.rates.set(tier, (rates = emptyRates()));
  return rates;
}

/** Signed percent with one decimal, rounded half away from zero. */
function signedPercent(numerator: bigint, denominator: bigint): number {
  const scaled = (numerator * 2000n) / denominator;
  return Number((scaled + (scaled >= 0n ? 1n : -1n)) / 2n) / 10;
}

function trackedQuantities(totals: UsageTotals): Record<PricedCategory, bigint> {
  return { input: BigInt(totals.inputTokens), output: BigInt(totals.outputTokens), cacheWrite: BigInt(totals.cacheCreationInputTokens), cacheRead: BigInt(totals.cacheReadInputTokens), webSearch: BigInt(totals.webSearchRequests) };
}

/**
 * Drift "over the requests both saw": tracked usage of each service tier priced at Anthropic's own
 * list rates of that day, model and tier (list cost ÷ quantity per category; a tier without a rate
 * for a category uses the model's rate across tiers), compared with tracked cost. Priority Tier is
 * left out on both sides: the cost API does not report it.
 */
function driftBasis(trackedByTier: Map<string, UsageTotals>, anthropic: AnthropicDayModel): { tracked: Atto; expected: Atto } | undefined {
  const blended = emptyRates();
  for (const rates of anthropic.rates.values()) {
    for (const category of PRICED_CATEGORIES) {
      blended[category].quantity += rates[category].quantity;
      blended[category].list += rates[category].list;
    }
  }
  let tracked = 0n;
  let expected = 0n;
  for (const [tier, totals] of trackedByTier) {
    if (isPriority(tier)) continue;
    const rates = anthropic.rates.get(tier);
    const quantities = trackedQuantities(totals);
    for (const category of PRICED_CATEGORIES) {
      const ours = quantities[category];
      if (ours === 0n) continue;
      const rate = rates && rates[category].quantity > 0n ? rates[category] : blended[category];
      if (rate.quantity === 0n) return undefined;
      expected += (ours * rate.list) / rate.quantity;
    }
    tracked += totals.costUsd;
  }
  return expected > 0n ? { tracked, expected } : undefined;
}

function figures(totals: UsageTotals): ReconciliationFigures {
  const { requests, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, costUsd } = totalsToJson(totals);
  return { requests, inputTokens, outputTokens, cacheCreationInputTokens, cacheReadInputTokens, costUsd };
}

export function parseReconciliationQuery(params: Record<string, string | undefined>, today: string): { from: string; to: string } {
  const to = params.to ?? today;
  let from = params.from;
  if (from === undefined) {
    from = to;
    for (let index = 0; index < 6; index++) from = previousDay(from);
  }
  if (!isValidDay(from) || !isValidDay(to)) throw new AppError('invalid_request', 'from and to must be days, YYYY-MM-DD');
  if (from > to) throw new AppError('invalid_request', 'from must not be after to');
  if (Date.parse(to) - Date.parse(from) > 92 * 86_400_000) throw new AppError('invalid_request', 'a reconciliation spans at most 93 days');
  return { from, to };
}

/**
 * Tracked usage beside Anthropic's own figures, per day (in the configured zone; an hour bucket
 * counts for the day it starts in) and model (ids normalised through the price catalog, so
 * `claude-sonnet-4-5` and `claude-sonnet-4-5-20250929` meet). See CONTRACT §3.4. Anthropic's
 * figures are those of the Messages API products; other products of the organization, and costs
 * with no token counterpart, are listed in `unattributed`.
 */
export async function getReconciliation(range: { from: string; to: string }, deps: ReconciliationDeps): Promise<Reconciliation> {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = nextDay(day)) days.push(day);
  const timeZone = deps.settings.timezone;
  const canonical = (model: string | null) => (model === null ? '(unknown)' : (deps.engine.catalog.findModel(model)?.model ?? model));

  const tracked = new Map<string, UsageTotals>();
  const trackedTiers = new Map<string, Map<string, UsageTotals>>();
  for (const [day, dimensions] of await readDayRows(days, deps)) {
    for (const [dimension, totals] of dimensions) {
      if (dimension.startsWith('model#')) {
        const key = `${day}\u0000${canonical(dimension.slice('model#'.length))}`;
        tracked.set(key, mergeTotals(tracked.get(key) ?? emptyTotals(), totals));
      } else if (dimension.startsWith('tier#')) {
        const [, tier, model] = /^tier#([^#]*)#(.*)$/.exec(dimension) ?? [];
        const key = `${day}\u0000${canonical(model ?? '')}`;
        const tiers = trackedTiers.get(key) ?? new Map<string, UsageTotals>();
        tiers.set(tier!, mergeTotals(tiers.get(tier!) ?? emptyTotals(), totals));
        trackedTiers.set(key, tiers);
      }
    }
  }

  const start = startOfDay(range.from, timeZone);
  const end = startOfDay(nextDay(range.to), timeZone);
  const stored = await deps.anthropicStore.rowsBetween(floorHour(start), end);
  const anthropic = new Map<string, AnthropicDayModel>();
  const unattributed = new Map<string, UnattributedLine>();
  const place = (row: { hour: string; model: string | null }) => {
    const day = dayOf(Date.parse(row.hour), timeZone);
    return days.includes(day) ? { day, key: `${day}\u0000${canonical(row.model)}` } : undefined;
  };
  const note = (day: string, model: string | null, kind: UnattributedLine['kind'], requests: number, tokens: number, cost?: Atto, product?: string) => {
    const key = `${day}\u0000${model}\u0000${kind}\u0000${product ?? ''}`;
    const line: UnattributedLine = unattributed.get(key) ?? { date: day, model: model === null ? null : canonical(model), kind, ...(product ? { product } : {}), requests: 0, tokens: 0 };
    line.requests += requests;
    line.tokens += tokens;
    if (cost !== undefined) line.costUsd = formatUsd((line.costUsd === undefined ? 0n : usdToAtto(line.costUsd)) + cost);
    unattributed.set(key, line);
  };
  for (const row of stored.usage) {
    const at = place(row);
    if (!at) continue;
    if (!API_PRODUCTS.has(row.product)) {
      note(at.day, row.model, 'other_product', row.requests, usageTokens(row), undefined, row.product!);
      continue;
    }
    const entry = anthropic.get(at.key) ?? emptyAnthropic();
    entry.requests += row.requests;
    entry.uncached += row.uncachedInputTokens;
    entry.output += row.outputTokens;
    entry.cacheWrite += row.cacheWrite5mTokens + row.cacheWrite1hTokens;
    entry.cacheRead += row.cacheReadInputTokens;
    entry.webSearch += row.webSearchRequests;
    if (!isPriority(row.serviceTier)) {
      const rates = ratesFor(entry, tierOf(row.serviceTier));
      rates.input.quantity += BigInt(row.uncachedInputTokens);
      rates.output.quantity += BigInt(row.outputTokens);
      rates.cacheWrite.quantity += BigInt(row.cacheWrite5mTokens + row.cacheWrite1hTokens);
      rates.cacheRead.quantity += BigInt(row.cacheReadInputTokens);
      rates.webSearch.quantity += BigInt(row.webSearchRequests);
    }
    anthropic.set(at.key, entry);
    if (row.apiKeyId === null) note(at.day, row.model, 'console_or_workbench', row.requests, usageTokens(row));
    if (row.workspaceId === null) note(at.day, row.model, 'default_workspace', row.requests, usageTokens(row));
    if (isPriority(row.serviceTier)) note(at.day, row.model, 'priority_tier_not_in_cost', row.requests, usageTokens(row));
  }
  for (const row of stored.cost) {
    const at = place(row);
    if (!at) continue;
    const amount = centsToAtto(row.amountCents);
    const list = centsToAtto(row.listAmountCents);
    const category = categoryOf(row);
    if (!API_PRODUCTS.has(row.product)) {
      note(at.day, row.model, 'other_product', 0, 0, amount, row.product!);
      continue;
    }
    // Code execution and session costs have no token counterpart in tracked usage: a line of their own.
    if (category === 'other') {
      note(at.day, row.model, 'cost_not_tracked', 0, 0, amount);
      continue;
    }
    const entry = anthropic.get(at.key) ?? emptyAnthropic();
    entry.cost += amount;
    entry.list += list;
    ratesFor(entry, tierOf(row.serviceTier))[category].list += list;
    anthropic.set(at.key, entry);
  }

  const rows: ReconciliationRow[] = [];
  const sum = { trackedCost: 0n, theirCost: 0n, theirList: 0n, trackedTokens: 0n, theirTokens: 0n, driftTracked: 0n, driftExpected: 0n };
  for (const key of [...new Set([...tracked.keys(), ...anthropic.keys()])].sort()) {
    const [date, model] = key.split('\u0000') as [string, string];
    const ours = tracked.get(key) ?? emptyTotals();
    const theirs = anthropic.get(key);
    const ourTokens = BigInt(limitTokens(ours));
    const their = theirs ? BigInt(theirs.uncached + theirs.output + theirs.cacheWrite + theirs.cacheRead) : 0n;
    // Days rolled up before per-tier rows existed count as standard.
    const basis = theirs ? driftBasis(trackedTiers.get(key) ?? new Map([['standard', ours]]), theirs) : undefined;
    sum.trackedCost += ours.costUsd;
    sum.trackedTokens += ourTokens;
    if (theirs) {
      sum.theirCost += theirs.cost;
      sum.theirList += theirs.list;
      sum.theirTokens += their;
    }
    if (basis) {
      sum.driftTracked += basis.tracked;
      sum.driftExpected += basis.expected;
    }
    rows.push({
      date,
      model,
      tracked: figures(ours),
      anthropic: theirs
        ? { requests: theirs.requests, inputTokens: theirs.uncached, outputTokens: theirs.output, cacheCreationInputTokens: theirs.cacheWrite, cacheReadInputTokens: theirs.cacheRead, costUsd: formatUsd(theirs.cost), listCostUsd: formatUsd(theirs.list), webSearchRequests: theirs.webSearch }
        : null,
      coveragePct: theirs && their > 0n ? percentOf(ourTokens, their) : null,
      costDriftPct: basis ? signedPercent(basis.tracked - basis.expected, basis.expected) : null,
    });
  }
  const poll = await deps.anthropicStore.lastPoll();
  return {
    ...range,
    rows,
    totals: {
      trackedCostUsd: formatUsd(sum.trackedCost),
      anthropicCostUsd: formatUsd(sum.theirCost),
      anthropicListCostUsd: formatUsd(sum.theirList),
      coveragePct: sum.theirTokens > 0n ? percentOf(sum.trackedTokens, sum.theirTokens) : null,
      costDriftPct: sum.driftExpected > 0n ? signedPercent(sum.driftTracked - sum.driftExpected, sum.driftExpected) : null,
    },
    unattributed: [...unattributed.values()].sort((a, b) => (`${a.date}${a.kind}${a.model}${a.product ?? ''}` < `${b.date}${b.kind}${b.model}${b.product ?? ''}` ? -1 : 1)),
    dataAsOf: poll ? (poll.dataRefreshedAt ?? poll.polledAt) : null,
    polledAt: poll?.polledAt ?? null,
  };
}


/**
 * After a poll: yesterday's drift above `admin_api.drift_alert_pct` or coverage below
 * `admin_api.coverage_alert_pct` is notified once per day (a warning).
 */
export async function checkReconciliation(day: string, deps: PollDeps): Promise<string[]> {
  const reconciliation = await getReconciliation({ from: day, to: day }, deps);
  const { coveragePct, costDriftPct } = reconciliation.totals;
  const { drift_alert_pct: maxDrift, coverage_alert_pct: minCoverage } = deps.config.admin_api;
  const published: string[] = [];
  const alerts: [string, boolean, string, number, number][] = [
    ['drift', costDriftPct !== null && Math.abs(costDriftPct) > maxDrift, `tokmon: cost drift ${costDriftPct}% vs Anthropic on ${day}`, maxDrift, costDriftPct ?? 0],
    ['coverage', coveragePct !== null && coveragePct < minCoverage, `tokmon: tracked ${coveragePct}% of Anthropic's tokens on ${day}`, minCoverage, coveragePct ?? 0],
  ];
  for (const [name, fires, subject, threshold, value] of alerts) {
    if (!fires) continue;
    const detail =
      name === 'drift'
        ? `Tracked cost ${reconciliation.totals.trackedCostUsd} USD differs by ${value}% from Anthropic's list prices for the same tokens (alert above ${threshold}%). Check the price catalog and overrides.`
        : `tokmon tracked ${value}% of the tokens Anthropic reports for ${day} (alert below ${threshold}%): some calls are not wrapped with tokmon, or come from the Console/Workbench.`;
    const notification: AlertNotification = {
      type: 'alert',
      id: `alert:reconciliation_${name}:${day}:actual:${threshold}`,
      budget: `reconciliation_${name}`,
      period: day,
      kind: 'actual',
      threshold,
      limit: threshold,
      unit: 'percent',
      used: value,
      usedPct: value,
      severity: 'warning',
      subject,
      message: `${subject}\n\n${detail}\n\nGET /v1/reconciliation?from=${day}&to=${day} shows it per model.\n`,
      sms: smsText(subject),
      createdAt: new Date(deps.clock.now()).toISOString(),
    };
    if ((await notifyOnce(notification, deps)) === 'published') published.push(notification.id);
  }
  return published;
}
