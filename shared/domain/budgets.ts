import type { TokenMonitoringConfig } from '../config/config.js';
import { usdToAtto } from './money.js';
import type { UsageEvent } from './usage.js';
import { limitTokens, type UsageTotals } from './usageTotals.js';

/**
 * One limit that alerts: the four built-in limits of the config (daily_limit, monthly_limit,
 * daily/monthly_cost_limit_usd) and every named budget. Amounts are exact integers: tokens, or
 * attodollars for USD budgets.
 */
export interface Budget {
  name: string;
  period: 'day' | 'month';
  unit: 'tokens' | 'usd';
  /** Tokens, or attodollars. */
  limit: bigint;
  /** The limit as configured, for notifications and summaries. */
  configuredLimit: number;
  /** Percentages, ascending, without duplicates. */
  thresholds: number[];
  forecastThresholds: number[];
  /** The summary row the budget reads: `total`, or its own `budget#<name>` row when it has a filter. */
  dimension: string;
  matches?: (event: UsageEvent) => boolean;
}

export const BUDGET_DIMENSION_PREFIX = 'budget#';

function sortedUnique(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** `claude-opus-*` → a whole-string match where `*` stands for any run of characters. */
export function globMatcher(pattern: string): (text: string) => boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`);
  return (text) => regex.test(text);
}

function filterMatcher(filter: { model?: string; tags?: Record<string, string> }): (event: UsageEvent) => boolean {
  const model = filter.model === undefined ? undefined : globMatcher(filter.model);
  const tags = Object.entries(filter.tags ?? {});
  return (event) => (model === undefined || model(event.model)) && tags.every(([name, value]) => event.tags?.[name] === value);
}

/** Every limit of the configuration as a budget, the built-in ones first. */
export function budgetsFromConfig(config: TokenMonitoringConfig): Budget[] {
  const standard = sortedUnique([config.alert_threshold, 100]);
  const budgets: Budget[] = [];
  const builtIn: [string, 'day' | 'month', 'tokens' | 'usd', number | undefined][] = [
    ['daily_limit', 'day', 'tokens', config.daily_limit],
    ['monthly_limit', 'month', 'tokens', config.monthly_limit],
    ['daily_cost_limit_usd', 'day', 'usd', config.daily_cost_limit_usd],
    ['monthly_cost_limit_usd', 'month', 'usd', config.monthly_cost_limit_usd],
  ];
  for (const [name, period, unit, limit] of builtIn) {
    if (limit === undefined) continue;
    budgets.push({
      name,
      period,
      unit,
      limit: unit === 'tokens' ? BigInt(limit) : usdToAtto(String(limit)),
      configuredLimit: limit,
      thresholds: standard,
      forecastThresholds: [],
      dimension: 'total',
    });
  }
  for (const budget of config.budgets) {
    const unit = budget.limit_usd !== undefined ? 'usd' : 'tokens';
    const configuredLimit = (budget.limit_usd ?? budget.limit_tokens)!;
    const filtered = budget.filter !== undefined && (budget.filter.model !== undefined || Object.keys(budget.filter.tags ?? {}).length > 0);
    budgets.push({
      name: budget.name,
      period: budget.period,
      unit,
      limit: unit === 'tokens' ? BigInt(configuredLimit) : usdToAtto(String(configuredLimit)),
      configuredLimit,
      thresholds: sortedUnique(budget.thresholds ?? [config.alert_threshold, 100]),
      forecastThresholds: sortedUnique(budget.forecast_thresholds ?? []),
      dimension: filtered ? `${BUDGET_DIMENSION_PREFIX}${budget.name}` : 'total',
      ...(filtered ? { matches: filterMatcher(budget.filter!) } : {}),
    });
  }
  return budgets;
}

/** What a budget counts in a row's totals: tokens (input + output + cache writes + cache reads), or attodollars. */
export function budgetAmount(budget: Pick<Budget, 'unit'>, totals: UsageTotals): bigint {
  return budget.unit === 'tokens' ? BigInt(limitTokens(totals)) : totals.costUsd;
}

/** Thresholds are percentages with up to 3 decimals; compared exactly as integers. */
function thousandths(percent: number): bigint {
  return BigInt(Math.round(percent * 1000));
}

/** True when `amount` is at least `threshold`% of `limit`, exactly. */
export function crosses(amount: bigint, limit: bigint, threshold: number): boolean {
  return amount * 100_000n >= thousandths(threshold) * limit;
}

/** Percent with one decimal, rounded half up, computed in integers. */
export function percentOf(amount: bigint, limit: bigint): number {
  return Number((amount * 2000n / limit + 1n) / 2n) / 10;
}

/** Whole percent, rounded down: a subject never claims more than is used. */
export function wholePercentOf(amount: bigint, limit: bigint): number {
  return Number((amount * 100n) / limit);
}
