import type { MessageDeltaUsage, MessagesUsage } from './usage.js';

/** Fields that only `message_start` carries; a delta never changes them. */
const START_ONLY = new Set(['cache_creation', 'service_tier', 'inference_geo']);

/**
 * The final usage of a streamed message. `message_delta` counts are cumulative whole-message
 * totals, so each non-null delta field replaces the value so far and nothing is ever added; the
 * TTL split, service tier and inference geo come from `message_start`.
 */
export function mergeStreamUsage(start: MessagesUsage, deltas: Iterable<MessageDeltaUsage>): MessagesUsage {
  const merged: Record<string, unknown> = { ...start };
  for (const delta of deltas) {
    for (const [key, value] of Object.entries(delta)) {
      if (value !== null && value !== undefined && !START_ONLY.has(key)) merged[key] = value;
    }
  }
  return merged as MessagesUsage;
}
