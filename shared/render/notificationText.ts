import { formatUsdRounded } from '../domain/money.js';
import type { UsageTotals } from '../domain/usageTotals.js';
import type { SummaryGroup } from '../usecases/getSummary.js';
import { usdToAtto } from '../domain/money.js';
import { renderSummaryBlock, type LimitUsage } from './summaryBlock.js';

export const SMS_MAX_CHARS = 140;
const TOP_GROUPS = 5;
const count = new Intl.NumberFormat('en-US');

export function dollarsOf(usd: string, digits = 2): string {
  return `$${formatUsdRounded(usdToAtto(usd), digits)}`;
}

function groupLines(groups: readonly SummaryGroup[]): string[] {
  return groups
    .slice(0, TOP_GROUPS)
    .map((group) => `  ${String(group.key ?? '(none)').padEnd(34)} ${dollarsOf(group.totals.costUsd, 3).padStart(12)}  ${count.format(group.totals.requests)} requests`);
}

/** The email text of an alert: subject, the period's summary block, top models and tags. */
export function alertEmailText(input: {
  subject: string;
  detail: string;
  totals: UsageTotals;
  limits: readonly LimitUsage[];
  trackCacheSavings: boolean;
  models: readonly SummaryGroup[];
  tags: Record<string, readonly SummaryGroup[]>;
}): string {
  const lines = [input.subject, '', input.detail, '', renderSummaryBlock(input.totals, { limits: input.limits, trackCacheSavings: input.trackCacheSavings })];
  if (input.models.length > 0) lines.push('', 'Top models:', ...groupLines(input.models));
  for (const [name, groups] of Object.entries(input.tags)) {
    if (groups.length > 0) lines.push('', `Top ${name}:`, ...groupLines(groups));
  }
  return lines.join('\n') + '\n';
}

/** At most 140 characters, cut on a word where possible. */
export function smsText(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= SMS_MAX_CHARS) return flat;
  const cut = flat.slice(0, SMS_MAX_CHARS - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > SMS_MAX_CHARS / 2 ? cut.slice(0, space) : cut}…`;
}

export function amountText(unit: 'tokens' | 'usd' | 'percent', amount: number | string): string {
  if (unit === 'percent') return `${amount}%`;
  return unit === 'tokens' ? `${count.format(Number(amount))} tokens` : dollarsOf(String(amount));
}
