import * as z from 'zod';
import { isValidDay } from '../domain/time.js';

/** tokmon.yaml (CONTRACT §6). Unknown keys are refused so that a typo never silently disables a limit. */
const percent = z.number({ error: 'expected a percentage' }).gt(0, { error: 'must be above 0' }).max(1000, { error: 'must be at most 1000' });
const positiveTokens = z.number({ error: 'expected a whole number of tokens' }).int({ error: 'expected a whole number of tokens' }).positive({ error: 'must be above 0' });
const positiveUsd = z
  .number({ error: 'expected an amount in USD' })
  .positive({ error: 'must be above 0' })
  .max(1e12, { error: 'must be below 1,000,000,000,000' })
  .refine((value) => /^\d+(\.\d{1,6})?$/.test(String(value)), { error: 'use at most 6 decimal places' });

const RESERVED_BUDGET_NAMES = new Set(['daily_limit', 'monthly_limit', 'daily_cost_limit_usd', 'monthly_cost_limit_usd']);

const timezone = z.string().refine(
  (zone) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'is not an IANA time zone such as UTC or Europe/Berlin' },
);

const budgetSchema = z
  .strictObject({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'use letters, digits, "-", "_" or "." (at most 64)' }),
    period: z.enum(['day', 'month'], { error: 'expected day or month' }),
    limit_usd: positiveUsd.optional(),
    limit_tokens: positiveTokens.optional(),
    thresholds: z.array(percent).min(1).optional(),
    forecast_thresholds: z.array(percent).optional(),
    filter: z
      .strictObject({
        model: z.string().min(1).optional(),
        tags: z.record(z.string(), z.string()).optional(),
      })
      .optional(),
  })
  .refine((budget) => (budget.limit_usd === undefined) !== (budget.limit_tokens === undefined), {
    error: 'give exactly one of limit_usd or limit_tokens',
  });

export const tokenMonitoringSchema = z.strictObject({
  enabled: z.boolean().default(true),
  alert_threshold: percent.default(80),
  daily_limit: positiveTokens.optional(),
  monthly_limit: positiveTokens.optional(),
  daily_cost_limit_usd: positiveUsd.optional(),
  monthly_cost_limit_usd: positiveUsd.optional(),
  log_usage: z.boolean().default(false),
  display_at_end: z.boolean().default(false),
  track_cache_savings: z.boolean().default(true),
  timezone: timezone.default('UTC'),
  group_by_tags: z.array(z.string().min(1).max(64)).max(10).default(['app', 'feature']),
  price_overrides: z.string().min(1).optional(),
  // AWS: how often the aggregator and the budget check run; alerts go out within about this long (locally: every minute).
  aggregate_minutes: z.number().int().min(1, { error: 'must be at least 1 (the scheduler runs at most once a minute)' }).max(60).default(5),
  enforce: z.boolean().default(false),
  // Exactly-once holds while an event is kept: shorter than batch results stay fetchable (29 days) would recount them.
  retention_days: z.number().int().min(30, { error: 'must be at least 30 (an id sent again after its event expired would count again)' }).max(3650).default(400),
  budgets: z
    .array(budgetSchema)
    .default([])
    .refine((budgets) => new Set(budgets.map((budget) => budget.name)).size === budgets.length, { error: 'budget names must be unique' })
    // Notification ids carry the budget name: a budget must not share one with a built-in limit or alert.
    .refine((budgets) => budgets.every((budget) => !RESERVED_BUDGET_NAMES.has(budget.name) && !budget.name.startsWith('reconciliation_')), {
      error: 'daily_limit, monthly_limit, daily_cost_limit_usd, monthly_cost_limit_usd and reconciliation_* are reserved names',
    }),
  alerts: z
    .strictObject({
      email: z.array(z.email({ error: 'expected an email address' })).default([]),
      sms: z.array(z.string().regex(/^\+[1-9]\d{6,14}$/, { error: 'expected a phone number in E.164 form, e.g. +15555550100' })).default([]),
      // SMS costs money per message: past this many critical alerts in a day, SMS subscribers get no more.
      sms_daily_cap: z.number().int().min(0).max(1000).default(10),
    })
    .default({ email: [], sms: [], sms_daily_cap: 10 }),
  reports: z
    .strictObject({
      daily: z.boolean().default(true),
      monthly: z.boolean().default(true),
      // Local hour (in `timezone`) the reports go out: the daily one every day, the monthly one on the 1st.
      hour: z.number().int().min(0).max(23).default(8),
    })
    .default({ daily: true, monthly: true, hour: 8 }),
  admin_api: z
    .strictObject({
      // Anthropic asks for at most about one poll a minute, sustained.
      poll_minutes: z.number().int().min(1, { error: 'must be at least 1 (Anthropic asks for at most one poll a minute)' }).default(15),
      lookback_hours: z.number().int().min(1).max(24 * 31, { error: 'must be at most 744 (31 days)' }).default(48),
      drift_alert_pct: z.number().positive().max(100).default(2),
      coverage_alert_pct: z.number().min(0).max(100).default(90),
    })
    .default({ poll_minutes: 15, lookback_hours: 48, drift_alert_pct: 2, coverage_alert_pct: 90 }),
  balance: z
    .strictObject({
      credits: z
        .array(
          z.strictObject({
            date: z.string().refine(isValidDay, { error: 'expected a day, YYYY-MM-DD' }),
            amount_usd: positiveUsd,
          }),
        )
        .min(1),
    })
    .optional(),
});

export const configFileSchema = z.strictObject({ token_monitoring: tokenMonitoringSchema.default(tokenMonitoringSchema.parse({})) });

export type TokenMonitoringConfig = z.infer<typeof tokenMonitoringSchema>;


export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(data: unknown, label: string): TokenMonitoringConfig {
  const parsed = configFileSchema.safeParse(data ?? {});
  if (parsed.success) return parsed.data.token_monitoring;
  const issue = parsed.error.issues[0]!;
  const key = issue.path.map(String).join('.');
  const message = issue.code === 'unrecognized_keys' ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}` : issue.message;
  throw new ConfigError(`${label}: ${key ? `${key}: ` : ''}${message}`);
}
