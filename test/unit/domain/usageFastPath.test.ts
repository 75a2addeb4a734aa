import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { isPlainValidUsageEvent, usageEventSchema } from '../../../shared/domain/usage.js';

const count = fc.oneof(fc.nat({ max: 10_000_000 }), fc.constant(Number.MAX_SAFE_INTEGER));
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

const validEvent = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 40 }),
    timestamp: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((date) => date.toISOString()),
    model: fc.string({ minLength: 1, maxLength: 40 }),
    input: count,
    output: count,
    write5m: fc.nat({ max: 100_000 }),
    write1h: fc.nat({ max: 100_000 }),
    read: optional(fc.option(count, { nil: null })),
    tier: optional(fc.option(fc.constantFrom('standard', 'batch', 'priority', 'flex'), { nil: null })),
    tags: optional(fc.dictionary(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ maxLength: 256 }), { maxKeys: 20 })),
    latencyMs: optional(fc.double({ min: 0, max: 1e7, noNaN: true })),
    stream: optional(fc.boolean()),
  })
  .map(({ input, output, write5m, write1h, read, tier, ...rest }) => {
    const event: Record<string, unknown> = {
      id: rest.id,
      timestamp: rest.timestamp,
      model: rest.model,
      usage: {
        input_tokens: input,
        output_tokens: output,
        cache_creation_input_tokens: write5m + write1h,
        cache_creation: { ephemeral_5m_input_tokens: write5m, ephemeral_1h_input_tokens: write1h },
        ...(read === undefined ? {} : { cache_read_input_tokens: read }),
        ...(tier === undefined ? {} : { service_tier: tier }),
      },
    };
    if (rest.tags !== undefined) event.tags = rest.tags;
    if (rest.latencyMs !== undefined) event.latencyMs = rest.latencyMs;
    if (rest.stream !== undefined) event.stream = rest.stream;
    return event;
  });

const paths = [
  ['id'], ['timestamp'], ['model'], ['usage'], ['usage', 'input_tokens'], ['usage', 'output_tokens'],
  ['usage', 'cache_creation_input_tokens'], ['usage', 'cache_read_input_tokens'], ['usage', 'cache_creation'],
  ['usage', 'cache_creation', 'ephemeral_5m_input_tokens'], ['usage', 'server_tool_use'], ['usage', 'output_tokens_details'],
  ['usage', 'output_tokens_details', 'thinking_tokens'], ['usage', 'service_tier'], ['usage', 'speed'], ['tags'], ['tags', 'app'],
  ['requestId'], ['latencyMs'], ['stream'], ['stopReason'],
];

const awkwardValue = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom(-1, 1.5, 2 ** 60, '', 'x'.repeat(600), '2026-13-45T99:99:99Z', '2026-12-04', null, [], {}, undefined),
);

function mutate(event: Record<string, unknown>, path: string[], value: unknown): unknown {
  const copy = structuredClone(event);
  let target: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = target[key];
    if (typeof next !== 'object' || next === null) target[key] = {};
    target = target[key] as Record<string, unknown>;
  }
  const last = path.at(-1)!;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

describe('isPlainValidUsageEvent (the fast path before schema validation)', () => {
  test('accepts valid events, which the schema accepts unchanged', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const tags = event.tags as Record<string, string> | undefined;
        fc.pre(!tags || !Object.hasOwn(tags, '__proto__'));
        expect(isPlainValidUsageEvent(event)).toBe(true);
        expect(usageEventSchema.parse(event)).toEqual(event);
      }),
      { numRuns: 1_000 },
    );
  });

  test('leaves a "__proto__" tag to the schema, which drops it', () => {
    // Found by the property above: the schema strips this key, so the fast path must not accept it as is.
    const event = JSON.parse('{"id":"a","timestamp":"2026-12-04T00:00:00Z","model":"m","usage":{"input_tokens":1,"output_tokens":1},"tags":{"__proto__":"x","app":"y"}}');
    expect(isPlainValidUsageEvent(event)).toBe(false);
    expect(usageEventSchema.parse(event).tags).toEqual({ app: 'y' });
  });

  test('never accepts what the schema rejects, however an event is mutated', () => {
    fc.assert(
      fc.property(validEvent, fc.constantFrom(...paths), awkwardValue, (event, path, value) => {
        const mutated = mutate(event, path, value);
        if (isPlainValidUsageEvent(mutated)) expect(usageEventSchema.safeParse(mutated).success).toBe(true);
      }),
      { numRuns: 5_000 },
    );
  });
});
