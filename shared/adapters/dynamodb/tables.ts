import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';

/** Table names: from the environment on Lambda (set by CDK), fixed defaults locally. */
export interface TableNames {
  events: string;
  summaries: string;
  apiKeys: string;
}

export function tableNamesFromEnv(env: NodeJS.ProcessEnv = process.env): TableNames {
  return {
    events: env.TOKMON_EVENTS_TABLE ?? 'tokmon-events',
    summaries: env.TOKMON_SUMMARIES_TABLE ?? 'tokmon-summaries',
    apiKeys: env.TOKMON_KEYS_TABLE ?? 'tokmon-keys',
  };
}

/** The attribute DynamoDB's TTL deletes expired items by (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** The same key schemas CDK declares in infra/statefulStack.ts; used to create tables locally. */
export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  const pkSk = {
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' as const },
      { AttributeName: 'sk', AttributeType: 'S' as const },
    ],
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' as const },
      { AttributeName: 'sk', KeyType: 'RANGE' as const },
    ],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
  return [
    { TableName: names.events, ...pkSk },
    { TableName: names.summaries, ...pkSk },
    {
      TableName: names.apiKeys,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    },
  ];
}

/** Creates the tables that do not exist yet; returns the names it created. Safe to run at every start. */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<string[]> {
  const created: string[] = [];
  for (const definition of tableDefinitions(names)) {
    try {
      await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
      continue;
    } catch (error) {
      if ((error as Error).name !== 'ResourceNotFoundException') throw error;
    }
    try {
      await client.send(new CreateTableCommand(definition));
      created.push(definition.TableName!);
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    if (definition.TableName === names.events) {
      await client.send(new UpdateTimeToLiveCommand({ TableName: names.events, TimeToLiveSpecification: { Enabled: true, AttributeName: TTL_ATTRIBUTE } }));
    }
  }
  return created;
}
