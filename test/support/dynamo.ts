import { randomBytes } from 'node:crypto';
import { createDynamoClient } from '../../shared/adapters/dynamodb/client.js';
import { DynamoApiKeyStore, DynamoEventStore, DynamoSummaryStore } from '../../shared/adapters/dynamodb/stores.js';
import { ensureTables, type TableNames } from '../../shared/adapters/dynamodb/tables.js';
import { builtInCatalog } from '../../shared/pricing/catalog.js';
import { CostEngine } from '../../shared/pricing/priceUsage.js';
import { parseConfig } from '../../shared/config/config.js';
import type { Clock } from '../../shared/usecases/ports.js';
import { runtimeSettings } from '../../shared/runtime/runtime.js';
import { windowOf } from '../../shared/storage/keys.js';

export function testEndpoint(): string {
  const endpoint = process.env.TOKMON_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DynamoDB Local is started by the jest global setup; run the suite with `npm test`');
  return endpoint;
}

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(public current: number) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Fresh tables with a unique prefix on the suite's DynamoDB Local, and the real adapters on them. */
export async function freshStores(clock: Clock, configOverrides: Record<string, unknown> = {}, options: { watermark?: boolean } = {}) {
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const tables: TableNames = { events: `${prefix}-events`, summaries: `${prefix}-summaries`, apiKeys: `${prefix}-keys` };
  const client = createDynamoClient(testEndpoint());
  await ensureTables(client, tables);
  const config = parseConfig({ token_monitoring: configOverrides }, 'test');
  const events = new DynamoEventStore(client, tables, config.retention_days);
  const summaries = new DynamoSummaryStore(client, tables);
  // As `tokmon serve` does for a new store: nothing was journaled before now.
  if (options.watermark !== false) await summaries.advanceWatermark(windowOf(clock.now()) - 1);
  return {
    client,
    tables,
    config,
    events,
    summaries,
    apiKeys: new DynamoApiKeyStore(client, tables),
    engine: new CostEngine(builtInCatalog()),
    settings: runtimeSettings(config),
    clock,
  };
}
