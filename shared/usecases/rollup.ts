import { dayOf } from '../domain/time.js';
import type { UsageEvent } from '../domain/usage.js';
import { addToTotals, emptyTotals } from '../domain/usageTotals.js';
import type { CostEngine } from '../pricing/priceUsage.js';
import { modelDimension, tagDimension, tierDimension, TOTAL_DIMENSION } from '../storage/keys.js';
import type { SummaryRow } from './ports.js';
import type { Budget } from '../domain/budgets.js';

export interface RollupSettings {
  timezone: string;
  groupByTags: readonly string[];
  /** Budgets with a filter get a row of their own; the others read the day's total. */
  budgets?: readonly Pick<Budget, 'dimension' | 'matches'>[];
}

/** The summary rows one event adds to: its day's total, its model, its model in its service tier (for reconciliation), each configured tag and each filtered budget it matches. */
export function dimensionsOf(event: UsageEvent, settings: Pick<RollupSettings, 'groupByTags' | 'budgets'>): string[] {
  const dimensions = [TOTAL_DIMENSION, modelDimension(event.model), tierDimension(event.usage.service_tier ?? 'standard', event.model), ...settings.groupByTags.map((name) => tagDimension(name, event.tags?.[name]))];
  for (const budget of settings.budgets ?? []) if (budget.matches?.(event)) dimensions.push(budget.dimension);
  return dimensions;
}

/** Prices events with the server's catalog and sums them into summary rows (day × dimension). */
export function rollUp(events: Iterable<UsageEvent>, engine: CostEngine, settings: RollupSettings): SummaryRow[] {
  const rows = new Map<string, SummaryRow>();
  for (const event of events) {
    const priced = engine.priceUsage(event);
    const day = dayOf(Date.parse(event.timestamp), settings.timezone);
    for (const dimension of dimensionsOf(event, settings)) {
      const key = `${day}\u0000${dimension}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { day, dimension, totals: emptyTotals() }));
      addToTotals(row.totals, priced);
    }
  }
  return [...rows.values()];
}
