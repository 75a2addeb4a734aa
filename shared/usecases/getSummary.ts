import { formatUsd } from '../domain/money.js';
import { budgetAmount, percentOf, type Budget } from '../domain/budgets.js';
import { daysOfMonth, isValidDay, isValidMonth, nextDay, startOfDay } from '../domain/time.js';
import { breakdownToJson, emptyTotals, mergeTotals, totalsToJson, type UsageTotals, type UsageTotalsJson } from '../domain/usageTotals.js';
import type { BalanceLine, LimitUsage } from '../render/summaryBlock.js';
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
  /** With `balance.credits` configured: what is left (see GET /v1/balance). */
  balance?: BalanceLine;
  dataAsOf: string;
}

export interface SummaryResult {
  summary: Summary;
  /** The exact totals behind `summary.totals`, for the summary block. */
  totals: UsageTotals;
}

export interface SummaryDeps extends Omit<AggregationDeps, 'settings'> {
  config: TokenMonitoringConfig;
  settings: { timezone: string; groupByTags: readonly string[]; budgets: readonly Budget[] };
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

/** How much of each limit and budget of the period is used (`limits` of CONTRACT §3.2). */
export function limitsFor(period: 'day' | 'month', byDimension: Map<string, UsageTotals>, budgets: readonly Budget[]): LimitUsage[] {
  return budgets
    .filter((budget) => budget.period === period)
    .map((budget) => {
      const amount = budgetAmount(budget, byDimension.get(budget.dimension) ?? emptyTotals());
      return {
        name: budget.name,
        unit: budget.unit,
        limit: budget.configuredLimit,
        used: budget.unit === 'tokens' ? Number(amount) : formatUsd(amount),
        usedPct: percentOf(amount, budget.limit),
      };
    });
}

/** Per day, per summary dimension: the totals of those days. */
export type DayRows = Map<string, Map<string, UsageTotals>>;

/**
 * The summary rows of some days: the stored rollups plus, for journal windows the aggregator has
 * not applied yet, the events counted live — each window added to a row only if that row does not
 * hold it yet, so the answer is exact whether or not the aggregator ran a moment before.
 */
export async function readDayRows(days: readonly string[], deps: AggregationDeps): Promise<DayRows> {
  const now = deps.clock.now();
  // The watermark is read before the rows: every window at or below it is then in the rows read.
  const watermark = await deps.summaries.watermark();
  const stored = await deps.summaries.rowsForDays([...days]);

  const rows: DayRows = new Map(days.map((day) => [day, new Map()]));
  const lastWindows = new Map<UsageTotals, number>();
  for (const row of stored) {
    rows.get(row.day)?.set(row.dimension, row.totals);
    lastWindows.set(row.totals, row.lastWindow);
  }

  const first = (watermark ?? defaultStartWindow(now)) + 1;
  const windows = Array.from({ length: Math.max(0, windowOf(now) - first + 1) }, (_, index) => first + index);
  // A lagging aggregator leaves many windows open: read them a few at a time, not all at once.
  await inParallel(windows, 8, async (window) => {
    const batches = await deps.events.batchesInWindow(window);
    if (batches.length === 0) return;
    const live: SummaryRow[] = rollUp(await countedEvents(deps.events, batches), deps.engine, deps.settings);
    for (const row of live) {
      const day = rows.get(row.day);
      if (!day) continue;
      const existing = day.get(row.dimension);
      if (!existing) day.set(row.dimension, row.totals);
      else if (window > (lastWindows.get(existing) ?? Number.NEGATIVE_INFINITY)) mergeTotals(existing, row.totals);
    }
  });
  return rows;
}

/** Sums day rows per dimension. */
export function totalsByDimension(rows: DayRows): Map<string, UsageTotals> {
  const sums = new Map<string, UsageTotals>();
  for (const day of rows.values()) {
    for (const [dimension, totals] of day) {
      const sum = sums.get(dimension) ?? emptyTotals();
      sums.set(dimension, mergeTotals(sum, totals));
    }
  }
  return sums;
}

/** Groups of one prefix (`model#`, `tag:<name>#`), most expensive first. */
export function groupsOf(byDimension: Map<string, UsageTotals>, groupBy: string): SummaryGroup[] {
  const prefix = groupBy === 'model' ? 'model#' : `${groupBy}#`;
  const groups: [string, UsageTotals][] = [];
  for (const [dimension, totals] of byDimension) if (dimension.startsWith(prefix)) groups.push([dimension.slice(prefix.length), totals]);
  return groups
    .sort(([, a], [, b]) => (b.costUsd > a.costUsd ? 1 : b.costUsd < a.costUsd ? -1 : b.requests - a.requests))
    .map(([value, group]) => ({ key: value === '' && groupBy !== 'model' ? null : value, totals: totalsToJson(group) }));
}

/** Totals for a day or month, exact with or without a recent aggregator run (see readDayRows). */
export async function getSummary(query: SummaryQuery, deps: SummaryDeps): Promise<SummaryResult> {
  const days = query.period === 'day' ? [query.date] : daysOfMonth(query.date);
  const now = deps.clock.now();
  const byDimension = totalsByDimension(await readDayRows(days, deps));
  const totals = mergeTotals(emptyTotals(), byDimension.get(TOTAL_DIMENSION) ?? emptyTotals());

  const lastDay = days[days.length - 1]!;
  const summary: Summary = {
    period: query.period,
    start: new Date(startOfDay(days[0]!, deps.settings.timezone)).toISOString(),
    end: new Date(startOfDay(nextDay(lastDay), deps.settings.timezone)).toISOString(),
    totals: totalsToJson(totals),
    breakdown: { ...breakdownToJson(totals.breakdown), webSearchRequests: totals.webSearchRequests },
    limits: limitsFor(query.period, byDimension, deps.settings.budgets),
    dataAsOf: new Date(now).toISOString(),
  };
  if (query.groupBy !== undefined) summary.groups = groupsOf(byDimension, query.groupBy);
  return { summary, totals };
}
