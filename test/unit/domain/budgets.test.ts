import { describe, expect, test } from '@jest/globals';
import { budgetsFromConfig, crosses, globMatcher, percentOf, wholePercentOf } from '../../../shared/domain/budgets.js';
import { parseConfig } from '../../../shared/config/config.js';
import { dimensionsOf } from '../../../shared/usecases/rollup.js';
import { usageEvent } from '../../support/usageEvents.js';

describe('budgets from the configuration', () => {
  test('the four limits become budgets with [alert_threshold, 100] and named budgets keep their own thresholds', () => {
    // Prepare
    const config = parseConfig(
      {
        token_monitoring: {
          alert_threshold: 75,
          daily_limit: 1_000_000,
          monthly_limit: 30_000_000,
          daily_cost_limit_usd: 50,
          monthly_cost_limit_usd: 1000.25,
          budgets: [
            { name: 'chat-opus', period: 'month', limit_usd: 200, thresholds: [80, 50, 100, 80], forecast_thresholds: [100], filter: { model: 'claude-opus-*', tags: { feature: 'chat' } } },
            { name: 'all-day', period: 'day', limit_tokens: 500 },
          ],
        },
      },
      'test',
    );

    // Act
    const budgets = budgetsFromConfig(config);

    // Assess
    expect(budgets.map((budget) => [budget.name, budget.period, budget.unit, budget.limit, budget.thresholds, budget.forecastThresholds, budget.dimension])).toEqual([
      ['daily_limit', 'day', 'tokens', 1_000_000n, [75, 100], [], 'total'],
      ['monthly_limit', 'month', 'tokens', 30_000_000n, [75, 100], [], 'total'],
      ['daily_cost_limit_usd', 'day', 'usd', 50n * 10n ** 18n, [75, 100], [], 'total'],
      ['monthly_cost_limit_usd', 'month', 'usd', 100025n * 10n ** 16n, [75, 100], [], 'total'],
      ['chat-opus', 'month', 'usd', 200n * 10n ** 18n, [50, 80, 100], [100], 'budget#chat-opus'],
      ['all-day', 'day', 'tokens', 500n, [75, 100], [], 'total'],
    ]);
  });

  test('a filtered budget gets its own summary row for exactly the events its model glob and tags match', () => {
    // Prepare
    const [budget] = budgetsFromConfig(parseConfig({ token_monitoring: { budgets: [{ name: 'chat-opus', period: 'month', limit_usd: 1, filter: { model: 'claude-opus-*', tags: { feature: 'chat' } } }] } }, 'test'));
    const settings = { groupByTags: [], budgets: [budget!] };
    const opusChat = { ...usageEvent('claude-opus-4-5', {}), tags: { feature: 'chat' } };
    const opusSearch = { ...usageEvent('claude-opus-4-5', {}), tags: { feature: 'search' } };
    const sonnetChat = { ...usageEvent('claude-sonnet-4-5', {}), tags: { feature: 'chat' } };

    // Act
    const dimensions = [opusChat, opusSearch, sonnetChat].map((event) => dimensionsOf(event, settings));

    // Assess
    expect(dimensions).toEqual([
      ['total', 'model#claude-opus-4-5', 'tier#standard#claude-opus-4-5', 'budget#chat-opus'],
      ['total', 'model#claude-opus-4-5', 'tier#standard#claude-opus-4-5'],
      ['total', 'model#claude-sonnet-4-5', 'tier#standard#claude-sonnet-4-5'],
    ]);
  });

  test('globs match whole ids, * matches any run and other characters are literal', () => {
    // Prepare
    const opus = globMatcher('claude-opus-*');
    const dotted = globMatcher('a.b');

    // Act / Assess
    expect([opus('claude-opus-4-5'), opus('claude-opus-'), opus('x-claude-opus-4'), opus('claude-sonnet-4')]).toEqual([true, true, false, false]);
    expect([dotted('a.b'), dotted('axb')]).toEqual([true, false]);
  });
});

describe('exact threshold arithmetic', () => {
  test('80% of 1,000,000 tokens is crossed at 800,000 and not at 799,999', () => {
    // Act / Assess
    expect(crosses(799_999n, 1_000_000n, 80)).toBe(false);
    expect(crosses(800_000n, 1_000_000n, 80)).toBe(true);
    expect(crosses(1_000_000n, 1_000_000n, 100)).toBe(true);
    expect(crosses(999_999n, 1_000_000n, 100)).toBe(false);
  });

  test('fractional thresholds and dollar limits compare exactly, without binary floats', () => {
    // Prepare: $0.30 limit in attodollars, 33.333% threshold → 0.099999 USD
    const limit = 3n * 10n ** 17n;

    // Act / Assess
    expect(crosses(99_998_999_999_999_999n, limit, 33.333)).toBe(false);
    expect(crosses(99_999_000_000_000_000n, limit, 33.333)).toBe(true);
  });

  test('percentages round half up to one decimal; subjects use the whole percent rounded down', () => {
    // Act / Assess
    expect(percentOf(812_345n, 1_000_000n)).toBe(81.2);
    expect(percentOf(812_450n, 1_000_000n)).toBe(81.2);
    expect(percentOf(812_500n, 1_000_000n)).toBe(81.3);
    expect(percentOf(999_999n, 1_000_000n)).toBe(100);
    expect(wholePercentOf(999_999n, 1_000_000n)).toBe(99);
  });
});
