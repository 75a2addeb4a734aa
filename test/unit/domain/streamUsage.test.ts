import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { mergeStreamUsage } from '../../../shared/domain/streamUsage.js';
import type { MessageDeltaUsage, MessagesUsage } from '../../../shared/domain/usage.js';

const start: MessagesUsage = {
  input_tokens: 2095,
  output_tokens: 1,
  cache_creation_input_tokens: 2051,
  cache_read_input_tokens: 0,
  cache_creation: { ephemeral_5m_input_tokens: 51, ephemeral_1h_input_tokens: 2000 },
  service_tier: 'standard',
  inference_geo: 'us',
};

describe('mergeStreamUsage', () => {
  test('cumulative message_delta counts replace the placeholder and are never added', () => {
    // Prepare
    const deltas: MessageDeltaUsage[] = [{ output_tokens: 50 }, { output_tokens: 120 }, { output_tokens: 503 }];

    // Act
    const merged = mergeStreamUsage(start, deltas);

    // Assess
    expect(merged.output_tokens).toBe(503);
    expect(merged.input_tokens).toBe(2095);
  });

  test('a delta that repeats input and cache counts overwrites them, and null or absent fields keep the earlier value', () => {
    // Prepare
    const deltas: MessageDeltaUsage[] = [
      { input_tokens: 10682, cache_creation_input_tokens: 2051, cache_read_input_tokens: 7, output_tokens: 510, server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 } },
      { output_tokens: 600, input_tokens: null, cache_read_input_tokens: null, output_tokens_details: { thinking_tokens: 200 } },
    ];

    // Act
    const merged = mergeStreamUsage(start, deltas);

    // Assess
    expect(merged).toMatchObject({
      input_tokens: 10682,
      cache_read_input_tokens: 7,
      output_tokens: 600,
      server_tool_use: { web_search_requests: 1, web_fetch_requests: 0 },
      output_tokens_details: { thinking_tokens: 200 },
    });
  });

  test('the TTL split, service tier and inference geo come from message_start', () => {
    // Prepare: a delta that (against the documented shape) carries these fields
    const delta = { output_tokens: 9, cache_creation: { ephemeral_5m_input_tokens: 2051, ephemeral_1h_input_tokens: 0 }, service_tier: 'batch', inference_geo: 'global' };

    // Act
    const merged = mergeStreamUsage(start, [delta as MessageDeltaUsage]);

    // Assess
    expect(merged.cache_creation).toEqual(start.cache_creation);
    expect(merged.service_tier).toBe('standard');
    expect(merged.inference_geo).toBe('us');
  });

  test('the result equals the last non-null value of each field, whatever the deltas', () => {
    const count = fc.option(fc.nat({ max: 1_000_000 }), { nil: null });
    fc.assert(
      fc.property(fc.array(fc.record({ output_tokens: count, input_tokens: count, cache_read_input_tokens: count }), { maxLength: 8 }), (deltas) => {
        const merged = mergeStreamUsage(start, deltas);
        for (const field of ['output_tokens', 'input_tokens', 'cache_read_input_tokens'] as const) {
          const last = deltas.map((delta) => delta[field]).filter((value) => value !== null).at(-1);
          expect(merged[field]).toBe(last ?? start[field]);
        }
      }),
    );
  });
});
