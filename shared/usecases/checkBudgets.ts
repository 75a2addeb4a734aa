import { budgetAmount, crosses, percentOf, wholePercentOf, type Budget } from '../domain/budgets.js';
import { forecastDay, forecastMonth, profileDays, weekdayProfile } from '../domain/forecast.js';
import { formatUsd } from '../domain/money.js';
import { dayOf, daysOfMonth, nextDay, previousDay, previousMonth, startOfDay } from '../domain/time.js';
import { emptyTotals, limitTokens, type UsageTotals } from '../domain/usageTotals.js';
import { alertEmailText, amountText, smsText } from '../render/notificationText.js';
import { limitLabel } from '../render/summaryBlock.js';
import { TOTAL_DIMENSION } from '../storage/keys.js';
import { groupsOf, limitsFor, readDayRows, totalsByDimension, type DayRows, type SummaryDeps } from './getSummary.js';
import { notifyOnce, publishStaleClaims, type DeliveryOutcome, type NotifyDeps } from './notify.js';
import type { AlertNotification, ForecastStore } from './ports.js';

export interface BudgetCheckDeps extends SummaryDeps, Omit<NotifyDeps, 'today' | 'smsDailyCap'> {
  forecasts: ForecastStore;
}

export interface BudgetCheckResult {
  budgets: number;
  periods: string[];
  crossed: number;
  published: string[];
  alreadyNotified: number;
  failed: string[];
  republished: string[];
}

interface Period {
  kind: 'day' | 'month';
  id: string;
  days: string[];
  current: boolean;
}

/**
 * The periods a run looks at: today and yesterday (late events can still cross a limit of a day
 * that just ended), this month, and last month on the first day of a month.
 */
function periodsAt(today: string): Period[] {
  const month = today.slice(0, 7);
  const periods: Period[] = [
    { kind: 'day', id: today, days: [today], current: true },
    { kind: 'day', id: previousDay(today), days: [previousDay(today)], current: false },
    { kind: 'month', id: month, days: daysOfMonth(month).filter((day) => day <= today), current: true },
  ];
  if (today.endsWith('-01')) periods.push({ kind: 'month', id: previousMonth(month), days: daysOfMonth(previousMonth(month)), current: false });
  return periods;
}

function pick(rows: DayRows, days: readonly string[]): DayRows {
  return new Map(days.map((day) => [day, rows.get(day) ?? new Map()]));
}

function amountJson(budget: Budget, amount: bigint): number | string {
  return budget.unit === 'tokens' ? Number(amount) : formatUsd(amount);
}

function periodLabel(budget: Budget): string {
  return budget.period === 'day' ? 'daily' : 'monthly';
}

/**
 * Every crossed threshold of every budget, as notifications. `actual` thresholds compare the
 * period's usage so far; `forecast` thresholds (current periods only) compare its projection.
 */
export function crossedThresholds(
  budget: Budget,
  period: Period,
  byDimension: Map<string, UsageTotals>,
  forecast: bigint | undefined,
  createdAt: string,
): Omit<AlertNotification, 'message'>[] {
  const amount = budgetAmount(budget, byDimension.get(budget.dimension) ?? emptyTotals());
  const usedPct = percentOf(amount, budget.limit);
  const used = amountJson(budget, amount);
  const base = { type: 'alert' as const, budget: budget.name, period: period.id, limit: budget.configuredLimit, unit: budget.unit, used, usedPct, createdAt };
  const limitText = `${amountText(budget.unit, budget.configuredLimit)} ${periodLabel(budget)} limit`;
  const alerts: Omit<AlertNotification, 'message'>[] = [];
  for (const threshold of budget.thresholds) {
    if (!crosses(amount, budget.limit, threshold)) continue;
    const severity = threshold >= 100 ? 'critical' : 'warning';
    const subject = `tokmon: ${budget.name} at ${wholePercentOf(amount, budget.limit)}% (${threshold}% threshold)`;
    alerts.push({
      ...base,
      id: `alert:${budget.name}:${period.id}:actual:${threshold}`,
      kind: 'actual',
      threshold,
      severity,
      subject,
      sms: smsText(`tokmon ${severity === 'critical' ? 'CRITICAL' : 'warning'}: ${budget.name} ${period.id} at ${usedPct}% of ${limitText} (${amountText(budget.unit, used)})`),
    });
  }
  if (forecast !== undefined) {
    for (const threshold of budget.forecastThresholds) {
      if (!crosses(forecast, budget.limit, threshold)) continue;
      const forecastPct = percentOf(forecast, budget.limit);
      alerts.push({
        ...base,
        id: `alert:${budget.name}:${period.id}:forecast:${threshold}`,
        kind: 'forecast',
        threshold,
        forecast: amountJson(budget, forecast),
        forecastPct,
        // A projection is a warning: the limit is not reached yet.
        severity: 'warning',
        subject: `tokmon: ${budget.name} forecast at ${wholePercentOf(forecast, budget.limit)}% (${threshold}% threshold)`,
        sms: smsText(`tokmon warning: ${budget.name} ${period.id} forecast ${forecastPct}% of ${limitText}`),
      });
    }
  }
  return alerts;
}

function detailOf(alert: Omit<AlertNotification, 'message'>): string {
  const used = `${amountText(alert.unit, alert.used)} used of ${amountText(alert.unit, alert.limit)} (${alert.usedPct}%) in ${alert.period}.`;
  if (alert.kind === 'actual') return `${limitLabel(alert.budget)}: ${used}`;
  return `${limitLabel(alert.budget)}: projected ${amountText(alert.unit, alert.forecast!)} (${alert.forecastPct}%) by the end of ${alert.period}; ${used}`;
}

/**
 * Checks every limit and budget against today's, this month's (and just-ended periods') usage,
 * read exactly (stored rollups + live windows), and notifies each newly crossed threshold once.
 * Also records the mid-period forecast that reports compare with the actual total, and publishes
 * claims an earlier run left unsent.
 */
export async function checkBudgets(deps: BudgetCheckDeps & { smsDailyCap: number }): Promise<BudgetCheckResult> {
  const now = deps.clock.now();
  const timeZone = deps.settings.timezone;
  const today = dayOf(now, timeZone);
  const budgets = deps.settings.budgets;
  const periods = periodsAt(today);
  const needsProfile = budgets.some((budget) => budget.period === 'month' && budget.forecastThresholds.length > 0);
  const days = new Set(periods.flatMap((period) => period.days));
  if (needsProfile) for (const day of profileDays(today)) days.add(day);
  const rows = await readDayRows([...days], deps);
  const createdAt = new Date(now).toISOString();
  const notify: NotifyDeps = { ...deps, today: () => today };
  const result: BudgetCheckResult = { budgets: budgets.length, periods: periods.map((period) => period.id), crossed: 0, published: [], alreadyNotified: 0, failed: [], republished: [] };

  for (const period of periods) {
    const periodRows = pick(rows, period.days);
    const byDimension = totalsByDimension(periodRows);
    if (period.current) await recordMidPeriodForecast(period, byDimension, rows, now, deps);
    for (const budget of budgets.filter((candidate) => candidate.period === period.kind)) {
      const amount = budgetAmount(budget, byDimension.get(budget.dimension) ?? emptyTotals());
      const forecast = period.current && budget.forecastThresholds.length > 0 ? projectBudget(budget, amount, period, rows, now, timeZone) : undefined;
      for (const alert of crossedThresholds(budget, period, byDimension, forecast, createdAt)) {
        result.crossed += 1;
        const totals = byDimension.get(TOTAL_DIMENSION) ?? emptyTotals();
        const notification: AlertNotification = {
          ...alert,
          message: alertEmailText({
            subject: alert.subject,
            detail: detailOf(alert),
            totals,
            limits: limitsFor(period.kind, byDimension, budgets),
            trackCacheSavings: deps.config.track_cache_savings,
            models: groupsOf(byDimension, 'model'),
            tags: Object.fromEntries(deps.settings.groupByTags.map((name) => [name, groupsOf(byDimension, `tag:${name}`)])),
          }),
        };
        const outcome: DeliveryOutcome = await notifyOnce(notification, notify);
        if (outcome === 'published') result.published.push(alert.id);
        else if (outcome === 'failed') result.failed.push(alert.id);
        else result.alreadyNotified += 1;
      }
    }
  }
  // Last month too, always: a claim left unsent on the last day of a month must not be stranded.
  const months = [today.slice(0, 7), previousMonth(today.slice(0, 7))];
  for (const { id, outcome } of await publishStaleClaims(months, notify)) (outcome === 'published' ? result.republished : result.failed).push(id);
  return result;
}

function historyOf(budget: Pick<Budget, 'unit' | 'dimension'>, rows: DayRows, today: string): Map<string, bigint> {
  return new Map(profileDays(today).map((day) => [day, budgetAmount(budget, rows.get(day)?.get(budget.dimension) ?? emptyTotals())]));
}

function projectBudget(budget: Pick<Budget, 'unit' | 'dimension'>, amount: bigint, period: Period, rows: DayRows, now: number, timeZone: string): bigint | undefined {
  if (period.kind === 'day') return forecastDay(amount, period.id, now, timeZone);
  const today = period.days[period.days.length - 1]!;
  return forecastMonth(amount, period.id, now, timeZone, weekdayProfile(historyOf(budget, rows, today), today));
}

/** Past the middle of a period, keeps its first forecast of total tokens and cost for the report. */
async function recordMidPeriodForecast(period: Period, byDimension: Map<string, UsageTotals>, rows: DayRows, now: number, deps: BudgetCheckDeps): Promise<void> {
  const timeZone = deps.settings.timezone;
  const first = period.days[0]!;
  const start = startOfDay(first, timeZone);
  const end = startOfDay(nextDay(period.kind === 'day' ? first : daysOfMonth(period.id).at(-1)!), timeZone);
  if (now - start < (end - start) / 2) return;
  const totals = byDimension.get(TOTAL_DIMENSION) ?? emptyTotals();
  const total = { dimension: TOTAL_DIMENSION };
  const tokens = projectBudget({ ...total, unit: 'tokens' }, BigInt(limitTokens(totals)), period, rows, now, timeZone);
  const cost = projectBudget({ ...total, unit: 'usd' }, totals.costUsd, period, rows, now, timeZone);
  if (tokens === undefined || cost === undefined) return;
  await deps.forecasts.record({ period: period.id, madeAt: new Date(now).toISOString(), tokens: Number(tokens), costUsd: formatUsd(cost) });
}
