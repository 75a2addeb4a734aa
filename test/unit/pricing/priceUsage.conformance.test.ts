import { describe, expect, test } from '@jest/globals';
import { formatUsd } from '../../../shared/domain/money.js';
import { breakdownToJson } from '../../../shared/domain/usageTotals.js';
import { priceUsage } from '../../../shared/pricing/priceUsage.js';
import type { MessagesUsage } from '../../../shared/domain/usage.js';
import { usageEvent } from '../../support/usageEvents.js';

type Expected = Partial<Record<'inputUsd' | 'outputUsd' | 'cacheWrite5mUsd' | 'cacheWrite1hUsd' | 'cacheReadUsd' | 'webSearchUsd', string>> & {
  total: string;
  savings?: string;
};

interface Case {
  rule: string;
  model: string;
  usage: Partial<MessagesUsage>;
  timestamp?: string;
  expected: Expected;
}

const M = 1_000_000;

// Every expectation below is computed by hand from the published per-MTok rates in
// shared/pricing/catalog.json: tokens × rate ÷ 1,000,000 × multipliers.
const cases: Case[] = [
  // base categories (Sonnet 4.5: $3 in, $15 out, $3.75 5m, $6 1h, $0.30 read)
  { rule: 'input tokens at the base input rate', model: 'claude-sonnet-4-5', usage: { input_tokens: 100_000 }, expected: { inputUsd: '0.300000', total: '0.300000', savings: '0.000000' } },
  { rule: 'output tokens at the output rate', model: 'claude-sonnet-4-5', usage: { output_tokens: 1_000 }, expected: { outputUsd: '0.015000', total: '0.015000' } },
  {
    rule: '5-minute cache writes at 1.25× input',
    model: 'claude-sonnet-4-5',
    usage: { cache_creation_input_tokens: 100_000, cache_creation: { ephemeral_5m_input_tokens: 100_000, ephemeral_1h_input_tokens: 0 } },
    expected: { cacheWrite5mUsd: '0.375000', total: '0.375000', savings: '-0.075000' },
  },
  {
    rule: '1-hour cache writes at 2× input',
    model: 'claude-sonnet-4-5',
    usage: { cache_creation_input_tokens: 100_000, cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 100_000 } },
    expected: { cacheWrite1hUsd: '0.600000', total: '0.600000', savings: '-0.300000' },
  },
  { rule: 'cache reads at the model read rate', model: 'claude-sonnet-4-5', usage: { cache_read_input_tokens: 100_000 }, expected: { cacheReadUsd: '0.030000', total: '0.030000', savings: '0.270000' } },
  { rule: 'web search at $10 per 1,000 requests', model: 'claude-sonnet-4-5', usage: { server_tool_use: { web_search_requests: 3, web_fetch_requests: 2 } }, expected: { webSearchUsd: '0.030000', total: '0.030000' } },
  {
    rule: 'cache_creation_input_tokens without a TTL split are 5-minute writes',
    model: 'claude-sonnet-4-5',
    usage: { cache_creation_input_tokens: 100_000 },
    expected: { cacheWrite5mUsd: '0.375000', cacheWrite1hUsd: '0.000000', total: '0.375000' },
  },
  {
    rule: 'mixed 5-minute and 1-hour writes are priced separately',
    model: 'claude-haiku-4-5',
    usage: { input_tokens: 10, cache_creation_input_tokens: 3_000, cache_creation: { ephemeral_5m_input_tokens: 1_000, ephemeral_1h_input_tokens: 2_000 } },
    // 10 × $1 + 1,000 × $1.25 + 2,000 × $2 per MTok
    expected: { inputUsd: '0.000010', cacheWrite5mUsd: '0.001250', cacheWrite1hUsd: '0.004000', total: '0.005260', savings: '-0.002250' },
  },
  { rule: 'a model with its own cache-read rate (Fable 5.1: 0.025×)', model: 'claude-fable-5-1', usage: { cache_read_input_tokens: M }, expected: { cacheReadUsd: '0.250000', total: '0.250000', savings: '9.750000' } },
  { rule: 'a published write rate that is not 1.25× (Haiku 3: $0.30)', model: 'claude-3-haiku-20240307', usage: { cache_creation_input_tokens: M }, expected: { cacheWrite5mUsd: '0.300000', total: '0.300000' } },
  { rule: 'zero tokens cost exactly zero', model: 'claude-opus-4-8', usage: {}, expected: { inputUsd: '0.000000', total: '0.000000', savings: '0.000000' } },

  // long context, Sonnet 4 / 4.5: judged on input + cache writes + cache reads
  { rule: 'Sonnet 4.5 at exactly 200,000 prompt tokens stays at base rates', model: 'claude-sonnet-4-5', usage: { input_tokens: 200_000, output_tokens: 1_000 }, expected: { inputUsd: '0.600000', outputUsd: '0.015000', total: '0.615000' } },
  { rule: 'Sonnet 4.5 at 200,001 prompt tokens prices every token at >200K rates', model: 'claude-sonnet-4-5', usage: { input_tokens: 200_001, output_tokens: 1_000 }, expected: { inputUsd: '1.200006', outputUsd: '0.022500', total: '1.222506' } },
  {
    rule: 'cache reads count toward the 200K threshold',
    model: 'claude-sonnet-4-5',
    usage: { input_tokens: 100_000, cache_read_input_tokens: 100_001, output_tokens: 1_000 },
    // 100,000 × $6 + 100,001 × $0.60 + 1,000 × $22.50
    expected: { inputUsd: '0.600000', cacheReadUsd: '0.0600006', outputUsd: '0.022500', total: '0.6825006' },
  },
  {
    rule: 'cache writes count toward the 200K threshold and are priced at long-context write rates',
    model: 'claude-sonnet-4-20250514',
    usage: { input_tokens: 150_000, cache_creation_input_tokens: 50_001 },
    expected: { inputUsd: '0.900000', cacheWrite5mUsd: '0.3750075', total: '1.2750075' },
  },
  { rule: 'Sonnet 5 has no long-context premium', model: 'claude-sonnet-5', usage: { input_tokens: 500_000 }, expected: { inputUsd: '1.000000', total: '1.000000' } },

  // Haiku 5.5 prompt bands
  { rule: 'Haiku 5.5 at 100,000 prompt tokens uses the ≤100K band', model: 'claude-haiku-5-5', usage: { input_tokens: 100_000, output_tokens: 1_000 }, expected: { inputUsd: '0.010000', outputUsd: '0.000500', total: '0.010500' } },
  { rule: 'Haiku 5.5 at 100,001 prompt tokens uses the >100K band for all tokens', model: 'claude-haiku-5-5', usage: { input_tokens: 100_001, output_tokens: 1_000 }, expected: { inputUsd: '0.0500005', outputUsd: '0.002500', total: '0.0525005' } },
  {
    rule: 'Haiku 5.5 band judged on input + cache reads',
    model: 'claude-haiku-5-5',
    usage: { input_tokens: 1, cache_read_input_tokens: 100_000 },
    expected: { inputUsd: '0.0000005', cacheReadUsd: '0.005000', total: '0.0050005', savings: '0.045000' },
  },

  // multipliers
  { rule: 'batch halves input', model: 'claude-sonnet-4-5', usage: { input_tokens: 100_000, service_tier: 'batch' }, expected: { inputUsd: '0.150000', total: '0.150000' } },
  { rule: 'batch halves output', model: 'claude-sonnet-4-5', usage: { output_tokens: M, service_tier: 'batch' }, expected: { outputUsd: '7.500000', total: '7.500000' } },
  { rule: 'US-only inference is 1.1× on Claude 4.6 and later', model: 'claude-sonnet-4-6', usage: { input_tokens: M, inference_geo: 'us' }, expected: { inputUsd: '3.300000', total: '3.300000' } },
  { rule: 'global inference is standard', model: 'claude-sonnet-4-6', usage: { input_tokens: M, inference_geo: 'global' }, expected: { inputUsd: '3.000000', total: '3.000000' } },
  { rule: 'no US multiplier before Claude 4.6', model: 'claude-sonnet-4-5', usage: { input_tokens: 100_000, inference_geo: 'us' }, expected: { inputUsd: '0.300000', total: '0.300000' } },
  {
    rule: 'batch × US-only × every cache category stack',
    model: 'claude-opus-4-8',
    usage: {
      input_tokens: M,
      output_tokens: M,
      cache_creation_input_tokens: 2 * M,
      cache_creation: { ephemeral_5m_input_tokens: M, ephemeral_1h_input_tokens: M },
      cache_read_input_tokens: M,
      service_tier: 'batch',
      inference_geo: 'us',
    },
    // × 0.55 of $5 / $25 / $6.25 / $10 / $0.50
    expected: { inputUsd: '2.750000', outputUsd: '13.750000', cacheWrite5mUsd: '3.437500', cacheWrite1hUsd: '5.500000', cacheReadUsd: '0.275000', total: '25.712500', savings: '-0.962500' },
  },
  {
    rule: 'batch stacks with long context',
    model: 'claude-sonnet-4-5',
    usage: { input_tokens: 300_000, output_tokens: 1_000, service_tier: 'batch' },
    expected: { inputUsd: '0.900000', outputUsd: '0.011250', total: '0.911250' },
  },
  { rule: 'priority tier is priced at standard list rates', model: 'claude-sonnet-4-5', usage: { input_tokens: 100_000, service_tier: 'priority' }, expected: { inputUsd: '0.300000', total: '0.300000' } },
  { rule: 'fast mode uses the published fast rates', model: 'claude-opus-4-8', usage: { input_tokens: M, output_tokens: M, speed: 'fast' }, expected: { inputUsd: '10.000000', outputUsd: '50.000000', total: '60.000000' } },
  { rule: 'fast mode stacks with US-only inference', model: 'claude-opus-5', usage: { input_tokens: M, speed: 'fast', inference_geo: 'us' }, expected: { inputUsd: '11.000000', total: '11.000000' } },

  // ids
  { rule: 'an undated id', model: 'claude-sonnet-4-5', usage: { input_tokens: 1_000 }, expected: { total: '0.003000' } },
  { rule: 'the dated id of the same model prices the same', model: 'claude-sonnet-4-5-20250929', usage: { input_tokens: 1_000 }, expected: { total: '0.003000' } },
  { rule: 'an alias prices as its model', model: 'claude-3-5-haiku-latest', usage: { input_tokens: 1_000 }, expected: { total: '0.000800' } },
  { rule: 'an unlisted dated snapshot prices as its undated model', model: 'claude-opus-4-8-20270101', usage: { input_tokens: 1_000 }, expected: { total: '0.005000' } },

  // size and exactness
  { rule: '10^12 output tokens are exact', model: 'claude-opus-4-1', usage: { output_tokens: 1_000_000_000_000 }, expected: { outputUsd: '75000000.000000', total: '75000000.000000' } },
  {
    rule: '10^12 tokens at sub-cent rates are exact to the last digit',
    model: 'claude-haiku-5-5',
    usage: { input_tokens: 1, cache_read_input_tokens: 999_999_999_999 },
    expected: { inputUsd: '0.0000005', cacheReadUsd: '49999.99999995', total: '50000.00000045' },
  },
  { rule: 'a single token keeps its fraction of a cent', model: 'claude-haiku-5-5', usage: { cache_read_input_tokens: 1 }, expected: { cacheReadUsd: '0.00000001', total: '0.00000001' } },

  // effective dates: Sonnet 4.6 lost its long-context premium on 2026-09-01
  { rule: 'an event before a price change uses the old row', model: 'claude-sonnet-4-6', timestamp: '2026-08-31T23:59:59Z', usage: { input_tokens: 250_000 }, expected: { inputUsd: '1.500000', total: '1.500000' } },
  { rule: 'an event at the change uses the new row', model: 'claude-sonnet-4-6', timestamp: '2026-09-01T00:00:00Z', usage: { input_tokens: 250_000 }, expected: { inputUsd: '0.750000', total: '0.750000' } },
  { rule: 'a timestamp offset is honoured when choosing the row', model: 'claude-sonnet-4-6', timestamp: '2026-09-01T01:00:00+02:00', usage: { input_tokens: 250_000 }, expected: { total: '1.500000' } },
];

describe('priceUsage conformance', () => {
  test.each(cases)('$rule', ({ model, usage, timestamp, expected }) => {
    // Prepare
    const event = usageEvent(model, usage, timestamp);

    // Act
    const result = priceUsage(event);

    // Assess
    expect(result.priced).toBe(true);
    const breakdown = breakdownToJson(result.breakdown);
    const { total, savings, ...categories } = expected;
    expect(breakdown).toMatchObject(categories);
    expect(formatUsd(result.totalUsd)).toBe(total);
    if (savings !== undefined) expect(formatUsd(result.cacheSavingsUsd)).toBe(savings);
  });
});

describe('priceUsage refuses to guess', () => {
  test.each([
    ['an unknown model', 'claude-imaginary-9', {}, 'model "claude-imaginary-9" is not in the price catalog'],
    ['fast mode on a model without fast rates', 'claude-sonnet-4-5', { speed: 'fast' }, 'no fast-mode price for claude-sonnet-4-5'],
    ['an unknown service tier', 'claude-sonnet-4-5', { service_tier: 'flex' }, 'unknown service_tier "flex"'],
    ['an unknown inference geo', 'claude-opus-4-8', { inference_geo: 'eu' }, 'unknown inference_geo "eu"'],
  ] as const)('%s is unpriced with a reason, never $0', (_name, model, usage, reason) => {
    // Prepare
    const event = usageEvent(model, { input_tokens: 1_000, output_tokens: 10, ...usage });

    // Act
    const result = priceUsage(event);

    // Assess
    expect(result).toMatchObject({ priced: false, reason });
    expect(result.quantities.inputTokens).toBe(1_000);
  });
});
