import { formatUsd, formatUsdRounded, usdToAtto } from '../domain/money.js';
import { isValidMonth } from '../domain/time.js';
import type { UsageTotalsJson } from '../domain/usageTotals.js';
import type { LimitUsage } from '../render/summaryBlock.js';
import { AppError } from './errors.js';
import { getSummary, type SummaryDeps, type SummaryGroup } from './getSummary.js';

export interface MonthlyReport {
  report: 'monthly';
  month: string;
  start: string;
  end: string;
  totals: UsageTotalsJson;
  previous: { month: string; totals: UsageTotalsJson };
  /** Cost change vs the previous month in percent, or null when the previous month cost nothing. */
  costChangePct: number | null;
  limits: LimitUsage[];
  models: SummaryGroup[];
  tags: Record<string, SummaryGroup[]>;
  dataAsOf: string;
}

export function previousMonth(month: string): string {
  const [year, number] = month.split('-').map(Number) as [number, number];
  const date = new Date(Date.UTC(year, number - 2, 1));
  return date.toISOString().slice(0, 7);
}

const TOP_TAGS = 10;

/** The month's totals, per model, top tag values, cache savings, limits used and change vs the month before. */
export async function buildMonthlyReport(month: string | undefined, deps: SummaryDeps): Promise<MonthlyReport> {
  if (!month || !isValidMonth(month)) throw new AppError('invalid_request', 'month is required as YYYY-MM');
  const byModel = await getSummary({ period: 'month', date: month, groupBy: 'model' }, deps);
  const before = await getSummary({ period: 'month', date: previousMonth(month) }, deps);
  const tags: Record<string, SummaryGroup[]> = {};
  for (const name of deps.settings.groupByTags) {
    tags[name] = ((await getSummary({ period: 'month', date: month, groupBy: `tag:${name}` }, deps)).summary.groups ?? []).slice(0, TOP_TAGS);
  }
  const cost = byModel.totals.costUsd;
  const previousCost = before.totals.costUsd;
  return {
    report: 'monthly',
    month,
    start: byModel.summary.start,
    end: byModel.summary.end,
    totals: byModel.summary.totals,
    previous: { month: previousMonth(month), totals: before.summary.totals },
    costChangePct: previousCost === 0n ? null : Number(((cost - previousCost) * 1000n) / previousCost) / 10,
    limits: byModel.summary.limits,
    models: byModel.summary.groups ?? [],
    tags,
    dataAsOf: byModel.summary.dataAsOf,
  };
}

const money = (text: string) => `$${formatUsdRounded(usdToAtto(text), 2)}`;
const count = (value: number) => value.toLocaleString('en-US');

export function monthlyReportText(report: MonthlyReport): string {
  const t = report.totals;
  const lines = [
    `tokmon monthly report — ${report.month}`,
    '',
    `Total cost:      ${money(t.costUsd)} (${report.costChangePct === null ? 'no cost the month before' : `${report.costChangePct >= 0 ? '+' : ''}${report.costChangePct}% vs ${report.previous.month}`})`,
    `Requests:        ${count(t.requests)}${t.unpricedRequests ? ` (${count(t.unpricedRequests)} unpriced)` : ''}`,
    `Input tokens:    ${count(t.inputTokens)}`,
    `Output tokens:   ${count(t.outputTokens)}`,
    `Cache writes:    ${count(t.cacheCreationInputTokens)}`,
    `Cache reads:     ${count(t.cacheReadInputTokens)}`,
    `Cache savings:   ${money(t.cacheSavingsUsd)}`,
    ...report.limits.map((limit) => `${limit.name}: ${limit.usedPct}% used`),
    '',
    'By model:',
    ...report.models.map((group) => `  ${String(group.key).padEnd(34)} ${money(group.totals.costUsd).padStart(12)}  ${count(group.totals.requests)} requests`),
  ];
  for (const [name, groups] of Object.entries(report.tags)) {
    lines.push('', `Top ${name}:`, ...groups.map((group) => `  ${String(group.key ?? '(none)').padEnd(34)} ${money(group.totals.costUsd).padStart(12)}  ${count(group.totals.requests)} requests`));
  }
  return lines.join('\n') + '\n';
}

function csvCell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per (dimension, key): total, each model, each top tag value. */
export function monthlyReportCsv(report: MonthlyReport): string {
  const header = ['month', 'dimension', 'key', 'requests', 'inputTokens', 'outputTokens', 'cacheCreationInputTokens', 'cacheReadInputTokens', 'costUsd', 'cacheSavingsUsd', 'unpricedRequests'];
  const row = (dimension: string, key: string | null, t: UsageTotalsJson) =>
    [report.month, dimension, key, t.requests, t.inputTokens, t.outputTokens, t.cacheCreationInputTokens, t.cacheReadInputTokens, formatUsd(usdToAtto(t.costUsd)), formatUsd(usdToAtto(t.cacheSavingsUsd)), t.unpricedRequests].map(csvCell).join(',');
  const rows = [header.join(','), row('total', null, report.totals), ...report.models.map((group) => row('model', group.key, group.totals))];
  for (const [name, groups] of Object.entries(report.tags)) rows.push(...groups.map((group) => row(`tag:${name}`, group.key, group.totals)));
  return rows.join('\n') + '\n';
}
