import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig, parseConfig, type TokenMonitoringConfig } from '../config/config.js';
import { builtInCatalogFile, compileCatalog, loadCatalog, mergeCatalogFiles, parseCatalogFile, type PriceCatalog } from '../pricing/catalog.js';
import { CostEngine } from '../pricing/priceUsage.js';
import { createDynamoClient } from '../adapters/dynamodb/client.js';
import { DynamoApiKeyStore, DynamoEventStore, DynamoSummaryStore } from '../adapters/dynamodb/stores.js';
import { tableNamesFromEnv } from '../adapters/dynamodb/tables.js';
import { ApiKeyResolver, type StaticKey } from '../usecases/apiKeys.js';
import type { ApiKeyStore, Clock, EventStore, SummaryStore } from '../usecases/ports.js';
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
  settings: { timezone: string; groupByTags: readonly string[] };
}

/**
 * On Lambda the configuration is bundled at synth time (CDK validates tokmon.yaml and inlines it
 * with its price overrides as TOKMON_BUNDLED_CONFIG); locally it is read from tokmon.yaml.
 */
function loadSettings(env: NodeJS.ProcessEnv): { config: TokenMonitoringConfig; catalog: PriceCatalog } {
  const bundled = env.TOKMON_BUNDLED_CONFIG;
  if (bundled) {
    const data = JSON.parse(bundled) as { token_monitoring?: unknown; price_overrides?: unknown };
    const config = parseConfig({ token_monitoring: data.token_monitoring ?? {} }, 'bundled configuration');
    const overrides = data.price_overrides === undefined ? undefined : parseCatalogFile(data.price_overrides, 'bundled price overrides');
    return { config, catalog: compileCatalog(overrides ? mergeCatalogFiles(builtInCatalogFile, overrides) : builtInCatalogFile) };
  }
  const loaded = loadConfig(undefined, env);
  return { config: loaded.tokenMonitoring, catalog: loadCatalog(loaded.priceOverridesPath) };
}

const SECRET_CACHE_MS = 5 * 60_000;

function staticKeySource(env: NodeJS.ProcessEnv): () => Promise<StaticKey[]> {
  const fromEnv: StaticKey[] = [];
  if (env.TOKMON_INGEST_KEY) fromEnv.push({ role: 'ingest', id: 'local-ingest', key: env.TOKMON_INGEST_KEY });
  if (env.TOKMON_READ_KEY) fromEnv.push({ role: 'read', id: 'local-read', key: env.TOKMON_READ_KEY });
  if (env.TOKMON_ADMIN_KEY) fromEnv.push({ role: 'admin', id: 'local-admin', key: env.TOKMON_ADMIN_KEY });
  const secretArn = env.TOKMON_ADMIN_KEY_SECRET_ARN;
  if (!secretArn) return async () => fromEnv;
  const secrets = new SecretsManagerClient({});
  let cached: { keys: StaticKey[]; until: number } | undefined;
  return async () => {
    if (cached && cached.until > Date.now()) return cached.keys;
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const key = secret.SecretString ?? '';
    const keys = key.length >= 20 ? [...fromEnv, { role: 'admin' as const, id: 'bootstrap-admin', key }] : fromEnv;
    cached = { keys, until: Date.now() + SECRET_CACHE_MS };
    return keys;
  };
}

export function createRuntime(env: NodeJS.ProcessEnv = process.env, client: DynamoDBClient = createDynamoClient(env.TOKMON_DYNAMODB_ENDPOINT)): Runtime {
  const { config, catalog } = loadSettings(env);
  const tables = tableNamesFromEnv(env);
  const apiKeys = new DynamoApiKeyStore(client, tables);
  return {
    config,
    engine: new CostEngine(catalog),
    events: new DynamoEventStore(client, tables, config.retention_days),
    summaries: new DynamoSummaryStore(client, tables),
    apiKeys,
    keys: new ApiKeyResolver(staticKeySource(env), apiKeys, systemClock),
    clock: systemClock,
    settings: { timezone: config.timezone, groupByTags: config.group_by_tags },
  };
}

let current: Runtime | undefined;

/** The process-wide runtime, created on first use from the environment. */
export function runtime(): Runtime {
  current ??= createRuntime();
  return current;
}

/** Replaces the process-wide runtime (the local server and tests build their own). */
export function setRuntime(next: Runtime | undefined): void {
  current = next;
}
