import { randomUUID } from 'node:crypto';
import { centsToAtto, floorHour, HOUR_MS, usageTokens, type AnthropicCostRow, type AnthropicUsageRow } from '../domain/anthropicReport.js';
import { percentOf } from '../domain/budgets.js';
import { formatUsd, type Atto } from '../domain/money.js';
import { dayOf, isValidDay, nextDay, previousDay, startOfDay } from '../domain/time.js';
import { emptyTotals, limitTokens, type UsageTotals } from '../domain/usageTotals.js';
import { smsText } from '../render/notificationText.js';
import { AppError } from './errors.js';
import { readDayRows, type SummaryDeps } from './getSummary.js';
import { notifyOnce, type NotifyDeps } from './notify.js';
import type { AlertNotification, AnthropicReportSource, AnthropicReportStore } from './ports.js';

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
export async function pollAnthropic(deps: PollDeps, options: PollOptions = {}): Promise<PollResult> {
  const source = deps.anthropic ? await deps.anthropic() : undefined;
  if (!source) throw new AppError('not_configured', 'the Admin-API poller needs an admin key: set ANTHROPIC_ADMIN_KEY locally, or the admin-key secret on AWS');
  const now = deps.clock.now();
  const backfill = options.from !== undefined;
  const from = backfill ? floorHour(parseInstant(options.from!, 'from')) : floorHour(now - deps.config.admin_api.lookback_hours * HOUR_MS);
  const to = backfill ? Math.min(floorHour(parseInstant(options.to ?? new Date(from + MAX_WINDOW_DAYS * 86_400_000).toISOString(), 'to')), floorHour(now) + HOUR_MS) : floorHour(now) + HOUR_MS;
  if (to <= from) throw new AppError('invalid_request', 'to must be after from');
  if (to - from > MAX_WINDOW_DAYS * 86_400_000) throw new AppError('invalid_request', `a poll window spans at most ${MAX_WINDOW_DAYS} days`);
  const range = { from: new Date(from).toISOString(), to: new Date(to).toISOString() };
  const result: PollResult = { polled: false, ...range, usageRows: 0, costRows: 0, written: 0, deleted: 0, dataRefreshedAt: null, spendLimits: null, alerts: [] };
  if (backfill && options.resume && (await deps.anthropicStore.backfilled(range.from, range.to))) return { ...result, reason: 'already backfilled' };

  const owner = randomUUID();
  if (!(await deps.anthropicStore.acquireLock(owner, now, POLL_LOCK_MS))) return { ...result, reason: 'another poll is running' };
  try {
    const report = await source.fetch(range.from, range.to).catch(upstreamError);
    const replaced = await deps.anthropicStore.replaceHours(from, to, report);
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

export interface ReconciliationFigures {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  cacheCreationInputTokens: number;
  cacheReadInputTokens: number;
  costUsd: string;
}

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
  /** console_or_workbench (no api key), default_workspace, priority_tier_not_in_cost, cost_not_tracked (code execution, sessions). */
  kind: 'console_or_workbench' | 'default_workspace' | 'priority_tier_not_in_cost' | 'cost_not_tracked';
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

interface AnthropicDayModel {
  requests: number;
  uncached: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
  webSearch: number;
  cost: Atto;
  list: Atto;
  /** List cost per category, for pricing the tracked tokens at Anthropic's own rates. */
  listByCategory: Record<Category, Atto>;
}

type Category = 'input' | 'output' | 'cacheWrite' | 'cacheRead' | 'webSearch' | 'other';

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

function emptyAnthropic(): AnthropicDayModel {
  return { requests: 0, uncached: 0, output: 0, cacheWrite: 0, cacheRead: 0, webSearch: 0, cost: 0n, list: 0n, listByCategory: { input: 0n, output: 0n, cacheWrite: 0n, cacheRead: 0n, webSearch: 0n, other: 0n } };
}

/** Signed percent with one decimal, rounded half away from zero. */
function signedPercent(numerator: bigint, denominator: bigint): number {
  const scaled = (numerator * 2000n) / denominator;
  return Number((scaled + (scaled >= 0n ? 1n : -1n)) / 2n) / 10;
}

/** What the tracked tokens cost at Anthropic's own list rates of that day and model. */
function expectedListCost(tracked: UsageTotals, anthropic: AnthropicDayModel): Atto | undefined {
  const pairs: [number, number, Atto][] = [
    [tracked.inputTokens, anthropic.uncached, anthropic.listByCategory.input],
    [tracked.outputTokens, anthropic.output, anthropic.listByCategory.output],
    [tracked.cacheCreationInputTokens, anthropic.cacheWrite, anthropic.listByCategory.cacheWrite],
    [tracked.cacheReadInputTokens, anthropic.cacheRead, anthropic.listByCategory.cacheRead],
    [tracked.webSearchRequests, anthropic.webSearch, anthropic.listByCategory.webSearch],
  ];
  let expected = 0n;
  for (const [ours, theirs, list] of pairs) {
    if (ours === 0) continue;
    if (theirs === 0) return undefined;
    expected += (BigInt(ours) * list) / BigInt(theirs);
  }
  return expected;
}

function figures(totals: UsageTotals): ReconciliationFigures {
  return { requests: totals.requests, inputTokens: totals.inputTokens, outputTokens: totals.outputTokens, cacheCreationInputTokens: totals.cacheCreationInputTokens, cacheReadInputTokens: totals.cacheReadInputTokens, costUsd: formatUsd(totals.costUsd) };
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
 * `claude-sonnet-4-5` and `claude-sonnet-4-5-20250929` meet). See CONTRACT §3.4.
 */
export async function getReconciliation(range: { from: string; to: string }, deps: ReconciliationDeps): Promise<Reconciliation> {
  const days: string[] = [];
  for (let day = range.from; day <= range.to; day = nextDay(day)) days.push(day);
  const timeZone = deps.settings.timezone;
  const canonical = (model: string | null) => (model === null ? '(unknown)' : (deps.engine.catalog.findModel(model)?.model ?? model));

  const trackedRows = await readDayRows(days, deps);
  const tracked = new Map<string, UsageTotals>();
  for (const [day, dimensions] of trackedRows) {
    for (const [dimension, totals] of dimensions) {
      if (!dimension.startsWith('model#')) continue;
      const key = `${day}\u0000${canonical(dimension.slice('model#'.length))}`;
      const sum = tracked.get(key) ?? emptyTotals();
      tracked.set(key, mergeInto(sum, totals));
    }
  }

  const start = startOfDay(range.from, timeZone);
  const end = startOfDay(nextDay(range.to), timeZone);
  const stored = await deps.anthropicStore.rowsBetween(floorHour(start), end);
  const anthropic = new Map<string, AnthropicDayModel>();
  const unattributed = new Map<string, UnattributedLine>();
  const at = (row: { hour: string; model: string | null }) => {
    const day = dayOf(Date.parse(row.hour), timeZone);
    return days.includes(day) ? { day, key: `${day}\u0000${canonical(row.model)}` } : undefined;
  };
  const note = (day: string, model: string | null, kind: UnattributedLine['kind'], requests: number, tokens: number) => {
    const key = `${day}\u0000${model}\u0000${kind}`;
    const line = unattributed.get(key) ?? { date: day, model: model === null ? null : canonical(model), kind, requests: 0, tokens: 0 };
    line.requests += requests;
    line.tokens += tokens;
    unattributed.set(key, line);
  };
  for (const row of stored.usage) {
    const place = at(row);
    if (!place) continue;
    const entry = anthropic.get(place.key) ?? emptyAnthropic();
    entry.requests += row.requests;
    entry.uncached += row.uncachedInputTokens;
    entry.output += row.outputTokens;
    entry.cacheWrite += row.cacheWrite5mTokens + row.cacheWrite1hTokens;
    entry.cacheRead += row.cacheReadInputTokens;
    entry.webSearch += row.webSearchRequests;
    anthropic.set(place.key, entry);
    if (row.apiKeyId === null) note(place.day, row.model, 'console_or_workbench', row.requests, usageTokens(row));
    if (row.workspaceId === null) note(place.day, row.model, 'default_workspace', row.requests, usageTokens(row));
    if (row.serviceTier === 'priority' || row.serviceTier === 'priority_on_demand') note(place.day, row.model, 'priority_tier_not_in_cost', row.requests, usageTokens(row));
  }
  const notTrackedCost = new Map<string, Atto>();
  for (const row of stored.cost) {
    const place = at(row);
    if (!place) continue;
    const amount = centsToAtto(row.amountCents);
    const list = centsToAtto(row.listAmountCents);
    // Code execution and session costs have no token counterpart in tracked usage: a line of their own.
    if (categoryOf(row) === 'other') {
      notTrackedCost.set(`${place.day}\u0000${row.model}`, (notTrackedCost.get(`${place.day}\u0000${row.model}`) ?? 0n) + amount);
      continue;
    }
    const entry = anthropic.get(place.key) ?? emptyAnthropic();
    entry.cost += amount;
    entry.list += list;
    entry.listByCategory[categoryOf(row)] += list;
    anthropic.set(place.key, entry);
  }
  for (const [key, cost] of notTrackedCost) {
    const [day, model] = key.split('\u0000') as [string, string];
    unattributed.set(`${key}\u0000cost`, { date: day, model: model === 'null' ? null : canonical(model), kind: 'cost_not_tracked', requests: 0, tokens: 0, costUsd: formatUsd(cost) });
  }

  const rows: ReconciliationRow[] = [];
  let trackedCost = 0n;
  let theirCost = 0n;
  let theirList = 0n;
  let trackedTokens = 0n;
  let theirTokens = 0n;
  let expectedTotal = 0n;
  let trackedPriced = 0n;
  for (const key of [...new Set([...tracked.keys(), ...anthropic.keys()])].sort()) {
    const [date, model] = key.split('\u0000') as [string, string];
    const ours = tracked.get(key) ?? emptyTotals();
    const theirs = anthropic.get(key);
    const ourTokens = BigInt(limitTokens(ours));
    const their = theirs ? BigInt(theirs.uncached + theirs.output + theirs.cacheWrite + theirs.cacheRead) : 0n;
    const expected = theirs ? expectedListCost(ours, theirs) : undefined;
    trackedCost += ours.costUsd;
    trackedTokens += ourTokens;
    if (theirs) {
      theirCost += theirs.cost;
      theirList += theirs.list;
      theirTokens += their;
      if (expected !== undefined && expected > 0n) {
        expectedTotal += expected;
        trackedPriced += ours.costUsd;
      }
    }
    rows.push({
      date,
      model,
      tracked: figures(ours),
      anthropic: theirs
        ? { requests: theirs.requests, inputTokens: theirs.uncached, outputTokens: theirs.output, cacheCreationInputTokens: theirs.cacheWrite, cacheReadInputTokens: theirs.cacheRead, costUsd: formatUsd(theirs.cost), listCostUsd: formatUsd(theirs.list), webSearchRequests: theirs.webSearch }
        : null,
      coveragePct: theirs && their > 0n ? percentOf(ourTokens, their) : null,
      costDriftPct: expected !== undefined && expected > 0n ? signedPercent(ours.costUsd - expected, expected) : null,
    });
  }
  const poll = await deps.anthropicStore.lastPoll();
  return {
    ...range,
    rows,
    totals: {
      trackedCostUsd: formatUsd(trackedCost),
      anthropicCostUsd: formatUsd(theirCost),
      anthropicListCostUsd: formatUsd(theirList),
      coveragePct: theirTokens > 0n ? percentOf(trackedTokens, theirTokens) : null,
      costDriftPct: expectedTotal > 0n ? signedPercent(trackedPriced - expectedTotal, expectedTotal) : null,
    },
    unattributed: [...unattributed.values()].sort((a, b) => (a.date + a.kind + a.model < b.date + b.kind + b.model ? -1 : 1)),
    dataAsOf: poll ? (poll.dataRefreshedAt ?? poll.polledAt) : null,
    polledAt: poll?.polledAt ?? null,
  };
}

function mergeInto(target: UsageTotals, source: UsageTotals): UsageTotals {
  target.requests += source.requests;
  target.inputTokens += source.inputTokens;
  target.outputTokens += source.outputTokens;
  target.cacheCreationInputTokens += source.cacheCreationInputTokens;
  target.cacheReadInputTokens += source.cacheReadInputTokens;
  target.webSearchRequests += source.webSearchRequests;
  target.unpricedRequests += source.unpricedRequests;
  target.costUsd += source.costUsd;
  target.cacheSavingsUsd += source.cacheSavingsUsd;
  return target;
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
