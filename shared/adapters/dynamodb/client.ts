import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * One DynamoDB client per process. Locally (`TOKMON_DYNAMODB_ENDPOINT`) it talks to DynamoDB
 * Local with dummy credentials; on Lambda it uses the function's role. Short timeouts keep every
 * write of an ingest request inside its deadline.
 */
export function createDynamoClient(endpoint: string | undefined = process.env.TOKMON_DYNAMODB_ENDPOINT): DynamoDBClient {
  const local = endpoint !== undefined && endpoint !== '';
  return new DynamoDBClient({
    ...(local ? { endpoint, region: process.env.AWS_REGION ?? 'local', credentials: { accessKeyId: 'tokmonlocal', secretAccessKey: 'tokmonlocal' } } : {}),
    maxAttempts: 3,
    // DynamoDB Local (one Java process) queues connections under load; the service answers in milliseconds.
    requestHandler: local ? { requestTimeout: 15_000, connectionTimeout: 10_000 } : { requestTimeout: 5_000, connectionTimeout: 2_000 },
  });
}

/** A conditional write that did not apply: the expected outcome of a lost race, not a failure. */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
}
