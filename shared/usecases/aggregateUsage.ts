import type { CostEngine } from '../pricing/priceUsage.js';
import { WINDOW_MS, windowOf } from '../storage/keys.js';
import type { Clock, EventStore, IngestBatch, RateLimitSnapshot, RateLimitStore, SummaryStore } from './ports.js';
import type { UsageEvent } from '../domain/usage.js';
import { rollUp, type RollupSettings } from './rollup.js';

/** A window is aggregated only this long after it ends: longer than any ingest request may write (20 s). */
export const AGGREGATION_GRACE_MS = 2 * 60_000;
/**
 * Without a watermark (a new deployment on AWS, before the first scheduled run), aggregation and
 * live summaries start this many windows back: one hour, far more than the 5-minute schedule.
 */
export const INITIAL_LOOKBACK_WINDOWS = 12;

export interface AggregationDeps {
  events: EventStore;
  summaries: SummaryStore;
  engine: CostEngine;
  settings: RollupSettings;
  clock: Clock;
  /** Where the newest rate-limit headers per model are kept, when the runtime has it. */
  rateLimits?: RateLimitStore;
}

export interface AggregationResult {
  windowsProcessed: number;
  batches: number;
  events: number;
  rowsUpdated: number;
  watermark: string | null;
  caughtUp: boolean;
}

const MAX_RATE_LIMIT_HEADERS = 24;

/** The newest rate-limit headers per model among events that carry them (clients send `rateLimits`). */
export function latestRateLimits(events: readonly UsageEvent[]): RateLimitSnapshot[] {
  const latest = new Map<string, RateLimitSnapshot>();
  for (const event of events) {
    const limits = (event as { rateLimits?: unknown }).rateLimits;
    if (typeof limits !== 'object' || limits === null) continue;
    const headers = Object.entries(limits)
      .filter(([name, value]) => typeof value === 'string' && name.length <= 64 && value.length <= 128)
      .slice(0, MAX_RATE_LIMIT_HEADERS) as [string, string][];
    if (headers.length === 0) continue;
    const seenAt = new Date(Date.parse(event.timestamp)).toISOString();
    const current = latest.get(event.model);
    if (!current || current.seenAt < seenAt) latest.set(event.model, { model: event.model, seenAt, limits: Object.fromEntries(headers) });
  }
  return [...latest.values()];
}

/** The last window that can no longer receive writes at `now`. */
export function lastClosedWindow(now: number): number {
  return windowOf(now - AGGREGATION_GRACE_MS) - 1;
}

export function defaultStartWindow(now: number): number {
  return windowOf(now) - INITIAL_LOOKBACK_WINDOWS;
}

/** The events each batch of a window counts for (see recordEvents). */
export async function countedEvents(events: EventStore, batches: IngestBatch[]) {
  const perBatch = await Promise.all(batches.map((batch) => events.eventsWrittenBy(batch)));
  return perBatch.flat();
}

/**
 * Applies closed journal windows to the daily rollups, in order, from the watermark on. Each row
 * update is conditional on the row not holding that window yet, and the watermark moves only after
 * a whole window is applied, so re-runs, crashes at any point and concurrent runs all end exact.
 */
export async function aggregateUsage(deps: AggregationDeps, maxWindows = 288): Promise<AggregationResult> {
  const now = deps.clock.now();
  const last = lastClosedWindow(now);
  let window = (await deps.summaries.watermark()) ?? defaultStartWindow(now);
  const result: AggregationResult = { windowsProcessed: 0, batches: 0, events: 0, rowsUpdated: 0, watermark: null, caughtUp: false };
  while (window < last && result.windowsProcessed < maxWindows) {
    window += 1;
    const batches = await deps.events.batchesInWindow(window);
    if (batches.length > 0) {
      const events = await countedEvents(deps.events, batches);
      result.batches += batches.length;
      result.events += events.length;
      result.rowsUpdated += await deps.summaries.applyWindow(window, rollUp(events, deps.engine, deps.settings));
      if (deps.rateLimits) await deps.rateLimits.record(latestRateLimits(events));
      await deps.summaries.advanceWatermark(window);
    }
    result.windowsProcessed += 1;
  }
  // Empty windows need no write each; one watermark write covers them.
  if (result.windowsProcessed > 0) await deps.summaries.advanceWatermark(window);
  result.watermark = new Date((window + 1) * WINDOW_MS).toISOString();
  result.caughtUp = window >= last;
  return result;
}
