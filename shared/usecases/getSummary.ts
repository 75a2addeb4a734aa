import { formatUsd, usdToAtto } from '../domain/money.js';
import { daysOfMonth, isValidDay, isValidMonth, nextDay, startOfDay } from '../domain/time.js';
import { breakdownToJson, emptyTotals, limitTokens, mergeTotals, totalsToJson, type UsageTotals, type UsageTotalsJson } from '../domain/usageTotals.js';
import type { LimitUsage } from '../render/summaryBlock.js';
import { TOTAL_DIMENSION, windowOf } from '../storage/keys.js';
import type { TokenMonitoringConfig } from '../config/config.js';
import { countedEvents, defaultStartWindow, type AggregationDeps } from './aggregateUsage.js';
import { AppError } from './errors.js';
import { inParallel } from '../util/inParallel.js';
import type { SummaryRow } from './ports.js';
import { rollUp } from './rollup.js';

export interface SummaryQuery {
  period: 'day' | 'month';
  date: string;
  groupBy?: string;
}

export interface SummaryGroup {
  key: string | null;
  totals: UsageTotalsJson;
}

export interface Summary {
  period: 'day' | 'month';
  start: string;
  end: string;
  totals: UsageTotalsJson;
  /** Beyond the contract: cost by category and web searches, so clients can render the summary block exactly. */
  breakdown: ReturnType<typeof breakdownToJson> & { webSearchRequests: number };
  limits: LimitUsage[];
  groups?: SummaryGroup[];
  dataAsOf: string;
}

export interface SummaryResult {
  summary: Summary;
  /** The exact totals behind `summary.totals`, for the summary block. */
  totals: UsageTotals;
}

export interface SummaryDeps extends AggregationDeps {
  config: TokenMonitoringConfig;
}

/** `today` is the current day in the configured time zone: the default when `date` is omitted. */
export function parseSummaryQuery(params: Record<string, string | undefined>, today: string): SummaryQuery {
  const period = params.period ?? 'day';
  if (period !== 'day' && period !== 'month') throw new AppError('invalid_request', 'period must be day or month');
  const date = params.date ?? (period === 'day' ? today : today.slice(0, 7));
  if (period === 'day' ? !isValidDay(date) : !isValidMonth(date)) {
    throw new AppError('invalid_request', period === 'day' ? 'date must be a day, YYYY-MM-DD' : 'date must be a month, YYYY-MM');
  }
  const groupBy = params.groupBy;
  if (groupBy !== undefined && groupBy !== 'model' && !/^tag:.{1,64}$/.test(groupBy)) {
    throw new AppError('invalid_request', 'groupBy must be model or tag:<name>');
  }
  return { period, date, groupBy };
}

/** Percent with one decimal, rounded half up, computed in integers. */
function percent(used: bigint, limit: bigint): number {
  return Number((used * 2000n / limit + 1n) / 2n) / 10;
}

export function limitsFor(period: 'day' | 'month', totals: UsageTotals, config: TokenMonitoringConfig): LimitUsage[] {
  const limits: LimitUsage[] = [];
  const tokens = period === 'day' ? config.daily_limit : config.monthly_limit;
  const usd = period === 'day' ? config.daily_cost_limit_usd : config.monthly_cost_limit_usd;
  if (tokens !== undefined) {
    const used = limitTokens(totals);
    limits.push({ name: period === 'day' ? 'daily_limit' : 'monthly_limit', unit: 'tokens', limit: tokens, used, usedPct: percent(BigInt(used), BigInt(tokens)) });
  }
  if (usd !== undefined) {
    const limitAtto = usdToAtto(String(usd));
    limits.push({
      name: period === 'day' ? 'daily_cost_limit_usd' : 'monthly_cost_limit_usd',
      unit: 'usd',
      limit: usd,
      used: formatUsd(totals.costUsd),
      usedPct: percent(totals.costUsd, limitAtto),
    });
  }
  return limits;
}

/**
 * Totals for a day or month: the stored rollups plus, for journal windows the aggregator has not
 * applied yet, the events counted live — each window added to a row only if that row does not
 * hold it yet, so the answer is exact whether or not the aggregator ran a moment before.
 */
export async function getSummary(query: SummaryQuery, deps: SummaryDeps): Promise<SummaryResult> {
  const days = query.period === 'day' ? [query.date] : daysOfMonth(query.date);
  const dimensionPrefix = query.groupBy === undefined ? undefined : query.groupBy === 'model' ? 'model#' : `${query.groupBy}#`;
  const now = deps.clock.now();
  // The watermark is read before the rows: every window at or below it is then in the rows read.
  const watermark = await deps.summaries.watermark();
  const stored = await deps.summaries.rowsForDays(days);

  const wanted = new Set(days);
  const rows = new Map<string, { totals: UsageTotals; lastWindow: number }>();
  for (const row of stored) rows.set(`${row.day}\u0000${row.dimension}`, { totals: row.totals, lastWindow: row.lastWindow });

  const first = (watermark ?? defaultStartWindow(now)) + 1;
  const windows = Array.from({ length: Math.max(0, windowOf(now) - first + 1) }, (_, index) => first + index);
  // A lagging aggregator leaves many windows open: read them a few at a time, not all at once.
  await inParallel(
    windows,
    8,
    async (window) => {
      const batches = await deps.events.batchesInWindow(window);
      if (batches.length === 0) return;
      const live: SummaryRow[] = rollUp(await countedEvents(deps.events, batches), deps.engine, deps.settings);
      for (const row of live) {
        if (!wanted.has(row.day)) continue;
        const key = `${row.day}\u0000${row.dimension}`;
        const existing = rows.get(key);
        if (!existing) rows.set(key, { totals: row.totals, lastWindow: Number.NEGATIVE_INFINITY });
        else if (window > existing.lastWindow) mergeTotals(existing.totals, row.totals);
      }
    },
  );

  const totals = emptyTotals();
  const groups = new Map<string, UsageTotals>();
  for (const [key, row] of rows) {
    const dimension = key.slice(key.indexOf('\u0000') + 1);
    if (dimension === TOTAL_DIMENSION) mergeTotals(totals, row.totals);
    else if (dimensionPrefix !== undefined && dimension.startsWith(dimensionPrefix)) {
      const value = dimension.slice(dimensionPrefix.length);
      const group = groups.get(value) ?? emptyTotals();
      groups.set(value, mergeTotals(group, row.totals));
    }
  }

  const lastDay = days[days.length - 1]!;
  const summary: Summary = {
    period: query.period,
    start: new Date(startOfDay(days[0]!, deps.settings.timezone)).toISOString(),
    end: new Date(startOfDay(nextDay(lastDay), deps.settings.timezone)).toISOString(),
    totals: totalsToJson(totals),
    breakdown: { ...breakdownToJson(totals.breakdown), webSearchRequests: totals.webSearchRequests },
    limits: limitsFor(query.period, totals, deps.config),
    dataAsOf: new Date(now).toISOString(),
  };
  if (dimensionPrefix !== undefined) {
    summary.groups = [...groups.entries()]
      .sort(([, a], [, b]) => (b.costUsd > a.costUsd ? 1 : b.costUsd < a.costUsd ? -1 : b.requests - a.requests))
      .map(([value, group]) => ({ key: value === '' && query.groupBy !== 'model' ? null : value, totals: totalsToJson(group) }));
  }
  return { summary, totals };
}
