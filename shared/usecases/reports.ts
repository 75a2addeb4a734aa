import { formatUsd, formatUsdRounded, usdToAtto } from '../domain/money.js';
import { dayOf, daysOfMonth, isValidDay, isValidMonth, nextDay, previousDay, previousMonth, startOfDay } from '../domain/time.js';
import { emptyTotals, limitTokens, totalsToJson, type UsageTotals, type UsageTotalsJson } from '../domain/usageTotals.js';
import type { LimitUsage } from '../render/summaryBlock.js';
import { TOTAL_DIMENSION } from '../storage/keys.js';
import { AppError } from './errors.js';
import { groupsOf, limitsFor, readDayRows, totalsByDimension, type SummaryDeps, type SummaryGroup } from './getSummary.js';
import { notifyOnce, type DeliveryOutcome, type NotifyDeps } from './notify.js';
import type { AnthropicReportStore, ForecastSnapshot, ForecastStore, ReportNotification } from './ports.js';
import { getReconciliation } from './reconciliation.js';
import { log } from '../runtime/log.js';

export type ReportKind = 'daily' | 'monthly';

export interface ForecastVsActual {
  /** When the forecast was made (the first check past the middle of the period). */
  madeAt: string;
  forecastTokens: number;
  forecastCostUsd: string;
  actualTokens: number;
  actualCostUsd: string;
  /** (actual − forecast) ÷ forecast × 100, one decimal; null when the forecast was 0. */
  costErrorPct: number | null;
}

export interface PeriodReport {
  report: ReportKind;
  /** YYYY-MM-DD for a daily report, YYYY-MM for a monthly one. */
  period: string;
  /** The monthly report's period (kept from the first version of this report). */
  month?: string;
  day?: string;
  start: string;
  end: string;
  totals: UsageTotalsJson;
  previous: { period: string; month?: string; day?: string; totals: UsageTotalsJson };
  /** Cost change vs the previous period in percent, or null when the previous period cost nothing. */
  costChangePct: number | null;
  limits: LimitUsage[];
  models: SummaryGroup[];
  tags: Record<string, SummaryGroup[]>;
  forecast: ForecastVsActual | null;
  /** Anthropic's own figures for the period, when the Admin-API poller has run (see GET /v1/reconciliation). */
  anthropic: { costUsd: string; listCostUsd: string; coveragePct: number | null; costDriftPct: number | null; dataAsOf: string | null } | null;
  dataAsOf: string;
}

export interface ReportDeps extends SummaryDeps {
  forecasts: ForecastStore;
  anthropicStore?: AnthropicReportStore;
}

const TOP_TAGS = 10;

function changePct(now: bigint, before: bigint): number | null {
  if (before === 0n) return null;
  // One decimal, rounded half away from zero.
  const scaled = ((now - before) * 2000n) / before;
  return Number((scaled + (scaled >= 0n ? 1n : -1n)) / 2n) / 10;
}

function forecastVsActual(snapshot: ForecastSnapshot | undefined, totals: UsageTotals): ForecastVsActual | null {
  if (!snapshot) return null;
  const forecast = usdToAtto(snapshot.costUsd);
  return {
    madeAt: snapshot.madeAt,
    forecastTokens: snapshot.tokens,
    forecastCostUsd: snapshot.costUsd,
    actualTokens: limitTokens(totals),
    actualCostUsd: formatUsd(totals.costUsd),
    costErrorPct: changePct(totals.costUsd, forecast),
  };
}

/** A day's or month's totals, per model, top tag values, cache savings, limits used, change vs the period before, forecast vs actual. */
export async function buildReport(kind: ReportKind, period: string, deps: ReportDeps): Promise<PeriodReport> {
  const periodKind = kind === 'daily' ? 'day' : 'month';
  const previous = kind === 'daily' ? previousDay(period) : previousMonth(period);
  const daysOf = (id: string) => (kind === 'daily' ? [id] : daysOfMonth(id));
  const rows = await readDayRows([...daysOf(period), ...daysOf(previous)], deps);
  const pick = (id: string) => totalsByDimension(new Map(daysOf(id).map((day) => [day, rows.get(day) ?? new Map()])));
  const current = pick(period);
  const before = pick(previous);
  const totals = current.get(TOTAL_DIMENSION) ?? emptyTotals();
  const previousTotals = before.get(TOTAL_DIMENSION) ?? emptyTotals();
  const days = daysOf(period);
  const label = kind === 'daily' ? 'day' : 'month';
  return {
    report: kind,
    period,
    [label]: period,
    start: new Date(startOfDay(days[0]!, deps.settings.timezone)).toISOString(),
    end: new Date(startOfDay(nextDay(days[days.length - 1]!), deps.settings.timezone)).toISOString(),
    totals: totalsToJson(totals),
    previous: { period: previous, [label]: previous, totals: totalsToJson(previousTotals) },
    costChangePct: changePct(totals.costUsd, previousTotals.costUsd),
    limits: limitsFor(periodKind, current, deps.settings.budgets),
    models: groupsOf(current, 'model'),
    tags: Object.fromEntries(deps.settings.groupByTags.map((name) => [name, groupsOf(current, `tag:${name}`).slice(0, TOP_TAGS)])),
    forecast: forecastVsActual(await deps.forecasts.find(period), totals),
    anthropic: await anthropicFigures(days, deps),
    dataAsOf: new Date(deps.clock.now()).toISOString(),
  };
}

/** Best effort: a report goes out even when Anthropic's figures cannot be read. */
async function anthropicFigures(days: string[], deps: ReportDeps): Promise<PeriodReport['anthropic']> {
  try {
    return await readAnthropicFigures(days, deps);
  } catch (error) {
    log('error', "report without Anthropic's figures", { error: (error as Error).name, message: (error as Error).message });
    return null;
  }
}

async function readAnthropicFigures(days: string[], deps: ReportDeps): Promise<PeriodReport['anthropic']> {
  if (!deps.anthropicStore || !(await deps.anthropicStore.lastPoll())) return null;
  const reconciliation = await getReconciliation({ from: days[0]!, to: days[days.length - 1]! }, { ...deps, anthropicStore: deps.anthropicStore });
  if (!reconciliation.rows.some((row) => row.anthropic)) return null;
  const { anthropicCostUsd, anthropicListCostUsd, coveragePct, costDriftPct } = reconciliation.totals;
  return { costUsd: anthropicCostUsd, listCostUsd: anthropicListCostUsd, coveragePct, costDriftPct, dataAsOf: reconciliation.dataAsOf };
}

/** The monthly report of `GET /v1/reports/monthly`. */
export function buildMonthlyReport(month: string | undefined, deps: ReportDeps): Promise<PeriodReport> {
  if (!month || !isValidMonth(month)) throw new AppError('invalid_request', 'month is required as YYYY-MM');
  return buildReport('monthly', month, deps);
}

const money = (text: string) => `$${formatUsdRounded(usdToAtto(text), 2)}`;
const count = (value: number) => value.toLocaleString('en-US');

export function reportSubject(report: PeriodReport): string {
  return `tokmon ${report.report} report - ${report.period}: ${money(report.totals.costUsd)}`;
}

export function reportText(report: PeriodReport): string {
  const t = report.totals;
  const change = report.costChangePct === null ? `no cost the ${report.report === 'daily' ? 'day' : 'month'} before` : `${report.costChangePct >= 0 ? '+' : ''}${report.costChangePct}% vs ${report.previous.period}`;
  const lines = [
    `tokmon ${report.report} report — ${report.period}`,
    '',
    `Total cost:      ${money(t.costUsd)} (${change})`,
    `Requests:        ${count(t.requests)}${t.unpricedRequests ? ` (${count(t.unpricedRequests)} unpriced)` : ''}`,
    `Input tokens:    ${count(t.inputTokens)}`,
    `Output tokens:   ${count(t.outputTokens)}`,
    `Cache writes:    ${count(t.cacheCreationInputTokens)}`,
    `Cache reads:     ${count(t.cacheReadInputTokens)}`,
    `Cache savings:   ${money(t.cacheSavingsUsd)}`,
    ...report.limits.map((limit) => `${limit.name}: ${limit.usedPct}% used`),
  ];
  const f = report.forecast;
  lines.push(
    f
      ? `Forecast:        ${money(f.forecastCostUsd)} (made ${f.madeAt.slice(0, 16).replace('T', ' ')} UTC), actual ${money(f.actualCostUsd)}${f.costErrorPct === null ? '' : ` (${f.costErrorPct >= 0 ? '+' : ''}${f.costErrorPct}%)`}`
      : 'Forecast:        none recorded (forecasts are kept from the middle of a period on)',
  );
  const a = report.anthropic;
  if (a) lines.push(`Anthropic:       ${money(a.costUsd)} reported (list ${money(a.listCostUsd)}); tracked ${a.coveragePct ?? '–'}% of its tokens, price drift ${a.costDriftPct === null ? '–' : `${a.costDriftPct >= 0 ? '+' : ''}${a.costDriftPct}%`}`);
  lines.push('', 'By model:', ...report.models.map((group) => `  ${String(group.key).padEnd(34)} ${money(group.totals.costUsd).padStart(12)}  ${count(group.totals.requests)} requests`));
  for (const [name, groups] of Object.entries(report.tags)) {
    lines.push('', `Top ${name}:`, ...groups.map((group) => `  ${String(group.key ?? '(none)').padEnd(34)} ${money(group.totals.costUsd).padStart(12)}  ${count(group.totals.requests)} requests`));
  }
  return lines.join('\n') + '\n';
}

function csvCell(value: string | number | null | undefined): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per (dimension, key): total, each model, each top tag value. */
export function reportCsv(report: PeriodReport): string {
  const header = [report.report === 'monthly' ? 'month' : 'day', 'dimension', 'key', 'requests', 'inputTokens', 'outputTokens', 'cacheCreationInputTokens', 'cacheReadInputTokens', 'costUsd', 'cacheSavingsUsd', 'unpricedRequests'];
  const row = (dimension: string, key: string | null, t: UsageTotalsJson) =>
    [report.period, dimension, key, t.requests, t.inputTokens, t.outputTokens, t.cacheCreationInputTokens, t.cacheReadInputTokens, formatUsd(usdToAtto(t.costUsd)), formatUsd(usdToAtto(t.cacheSavingsUsd)), t.unpricedRequests].map(csvCell).join(',');
  const rows = [header.join(','), row('total', null, report.totals), ...report.models.map((group) => row('model', group.key, group.totals))];
  for (const [name, groups] of Object.entries(report.tags)) rows.push(...groups.map((group) => row(`tag:${name}`, group.key, group.totals)));
  return rows.join('\n') + '\n';
}

/** The period a scheduled report covers at `now`: yesterday, or last month. */
export function reportedPeriod(kind: ReportKind, now: number, timeZone: string): string {
  const today = dayOf(now, timeZone);
  return kind === 'daily' ? previousDay(today) : previousMonth(today.slice(0, 7));
}

export interface PublishReportResult {
  report: ReportKind;
  period: string;
  id: string;
  outcome: DeliveryOutcome;
  totals: UsageTotalsJson;
}

/** The `daily-report` and `monthly-report` jobs: builds the report of the period and publishes it once. */
export async function publishReport(kind: ReportKind, period: string | undefined, deps: ReportDeps & NotifyDeps): Promise<PublishReportResult> {
  const target = period ?? reportedPeriod(kind, deps.clock.now(), deps.settings.timezone);
  if (kind === 'daily' ? !isValidDay(target) : !isValidMonth(target)) {
    throw new AppError('invalid_request', kind === 'daily' ? 'day must be YYYY-MM-DD' : 'month must be YYYY-MM');
  }
  const report = await buildReport(kind, target, deps);
  const notification: ReportNotification = {
    type: 'report',
    id: `report:${kind}:${target}`,
    report: kind,
    period: target,
    severity: 'info',
    subject: reportSubject(report),
    message: reportText(report),
    createdAt: new Date(deps.clock.now()).toISOString(),
  };
  return { report: kind, period: target, id: notification.id, outcome: await notifyOnce(notification, deps), totals: report.totals };
}
