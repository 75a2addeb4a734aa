import { budgetsFromConfig, type Budget } from '../domain/budgets.js';
import type { RollupSettings } from '../usecases/rollup.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig, type TokenMonitoringConfig } from '../config/config.js';
import { builtInCatalogFile, compileCatalog, mergeCatalogFiles, parseCatalogFile, type PriceCatalog } from '../pricing/catalog.js';
import { CostEngine } from '../pricing/priceUsage.js';
import { createDynamoClient } from '../adapters/dynamodb/client.js';
import { DynamoApiKeyStore, DynamoEventStore, DynamoSummaryStore } from '../adapters/dynamodb/stores.js';
import { tableNamesFromEnv } from '../adapters/dynamodb/tables.js';
import { ApiKeyResolver, type StaticKey } from '../usecases/apiKeys.js';
import type { AnthropicReportSource, AnthropicReportStore, PollDispatcher, RateLimitStore, ApiKeyStore, Clock, EventStore, ForecastStore, NotificationLedger, NotificationPublisher, SummaryStore } from '../usecases/ports.js';
import { DynamoAnthropicReportStore } from '../adapters/dynamodb/anthropicStore.js';
import { DynamoForecastStore, DynamoNotificationLedger, DynamoRateLimitStore } from '../adapters/dynamodb/alertStores.js';
import { LogNotificationPublisher } from '../adapters/logPublisher.js';
import { systemClock } from '../usecases/ports.js';

/** Everything a handler needs, built once per process (per Lambda container, or per local server). */
export interface Runtime {
  config: TokenMonitoringConfig;
  engine: CostEngine;
  events: EventStore;
  summaries: SummaryStore;
  apiKeys: ApiKeyStore;
  keys: ApiKeyResolver;
  clock: Clock;
  settings: RuntimeSettings;
  ledger: NotificationLedger;
  forecasts: ForecastStore;
  publisher: NotificationPublisher;
  smsDailyCap: number;
  anthropicStore: AnthropicReportStore;
  rateLimits: RateLimitStore;
  /** The Admin-API source when an admin key is configured (only functions that poll bundle the SDK). */
  anthropic: (() => Promise<AnthropicReportSource | undefined>) | undefined;
  /** On AWS, where backfill windows are handed to the poller function. */
  pollDispatcher: PollDispatcher | undefined;
}

/** What rollups and budgets read from the configuration. */
export interface RuntimeSettings extends RollupSettings {
  budgets: Budget[];
}

export function runtimeSettings(config: TokenMonitoringConfig): RuntimeSettings {
  return { timezone: config.timezone, groupByTags: config.group_by_tags, budgets: budgetsFromConfig(config) };
}

export interface Settings {
  config: TokenMonitoringConfig;
  catalog: PriceCatalog;
}

/**
 * On Lambda the configuration was validated at synth time and compiled into the bundle with its
 * price overrides (TOKMON_BUNDLED_CONFIG); without it, the defaults and the built-in catalog. The
 * local server reads tokmon.yaml itself and passes the settings in.
 */
export function bundledSettings(bundled: string | undefined = process.env.TOKMON_BUNDLED_CONFIG): Settings {
  const data = bundled ? (JSON.parse(bundled) as { token_monitoring?: unknown; price_overrides?: unknown }) : {};
  const config = parseConfig({ token_monitoring: data.token_monitoring ?? {} }, 'bundled configuration');
  const overrides = data.price_overrides === undefined ? undefined : parseCatalogFile(data.price_overrides, 'bundled price overrides');
  return { config, catalog: compileCatalog(overrides ? mergeCatalogFiles(builtInCatalogFile(), overrides) : builtInCatalogFile()) };
}

/** Local keys from the environment (TOKMON_INGEST_KEY, TOKMON_READ_KEY, TOKMON_ADMIN_KEY). */
export function environmentKeys(env: NodeJS.ProcessEnv): StaticKey[] {
  const keys: StaticKey[] = [];
  if (env.TOKMON_INGEST_KEY) keys.push({ role: 'ingest', id: 'local-ingest', key: env.TOKMON_INGEST_KEY });
  if (env.TOKMON_READ_KEY) keys.push({ role: 'read', id: 'local-read', key: env.TOKMON_READ_KEY });
  if (env.TOKMON_ADMIN_KEY) keys.push({ role: 'admin', id: 'local-admin', key: env.TOKMON_ADMIN_KEY });
  return keys;
}

export interface RuntimeOptions {
  env?: NodeJS.ProcessEnv;
  client?: DynamoDBClient;
  settings?: Settings;
  /** More static keys, e.g. the bootstrap admin key from Secrets Manager. */
  extraKeys?: () => Promise<StaticKey[]>;
  /** Where notifications go; without one they are logged. Only functions that notify bundle SNS. */
  publisher?: NotificationPublisher;
  anthropic?: () => Promise<AnthropicReportSource | undefined>;
  pollDispatcher?: PollDispatcher;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const env = options.env ?? process.env;
  const client = options.client ?? createDynamoClient(env.TOKMON_DYNAMODB_ENDPOINT);
  const { config, catalog } = options.settings ?? bundledSettings(env.TOKMON_BUNDLED_CONFIG);
  const tables = tableNamesFromEnv(env);
  const apiKeys = new DynamoApiKeyStore(client, tables);
  const fromEnv = environmentKeys(env);
  const extraKeys = options.extraKeys;
  const staticKeys = extraKeys ? async () => [...fromEnv, ...(await extraKeys())] : async () => fromEnv;
  return {
    config,
    engine: new CostEngine(catalog),
    events: new DynamoEventStore(client, tables, config.retention_days),
    summaries: new DynamoSummaryStore(client, tables),
    apiKeys,
    keys: new ApiKeyResolver(staticKeys, apiKeys, systemClock),
    clock: systemClock,
    settings: runtimeSettings(config),
    ledger: new DynamoNotificationLedger(client, tables),
    forecasts: new DynamoForecastStore(client, tables),
    publisher: options.publisher ?? new LogNotificationPublisher(),
    smsDailyCap: config.alerts.sms_daily_cap,
    anthropicStore: new DynamoAnthropicReportStore(client, tables),
    rateLimits: new DynamoRateLimitStore(client, tables),
    anthropic: options.anthropic,
    pollDispatcher: options.pollDispatcher,
  };
}

let current: Runtime | undefined;
let defaults: RuntimeOptions = {};

/** Options for the process-wide runtime, set by a handler module before its first request. */
export function configureRuntime(options: RuntimeOptions): void {
  defaults = options;
}

/** The process-wide runtime, created on first use. */
export function runtime(): Runtime {
  current ??= createRuntime(defaults);
  return current;
}

/** Replaces the process-wide runtime (the local server builds its own). */
export function setRuntime(next: Runtime | undefined): void {
  current = next;
}
