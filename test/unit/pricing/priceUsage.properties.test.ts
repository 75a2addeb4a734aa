import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import type { MessagesUsage, UsageEvent } from '../../../shared/domain/usage.js';
import { builtInCatalog } from '../../../shared/pricing/catalog.js';
import { priceUsage } from '../../../shared/pricing/priceUsage.js';

const modelIds = builtInCatalog().models.flatMap((model) => model.ids);
const tokens = fc.integer({ min: 0, max: 2_000_000 });

const usageArbitrary: fc.Arbitrary<MessagesUsage> = fc
  .record({
    input_tokens: tokens,
    output_tokens: tokens,
    cache_5m: tokens,
    cache_1h: tokens,
    cache_read_input_tokens: tokens,
    splitKnown: fc.boolean(),
    web_search_requests: fc.integer({ min: 0, max: 50 }),
    service_tier: fc.constantFrom('standard', 'batch', 'priority', null),
    inference_geo: fc.constantFrom('global', 'us', null),
  })
  .map(({ cache_5m, cache_1h, splitKnown, web_search_requests, ...rest }) => ({
    ...rest,
    cache_creation_input_tokens: splitKnown ? cache_5m + cache_1h : cache_5m,
    cache_creation: splitKnown ? { ephemeral_5m_input_tokens: cache_5m, ephemeral_1h_input_tokens: cache_1h } : null,
    server_tool_use: { web_search_requests, web_fetch_requests: 0 },
  }));

const eventArbitrary: fc.Arbitrary<UsageEvent> = fc.record({
  id: fc.constant('msg_property'),
  model: fc.constantFrom(...modelIds),
  timestamp: fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString()),
  usage: usageArbitrary,
});

/** The same request with every cached token sent as plain input: the prompt size, and so the band, is unchanged. */
function withoutCache(event: UsageEvent): UsageEvent {
  const usage = event.usage;
  const cached = (usage.cache_creation_input_tokens ?? 0) + (usage.cache_read_input_tokens ?? 0);
  return {
    ...event,
    usage: { ...usage, input_tokens: usage.input_tokens + cached, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, cache_creation: null },
  };
}

describe('priceUsage properties', () => {
  test('every cost category and the total are non-negative', () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const result = priceUsage(event);
        expect(result.priced).toBe(true);
        for (const value of Object.values(result.breakdown)) expect(value >= 0n).toBe(true);
        expect(result.totalUsd >= 0n).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  test('the breakdown sums exactly to the total', () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const { breakdown, totalUsd } = priceUsage(event);
        const sum = Object.values(breakdown).reduce((a, b) => a + b, 0n);
        expect(sum).toBe(totalUsd);
      }),
      { numRuns: 2_000 },
    );
  });

  test('cache savings equal the cost of the same tokens uncached minus the actual cost', () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const actual = priceUsage(event);
        const uncached = priceUsage(withoutCache(event));
        expect(actual.cacheSavingsUsd).toBe(uncached.totalUsd - actual.totalUsd);
      }),
      { numRuns: 2_000 },
    );
  });

  test('batch costs exactly half of the same request at the standard tier', () => {
    fc.assert(
      fc.property(eventArbitrary, (event) => {
        const noSearch = { ...event, usage: { ...event.usage, server_tool_use: null } };
        const standard = priceUsage({ ...noSearch, usage: { ...noSearch.usage, service_tier: 'standard' } });
        const batch = priceUsage({ ...noSearch, usage: { ...noSearch.usage, service_tier: 'batch' } });
        expect(batch.totalUsd * 2n).toBe(standard.totalUsd);
      }),
      { numRuns: 1_000 },
    );
  });

  test('every id and alias of a model prices identically', () => {
    const models = builtInCatalog().models.filter((model) => model.ids.length > 1);
    fc.assert(
      fc.property(fc.constantFrom(...models), usageArbitrary, (model, usage) => {
        const totals = model.ids.map((id) => priceUsage({ model: id, timestamp: '2026-12-04T00:00:00Z', usage }).totalUsd);
        expect(new Set(totals).size).toBe(1);
      }),
      { numRuns: 500 },
    );
  });
});
