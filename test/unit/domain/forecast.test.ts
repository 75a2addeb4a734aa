import { describe, expect, test } from '@jest/globals';
import { forecastDay, forecastMonth, profileDays, weekdayProfile } from '../../../shared/domain/forecast.js';

const at = (iso: string) => Date.parse(iso);

describe('day forecasts from the hours so far', () => {
  test('at noon a day projects twice its usage so far; at 18:00 four thirds of it', () => {
    // Act / Assess
    expect(forecastDay(1000n, '2026-12-04', at('2026-12-04T12:00:00Z'), 'UTC')).toBe(2000n);
    expect(forecastDay(1000n, '2026-12-04', at('2026-12-04T18:00:00Z'), 'UTC')).toBe(1333n);
  });

  test('is silent in the first two hours, and a finished day is its own total', () => {
    // Act / Assess
    expect(forecastDay(1000n, '2026-12-04', at('2026-12-04T01:59:59Z'), 'UTC')).toBeUndefined();
    expect(forecastDay(1000n, '2026-12-04', at('2026-12-04T02:00:00Z'), 'UTC')).toBe(12_000n);
    expect(forecastDay(1000n, '2026-12-04', at('2026-12-05T03:00:00Z'), 'UTC')).toBe(1000n);
  });

  test('counts the local day in the configured zone, 23 hours long on a spring-forward day', () => {
    // Prepare: 2026-03-29 in Berlin runs 2026-03-28T23:00Z..2026-03-29T22:00Z (23 h); noon UTC is 13 h in
    const now = at('2026-03-29T12:00:00Z');

    // Act
    const projection = forecastDay(1300n, '2026-03-29', now, 'Europe/Berlin');

    // Assess: 1300 × 23 ÷ 13
    expect(projection).toBe(2300n);
  });
});

describe('month forecasts from the days so far', () => {
  test('without history every day weighs the same: 10 days of December project 31/10 of the usage', () => {
    // Act
    const projection = forecastMonth(1000n, '2026-12', at('2026-12-11T00:00:00Z'), 'UTC');

    // Assess
    expect(projection).toBe(3100n);
  });

  test('the first two days are too early; a finished month is its own total', () => {
    // Act / Assess
    expect(forecastMonth(1000n, '2026-12', at('2026-12-02T23:00:00Z'), 'UTC')).toBeUndefined();
    expect(forecastMonth(1000n, '2026-12', at('2026-12-03T00:00:00Z'), 'UTC')).toBe(15_500n);
    expect(forecastMonth(1000n, '2026-11', at('2026-12-03T00:00:00Z'), 'UTC')).toBe(1000n);
  });

  test('a weekday profile from four full weeks of history keeps quiet weekends quiet', () => {
    // Prepare: 28 days before 2026-12-11 with 100 on weekdays and nothing on weekends
    const today = '2026-12-11';
    const history = new Map(profileDays(today).map((day) => [day, [0, 6].includes(new Date(`${day}T00:00:00Z`).getUTCDay()) ? 0n : 100n]));
    const profile = weekdayProfile(history, today);

    // Act: Dec 1-10 2026 hold 8 weekdays (Tue 1 .. Thu 10); December has 23 weekdays
    const projection = forecastMonth(800n, '2026-12', at('2026-12-11T00:00:00Z'), 'UTC', profile);

    // Assess: 800 × (23 × 400) ÷ (8 × 400) = 2300, not the even-days 800 × 31 ÷ 10 = 2480
    expect(profile).toEqual([0n, 400n, 400n, 400n, 400n, 400n, 0n]);
    expect(projection).toBe(2300n);
  });

  test('history missing a whole week gives no profile', () => {
    // Prepare: only the last three weeks have usage
    const today = '2026-12-11';
    const history = new Map(profileDays(today).map((day, index) => [day, index < 7 ? 0n : 50n]));

    // Act / Assess
    expect(weekdayProfile(history, today)).toBeUndefined();
  });

  test('a month that so far had only days the profile calls idle falls back to even days', () => {
    // Prepare: a profile with usage only on Saturdays and Sundays; June 2026 starts on a Monday
    const profile = [100n, 0n, 0n, 0n, 0n, 0n, 100n];

    // Act: three full days (Mon-Wed) elapsed
    const projection = forecastMonth(300n, '2026-06', at('2026-06-04T00:00:00Z'), 'UTC', profile);

    // Assess: June 1-3 are Mon-Wed (weight 0) → even days: 300 × 30 ÷ 3
    expect(projection).toBe(3000n);
  });
});
