import { describe, expect, test } from '@jest/globals';
import { usdToAtto } from '../../../shared/domain/money.js';
import { emptyTotals, type UsageTotals } from '../../../shared/domain/usageTotals.js';
import { renderSummaryBlock } from '../../../shared/render/summaryBlock.js';

function totals(change: Partial<UsageTotals>, breakdown: Partial<Record<keyof UsageTotals['breakdown'], string>> = {}): UsageTotals {
  const base = emptyTotals();
  for (const [key, value] of Object.entries(breakdown)) base.breakdown[key as keyof UsageTotals['breakdown']] = usdToAtto(value);
  return { ...base, ...change, breakdown: base.breakdown };
}

describe('renderSummaryBlock', () => {
  test('renders the contract example exactly', () => {
    // Prepare
    const example = totals(
      { requests: 12, inputTokens: 45_320, outputTokens: 12_450, costUsd: usdToAtto('0.329123'), cacheSavingsUsd: usdToAtto('0.025') },
      { inputUsd: '0.13596', outputUsd: '0.18675' },
    );

    // Act
    const block = renderSummaryBlock(example, { limits: [{ name: 'daily_limit', unit: 'tokens', limit: 1_000_000, used: 67_944, usedPct: 6.8 }] });

    // Assess
    expect(block).toBe(
      [
        'Token Usage Summary',
        '==================',
        'Input Tokens:    45,320 ($0.136)',
        'Output Tokens:   12,450 ($0.187)',
        'Cache Savings:   $0.025',
        'Total Cost:      $0.329',
        'Daily Limit:     6.8% used',
      ].join('\n'),
    );
  });

  test('adds cache, web search and unpriced lines only when they are non-zero, and omits savings when not tracked', () => {
    // Prepare
    const withCache = totals(
      { inputTokens: 1, outputTokens: 2, cacheCreationInputTokens: 2_051, cacheReadInputTokens: 1_234_567, webSearchRequests: 3, unpricedRequests: 2, costUsd: usdToAtto('1') },
      { cacheWrite5mUsd: '0.004', cacheWrite1hUsd: '0.0035', cacheReadUsd: '0.37037', webSearchUsd: '0.03' },
    );

    // Act
    const block = renderSummaryBlock(withCache, {
      trackCacheSavings: false,
      limits: [
        { name: 'monthly_cost_limit_usd', unit: 'usd', limit: 1000, used: '812.5', usedPct: 81.25 },
        { name: 'chat-opus', unit: 'usd', limit: 200, used: '10', usedPct: 5 },
      ],
    });

    // Assess
    expect(block.split('\n').slice(4)).toEqual([
      'Cache Writes:    2,051 ($0.008)',
      'Cache Reads:     1,234,567 ($0.370)',
      'Web Searches:    3 ($0.030)',
      'Total Cost:      $1.000',
      'Unpriced:        2 requests (no known price; left out of Total Cost)',
      'Monthly Cost Limit: 81.3% used',
      'Budget chat-opus: 5.0% used',
    ]);
  });

  test('negative savings show a minus before the dollar sign', () => {
    const block = renderSummaryBlock(totals({ cacheSavingsUsd: usdToAtto('-0.00153825') }));
    expect(block).toContain('Cache Savings:   -$0.002');
  });
});
