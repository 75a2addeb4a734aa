import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../../shared/config/config.js';
import { loadConfig } from '../../../shared/config/loadConfigFile.js';

const contractBlock = `
token_monitoring:
  enabled: true
  alert_threshold: 80      # alert at 80% of each limit
  daily_limit: 1000000     # tokens per day (input + output + cache writes + cache reads)
  log_usage: true          # client: append every call to a local JSONL usage log
  display_at_end: true     # client: print the summary block when the job/process ends
  track_cache_savings: true # compute and show cache savings
  monthly_limit: 30000000          # tokens per month
  daily_cost_limit_usd: 50
  monthly_cost_limit_usd: 1000
  timezone: UTC                    # IANA zone that days and months are counted in
  group_by_tags: [app, feature]    # tags that get their own rows in the daily summaries
  budgets:                         # any number of named budgets
    - name: chat-opus
      period: month                # day | month
      limit_usd: 200               # or limit_tokens
      thresholds: [50, 80, 100]    # percent; default [alert_threshold, 100]
      forecast_thresholds: [100]   # alert when the period's forecast crosses these
      filter: { model: "claude-opus-*", tags: { feature: chat } }
  alerts:
    email: [ops@example.com]       # SNS email subscriptions
    sms: ["+15555550100"]          # SNS SMS subscriptions (critical alerts only)
  admin_api:
    poll_minutes: 15               # Admin-API poll period on AWS
    lookback_hours: 48             # every poll re-reads at least this window
`;

describe('configuration', () => {
  test('accepts the contract block as written', () => {
    const config = parseConfig(parseYaml(contractBlock), 'tokmon.yaml');
    expect(config).toMatchObject({ daily_limit: 1_000_000, alert_threshold: 80, timezone: 'UTC', budgets: [{ name: 'chat-opus', limit_usd: 200 }] });
  });

  test('fills defaults when the file has no token_monitoring block', () => {
    expect(parseConfig({}, 'tokmon.yaml')).toMatchObject({ enabled: true, alert_threshold: 80, track_cache_savings: true, timezone: 'UTC', group_by_tags: ['app', 'feature'] });
  });

  test.each([
    ['a misspelled key', 'token_monitoring:\n  daly_limit: 5\n', 'tokmon.yaml: token_monitoring: unknown key daly_limit'],
    ['a negative limit', 'token_monitoring:\n  daily_limit: -5\n', 'tokmon.yaml: token_monitoring.daily_limit: must be above 0'],
    ['an unknown time zone', 'token_monitoring:\n  timezone: Mars/Olympus\n', 'tokmon.yaml: token_monitoring.timezone: is not an IANA time zone'],
    ['a budget with both limits', 'token_monitoring:\n  budgets:\n    - {name: b, period: day, limit_usd: 1, limit_tokens: 5}\n', 'token_monitoring.budgets.0: give exactly one of limit_usd or limit_tokens'],
    ['a cost limit with more than 6 decimals', 'token_monitoring:\n  daily_cost_limit_usd: 0.0000001\n', 'token_monitoring.daily_cost_limit_usd: use at most 6 decimal places'],
    ['a retention shorter than 30 days', 'token_monitoring:\n  retention_days: 7\n', 'token_monitoring.retention_days: must be at least 30'],
    ['an SMS number not in E.164', 'token_monitoring:\n  alerts:\n    sms: ["555-0100"]\n', 'token_monitoring.alerts.sms.0: expected a phone number in E.164 form'],
    ['a budget named like a built-in limit', 'token_monitoring:\n  budgets:\n    - {name: daily_limit, period: day, limit_tokens: 5}\n', 'token_monitoring.budgets: daily_limit, monthly_limit, daily_cost_limit_usd, monthly_cost_limit_usd and reconciliation_* are reserved names'],
    ['a poll more often than once a minute', 'token_monitoring:\n  admin_api:\n    poll_minutes: 0\n', 'token_monitoring.admin_api.poll_minutes: must be at least 1'],
    ['a credit without a day', 'token_monitoring:\n  balance:\n    credits:\n      - {date: "Dec 1", amount_usd: 5}\n', 'token_monitoring.balance.credits.0.date: expected a day, YYYY-MM-DD'],
    ['an unknown key in reports', 'token_monitoring:\n  reports:\n    weekly: true\n', 'token_monitoring.reports: unknown key weekly'],
  ])('refuses %s, naming the key and the problem', (_name, yaml, message) => {
    expect(() => parseConfig(parseYaml(yaml), 'tokmon.yaml')).toThrow(message);
  });

  test('resolves price_overrides against the config file folder', () => {
    // Prepare
    const folder = mkdtempSync(join(tmpdir(), 'tokmon-config-'));
    const path = join(folder, 'tokmon.yaml');
    writeFileSync(path, 'token_monitoring:\n  price_overrides: prices.local.yaml\n');

    // Act
    const loaded = loadConfig(path);

    // Assess
    expect(loaded.priceOverridesPath).toBe(join(folder, 'prices.local.yaml'));
  });

  test('uses TOKMON_CONFIG when no path is given', () => {
    const folder = mkdtempSync(join(tmpdir(), 'tokmon-config-'));
    const path = join(folder, 'custom.yaml');
    writeFileSync(path, 'token_monitoring:\n  daily_limit: 42\n');
    expect(loadConfig(undefined, { TOKMON_CONFIG: path }).tokenMonitoring.daily_limit).toBe(42);
  });
});

describe('shipped examples', () => {
  test('tokmon.example.yaml and the price override it names are valid', async () => {
    // Prepare
    const { loadCatalog } = await import('../../../shared/pricing/catalogFile.js');
    const root = new URL('../../..', import.meta.url).pathname;

    // Act
    const loaded = loadConfig(join(root, 'tokmon.example.yaml'));
    const catalog = loadCatalog(loaded.priceOverridesPath);

    // Assess
    expect(loaded.priceOverridesPath).toBe(join(root, 'examples/prices.override.yaml'));
    expect(catalog.findModel('claude-sonnet-4-5-20250929')?.model).toBe('claude-sonnet-4-5');
    expect(catalog.findModel('claude-sonnet-4-5')?.rows[0]?.base.input).toBe(2_700_000_000_000n);
  });
});
