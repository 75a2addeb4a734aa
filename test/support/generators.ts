import type { UsageEvent } from '../../shared/domain/usage.js';

const MODELS = ['claude-sonnet-4-5-20250929', 'claude-haiku-4-5', 'claude-opus-4-8', 'claude-imaginary-9'];

/** Deterministic events spread over models, apps and features within one UTC day. */
export function makeEvents(count: number, day = '2026-12-03', prefix = 'msg'): UsageEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}_${i}`,
    timestamp: `${day}T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z`,
    model: MODELS[i % MODELS.length]!,
    usage: {
      input_tokens: 100 + i,
      output_tokens: 10 + (i % 7),
      cache_creation_input_tokens: i % 3 === 0 ? 50 : 0,
      cache_read_input_tokens: i % 5 === 0 ? 1_000 : 0,
      service_tier: i % 11 === 0 ? 'batch' : 'standard',
    },
    tags: { app: i % 2 === 0 ? 'web' : 'worker', feature: `f${i % 3}` },
  }));
}
