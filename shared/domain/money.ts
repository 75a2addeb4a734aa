/**
 * Exact money. Every amount is an integer count of attodollars (1e-18 USD) held in a bigint, so
 * adding millions of sub-cent costs never drifts the way binary floats do. Catalog rates have at
 * most 6 fractional digits per million tokens and multipliers at most 3, so every product in the
 * cost engine is an exact integer at this scale.
 */
export type Atto = bigint;

export const ATTO_DIGITS = 18;
const ATTO_PER_USD = 10n ** BigInt(ATTO_DIGITS);
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Parses a non-negative decimal string ("3.75") into an integer scaled by 10^scale; throws if it needs more digits. */
export function parseScaledDecimal(text: string, scale: number): bigint {
  const match = DECIMAL.exec(text);
  if (!match) throw new Error(`"${text}" is not a non-negative decimal number`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  if (fraction.length > scale) throw new Error(`"${text}" has more than ${scale} fractional digits`);
  return BigInt(whole + fraction.padEnd(scale, '0'));
}

/** Number of fractional digits written in a decimal string ("0.125" → 3). */
export function fractionDigits(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** A decimal string in dollars, e.g. "12.5" → 12.5 USD as attodollars. */
export function usdToAtto(text: string): Atto {
  const negative = text.startsWith('-');
  const value = parseScaledDecimal(negative ? text.slice(1) : text, ATTO_DIGITS);
  return negative ? -value : value;
}

/**
 * The exact decimal string of an amount, with at least `minFractionDigits` fractional digits and
 * no trailing zeros beyond them: 329123000000000000n → "0.329123".
 */
export function formatUsd(atto: Atto, minFractionDigits = 6): string {
  const negative = atto < 0n;
  const magnitude = negative ? -atto : atto;
  const whole = magnitude / ATTO_PER_USD;
  let fraction = (magnitude % ATTO_PER_USD).toString().padStart(ATTO_DIGITS, '0');
  let end = fraction.length;
  while (end > minFractionDigits && fraction.charCodeAt(end - 1) === 48) end--;
  fraction = fraction.slice(0, end);
  return `${negative ? '-' : ''}${whole}${fraction ? '.' + fraction : ''}`;
}

/** Rounds half away from zero to `digits` fractional digits, for display ("$0.329"). */
export function formatUsdRounded(atto: Atto, digits: number): string {
  const unit = 10n ** BigInt(ATTO_DIGITS - digits);
  const negative = atto < 0n;
  const magnitude = negative ? -atto : atto;
  const rounded = (magnitude + unit / 2n) / unit;
  const text = rounded.toString().padStart(digits + 1, '0');
  const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return `${negative && rounded !== 0n ? '-' : ''}${body}`;
}
