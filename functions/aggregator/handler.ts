import { runtime } from '../../shared/runtime/runtime.js';
import { log } from '../../shared/runtime/log.js';
import { aggregateUsage, type AggregationResult } from '../../shared/usecases/aggregateUsage.js';

/** Scheduled: applies closed journal windows to the daily rollups. Safe to run twice or at once. */
export async function handler(): Promise<AggregationResult> {
  const result = await aggregateUsage(runtime());
  log('info', 'aggregated', { ...result });
  return result;
}
