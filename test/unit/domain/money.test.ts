import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { formatUsd, formatUsdRounded, parseScaledDecimal, usdToAtto } from '../../../shared/domain/money.js';

describe('money', () => {
  test.each([
    [0n, '0.000000'],
    [1n, '0.000000000000000001'],
    [329_123_000_000_000_000n, '0.329123'],
    [-1_538_250_000_000_000n, '-0.00153825'],
    [75_000_000n * 10n ** 18n, '75000000.000000'],
  ])('formatUsd(%p) is the exact decimal %p with at least 6 fractional digits', (atto, text) => {
    expect(formatUsd(atto)).toBe(text);
  });

  test('formatting and parsing round-trip every amount exactly', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (atto) => {
        expect(usdToAtto(formatUsd(atto))).toBe(atto);
      }),
    );
  });

  test.each([
    [135_500_000_000_000_000n, '0.136'],
    [135_499_999_999_999_999n, '0.135'],
    [-25_500_000_000_000_000n, '-0.026'],
    [-400_000_000_000_000n, '0.000'],
    [12_000_000_000_000_000_000n, '12.000'],
  ])('formatUsdRounded(%p, 3) rounds half away from zero to %p', (atto, text) => {
    expect(formatUsdRounded(atto, 3)).toBe(text);
  });

  test('parseScaledDecimal refuses more digits than the scale instead of rounding', () => {
    expect(parseScaledDecimal('3.75', 2)).toBe(375n);
    expect(() => parseScaledDecimal('0.125', 2)).toThrow('more than 2 fractional digits');
    expect(() => parseScaledDecimal('-1', 2)).toThrow('not a non-negative decimal');
  });

  test('summing a million sub-cent amounts stays exact where floats drift', () => {
    // Prepare: $0.0000003 is 1 token of Sonnet input at $0.30/MTok cache read
    const amount = usdToAtto('0.0000003');
    let float = 0;
    let exact = 0n;

    // Act
    for (let i = 0; i < 1_000_000; i++) {
      exact += amount;
      float += 0.0000003;
    }

    // Assess
    expect(formatUsd(exact)).toBe('0.300000');
    expect(float).not.toBe(0.3);
  });
});
