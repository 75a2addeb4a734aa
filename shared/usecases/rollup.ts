import { dayOf } from '../domain/time.js';
import type { UsageEvent } from '../domain/usage.js';
import { addToTotals, emptyTotals } from '../domain/usageTotals.js';
import type { CostEngine } from '../pricing/priceUsage.js';
import { modelDimension, tagDimension, TOTAL_DIMENSION } from '../storage/keys.js';
import type { SummaryRow } from './ports.js';

export interface RollupSettings {
  timezone: string;
  groupByTags: readonly string[];
}

/** The summary rows one event adds to: its day's total, its model, and each configured tag. */
export function dimensionsOf(event: UsageEvent, groupByTags: readonly string[]): string[] {
  return [TOTAL_DIMENSION, modelDimension(event.model), ...groupByTags.map((name) => tagDimension(name, event.tags?.[name]))];
}

/** Prices events with the server's catalog and sums them into summary rows (day × dimension). */
export function rollUp(events: Iterable<UsageEvent>, engine: CostEngine, settings: RollupSettings): SummaryRow[] {
  const rows = new Map<string, SummaryRow>();
  for (const event of events) {
    const priced = engine.priceUsage(event);
    const day = dayOf(Date.parse(event.timestamp), settings.timezone);
    for (const dimension of dimensionsOf(event, settings.groupByTags)) {
      const key = `${day}\u0000${dimension}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { day, dimension, totals: emptyTotals() }));
      addToTotals(row.totals, priced);
    }
  }
  return [...rows.values()];
}
