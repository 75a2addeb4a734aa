import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { handler as apiHandler } from '../../functions/api/handler.js';
import { handler as aggregatorHandler } from '../../functions/aggregator/handler.js';
import { handler as ingestHandler } from '../../functions/ingest/handler.js';
import { createDynamoClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoSummaryStore } from '../../shared/adapters/dynamodb/stores.js';
import { ensureTables, tableNamesFromEnv } from '../../shared/adapters/dynamodb/tables.js';
import { loadConfig } from '../../shared/config/loadConfigFile.js';
import { functionFor } from '../../shared/http/routes.js';
import { loadCatalog } from '../../shared/pricing/catalogFile.js';
import { log } from '../../shared/runtime/log.js';
import { createRuntime, setRuntime, type Runtime } from '../../shared/runtime/runtime.js';
import { FanOutPublisher } from '../../shared/adapters/logPublisher.js';
import { snsPublisherFromEnv } from '../../shared/adapters/sns/snsPublisher.js';
import { dayOf, hourOf } from '../../shared/domain/time.js';
import { NotificationFile } from './notificationFile.js';
import { anthropicSourceFromEnv } from '../../shared/adapters/anthropic/sourceFromEnv.js';
import { JOBS } from '../../shared/runtime/jobs.js';
import { reportedPeriod } from '../../shared/usecases/reports.js';
import { windowOf } from '../../shared/storage/keys.js';
import { generateApiKey } from '../../shared/usecases/apiKeys.js';
import type { Role } from '../../shared/usecases/ports.js';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamoDbLocal.js';
import { lambdaRequestListener, type LambdaHandler } from './httpAdapter.js';

export interface LocalStackOptions {
  env?: NodeJS.ProcessEnv;
  /** How often the in-process aggregator runs (default 60 s). */
  aggregateEveryMs?: number;
  print?: (line: string) => void;
}

export interface LocalStack {
  url: string;
  keys: Record<Role, string>;
  dataDir: string;
  stop(): Promise<void>;
}

const KEY_ENV: Record<Role, string> = { ingest: 'TOKMON_INGEST_KEY', read: 'TOKMON_READ_KEY', admin: 'TOKMON_ADMIN_KEY' };

/** Keys from the environment, else generated once and kept (mode 600) in the data dir. */
async function localKeys(dataDir: string, env: NodeJS.ProcessEnv): Promise<Record<Role, string>> {
  const file = join(dataDir, 'keys.json');
  const saved = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<Record<Role, string>>) : {};
  const keys = {} as Record<Role, string>;
  let changed = false;
  for (const role of Object.keys(KEY_ENV) as Role[]) {
    const fromEnv = env[KEY_ENV[role]];
    if (fromEnv) keys[role] = fromEnv;
    else {
      if (!saved[role]) {
        saved[role] = generateApiKey(role);
        changed = true;
      }
      keys[role] = saved[role]!;
    }
  }
  if (changed) {
    await writeFile(file, JSON.stringify(saved, null, 2) + '\n', { mode: 0o600 });
    await chmod(file, 0o600);
  }
  return keys;
}

/**
 * What the schedules do on AWS, run every minute in-process: aggregation with the budget check,
 * the daily report from the configured hour on, the monthly one from that hour on the 1st.
 * Reports are claimed once per period, so a restart or a second server never sends one twice.
 */
export async function runScheduledJobs(runtime: Runtime, reported: Set<string>): Promise<void> {
  await aggregatorHandler({ job: 'aggregate' });
  const { reports, timezone } = runtime.config;
  const now = runtime.clock.now();
  if (hourOf(now, timezone) < reports.hour) return;
  const due: ['daily-report' | 'monthly-report', string][] = [];
  if (reports.daily) due.push(['daily-report', reportedPeriod('daily', now, timezone)]);
  if (reports.monthly && dayOf(now, timezone).endsWith('-01')) due.push(['monthly-report', reportedPeriod('monthly', now, timezone)]);
  for (const [job, period] of due) {
    if (reported.has(`${job}:${period}`)) continue;
    await aggregatorHandler({ job, ...(job === 'daily-report' ? { day: period } : { month: period }) });
    reported.add(`${job}:${period}`);
  }
}

/**
 * `tokmon serve`: DynamoDB Local (unless TOKMON_DYNAMODB_ENDPOINT is set), the tables, the HTTP
 * API served by the very Lambda handlers, and the aggregator every minute, all in this process.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((line: string) => console.log(line));
  const dataDir = resolve(env.TOKMON_DATA_DIR || '.tokmon');
  await mkdir(dataDir, { recursive: true });
  const host = env.TOKMON_HOST || '127.0.0.1';
  const port = Number(env.TOKMON_PORT || 8787);

  // Validate the configuration and price overrides before starting anything, so a bad file fails fast.
  const loaded = loadConfig(undefined, env);
  const settings = { config: loaded.tokenMonitoring, catalog: loadCatalog(loaded.priceOverridesPath) };

  let dynamo: DynamoDbLocal | undefined;
  let endpoint = env.TOKMON_DYNAMODB_ENDPOINT;
  if (!endpoint) {
    print('starting DynamoDB Local…');
    dynamo = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
    endpoint = dynamo.endpoint;
  }
  let server: Server | undefined;
  let timer: NodeJS.Timeout | undefined;
  let pollTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    if (timer) clearInterval(timer);
    if (pollTimer) clearInterval(pollTimer);
    if (server) await new Promise<void>((done) => server!.close(() => done()));
    server?.closeAllConnections();
    await dynamo?.stop();
    setRuntime(undefined);
  };

  try {
    const client = createDynamoClient(endpoint);
    const tables = tableNamesFromEnv(env);
    const created = await ensureTables(client, tables);
    if (created.includes(tables.summaries)) {
      // A new store holds no journal windows before now, so aggregation can start here.
      await new DynamoSummaryStore(client, tables).advanceWatermark(windowOf(Date.now()) - 1);
    }
    const keys = await localKeys(dataDir, env);
    const notifications = new NotificationFile(join(dataDir, 'notifications.jsonl'), print);
    const sns = snsPublisherFromEnv(env);
    const anthropic = anthropicSourceFromEnv(env);
    const runtime = createRuntime({
      anthropic,
      env: { ...env, TOKMON_DYNAMODB_ENDPOINT: endpoint, TOKMON_INGEST_KEY: keys.ingest, TOKMON_READ_KEY: keys.read, TOKMON_ADMIN_KEY: keys.admin },
      client,
      settings,
      publisher: sns ? new FanOutPublisher([notifications, sns]) : notifications,
    });
    setRuntime(runtime);

    const handlers: Record<string, LambdaHandler> = { ingest: ingestHandler as unknown as LambdaHandler, api: apiHandler as unknown as LambdaHandler };
    server = createServer(
      lambdaRequestListener((method, path) => {
        const name = functionFor(method, path);
        return { name, handler: handlers[name]! };
      }),
    );
    await new Promise<void>((ready, fail) => {
      server!.once('error', fail);
      server!.listen(port, host, () => ready());
    });
    const address = server.address();
    const url = `http://${host}:${typeof address === 'object' && address ? address.port : port}`;

    let running = false;
    const reported = new Set<string>();
    timer = setInterval(() => {
      if (running) return;
      running = true;
      runScheduledJobs(runtime, reported)
        .catch((error: Error) => log('error', 'scheduled job failed', { error: error.name, message: error.message }))
        .finally(() => (running = false));
    }, options.aggregateEveryMs ?? 60_000);
    timer.unref();
    if (anthropic) {
      // Anthropic asks for at most about one poll a minute; the config's period (default 15 min) is far below that.
      let polling = false;
      const poll = () => {
        if (polling) return;
        polling = true;
        JOBS.poll(runtime)
          .catch((error: Error) => log('error', 'poll failed', { error: error.name, message: error.message }))
          .finally(() => (polling = false));
      };
      pollTimer = setInterval(poll, runtime.config.admin_api.poll_minutes * 60_000);
      pollTimer.unref();
      setTimeout(poll, 5_000).unref();
    }

    print(`tokmon is running at ${url}`);
    print(`  data:          ${dataDir}`);
    print(`  DynamoDB:      ${endpoint}${dynamo ? ' (DynamoDB Local)' : ''}`);
    print(`  notifications: ${notifications.path}${sns ? ` and ${env.TOKMON_SNS_TOPIC_ARN}` : ''}`);
    print(`  Admin-API poll: ${anthropic ? `every ${runtime.config.admin_api.poll_minutes} min${env.ANTHROPIC_BASE_URL ? ` at ${env.ANTHROPIC_BASE_URL}` : ''}` : 'off (set ANTHROPIC_ADMIN_KEY to reconcile with Anthropic)'}`);
    print(`  ingest key:    ${keys.ingest}`);
    print(`  read key:      ${keys.read}`);
    print(`  admin key:     ${keys.admin}`);
    print(`try: curl -s ${url}/v1/health`);
    return { url, keys, dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
