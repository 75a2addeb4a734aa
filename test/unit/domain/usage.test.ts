import { describe, expect, test } from '@jest/globals';
import { parseUsageRecord, usageEventSchema } from '../../../shared/domain/usage.js';
import { contractExample } from '../../support/usageEvents.js';


describe('usage event schema', () => {
  test('accepts the contract example unchanged', () => {
    expect(usageEventSchema.parse(contractExample)).toEqual(contractExample);
  });

  test('keeps fields it does not know, in the event and in usage', () => {
    // Prepare
    const event = { ...contractExample, rateLimits: { tokensRemaining: 1000 }, usage: { ...contractExample.usage, iterations: [{ input_tokens: 1 }], cache_miss_reason: { x: 1 } } };

    // Act
    const parsed = usageEventSchema.parse(event);

    // Assess
    expect(parsed).toEqual(event);
  });

  test.each([
    ['a missing id', { id: undefined }, 'id: is required'],
    ['a negative token count', { usage: { input_tokens: -1, output_tokens: 1 } }, 'usage.input_tokens: expected a non-negative integer'],
    ['a fractional token count', { usage: { input_tokens: 1.5, output_tokens: 1 } }, 'usage.input_tokens: expected a non-negative integer'],
    ['a missing output_tokens', { usage: { input_tokens: 1 } }, 'usage.output_tokens: is required'],
    ['a timestamp that is not RFC 3339', { timestamp: '04/12/2026' }, 'timestamp: expected an RFC 3339 timestamp'],
    ['more than 20 tags', { tags: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, 'v'])) }, 'tags: at most 20 tags'],
    ['a tag value over 256 characters', { tags: { app: 'x'.repeat(257) } }, 'tags.app: tag values are at most 256 characters'],
    [
      'a TTL split that disagrees with cache_creation_input_tokens',
      { usage: { input_tokens: 1, output_tokens: 1, cache_creation_input_tokens: 10, cache_creation: { ephemeral_5m_input_tokens: 3, ephemeral_1h_input_tokens: 0 } } },
      'usage.cache_creation: 5-minute plus 1-hour cache writes (3) differ from cache_creation_input_tokens (10)',
    ],
  ])('rejects %s with a clear reason', (_name, change, reason) => {
    // Act
    const result = parseUsageRecord({ ...contractExample, ...change }, '2026-12-04T00:00:00Z');

    // Assess
    expect(result).toEqual({ ok: false, reason });
  });

  test('a raw Messages API response becomes an event at the given time', () => {
    // Prepare
    const response = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-haiku-4-5', content: [], usage: { input_tokens: 5, output_tokens: 7 } };

    // Act
    const result = parseUsageRecord(response, '2026-12-04T00:00:00.000Z');

    // Assess
    expect(result).toEqual({ ok: true, event: { id: 'msg_1', model: 'claude-haiku-4-5', timestamp: '2026-12-04T00:00:00.000Z', usage: { input_tokens: 5, output_tokens: 7 } } });
  });
});
