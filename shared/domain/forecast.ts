import { dayOf, daysOfMonth, nextDay, previousDay, startOfDay, weekdayOf } from './time.js';

/**
 * Period-aware projections, in exact integer arithmetic (amounts are tokens or attodollars; a
 * projection is rounded down).
 *
 * - A day is projected from its hours so far: amount × day length ÷ time elapsed, once at least
 *   MIN_DAY_ELAPSED_MS has passed (earlier, one burst would project absurd totals).
 * - A month is projected from its days so far, once MIN_MONTH_ELAPSED_DAYS have passed. Each day
 *   weighs as much as its weekday did over the last 28 days when that history covers all four
 *   weeks (a weekday profile: quiet weekends stay quiet); otherwise every day weighs the same.
 *   projection = amount × (weight of the whole month) ÷ (weight elapsed), where today counts with
 *   the fraction of it that has passed.
 */
export const MIN_DAY_ELAPSED_MS = 2 * 3_600_000;
export const MIN_MONTH_ELAPSED_DAYS = 2;
export const PROFILE_DAYS = 28;

/** Projection of a day's total at `now`, or undefined when it is too early to say. */
export function forecastDay(amount: bigint, day: string, now: number, timeZone: string): bigint | undefined {
  const start = startOfDay(day, timeZone);
  const end = startOfDay(nextDay(day), timeZone);
  if (now >= end) return amount;
  const elapsed = now - start;
  if (elapsed < MIN_DAY_ELAPSED_MS) return undefined;
  return (amount * BigInt(end - start)) / BigInt(elapsed);
}

/** The 28 whole days before `today`, oldest first: the history a weekday profile is built from. */
export function profileDays(today: string): string[] {
  const days: string[] = [];
  let day = today;
  for (let index = 0; index < PROFILE_DAYS; index += 1) days.unshift((day = previousDay(day)));
  return days;
}

/**
 * Weight per weekday (0 = Sunday) from the amounts of the 28 days before today, or undefined when
 * the history does not cover each of the four weeks (a new deployment, a quiet month).
 */
export function weekdayProfile(history: ReadonlyMap<string, bigint>, today: string): bigint[] | undefined {
  const days = profileDays(today);
  const weights = [0n, 0n, 0n, 0n, 0n, 0n, 0n];
  for (let week = 0; week < 4; week += 1) {
    let weekTotal = 0n;
    for (const day of days.slice(week * 7, week * 7 + 7)) {
      const amount = history.get(day) ?? 0n;
      weekTotal += amount;
      weights[weekdayOf(day)]! += amount;
    }
    if (weekTotal === 0n) return undefined;
  }
  return weights;
}

/** Projection of a month's total at `now`, or undefined when it is too early to say. */
export function forecastMonth(amount: bigint, month: string, now: number, timeZone: string, profile?: readonly bigint[]): bigint | undefined {
  const days = daysOfMonth(month);
  const today = dayOf(now, timeZone);
  if (today > days[days.length - 1]!) return amount;
  const todayIndex = days.indexOf(today);
  if (todayIndex < MIN_MONTH_ELAPSED_DAYS) return undefined;
  const project = (weight: (day: string) => bigint): bigint | undefined => {
    const dayStart = startOfDay(today, timeZone);
    const dayLength = BigInt(startOfDay(nextDay(today), timeZone) - dayStart);
    const elapsedToday = BigInt(now - dayStart);
    const whole = days.reduce((sum, day) => sum + weight(day), 0n);
    const full = days.slice(0, todayIndex).reduce((sum, day) => sum + weight(day), 0n);
    const elapsed = full * dayLength + weight(today) * elapsedToday;
    if (elapsed === 0n) return undefined;
    return (amount * whole * dayLength) / elapsed;
  };
  // A month that so far had only days the profile calls idle falls back to even days.
  return (profile && project((day) => profile[weekdayOf(day)]!)) ?? project(() => 1n);
}
