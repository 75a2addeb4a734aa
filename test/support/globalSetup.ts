// Jest loads global setup without its module mapping, so this uses the build (`npm test` builds first).
// @ts-ignore -- the compiled module has no declaration path from here before the build
import { startDynamoDbLocal } from '../../dist/cli/local/dynamoDbLocal.js';

/** One in-memory DynamoDB Local for the whole suite; its endpoint reaches the test workers through the environment. */
export default async function globalSetup(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  (globalThis as { __tokmonDynamo?: unknown }).__tokmonDynamo = dynamo;
  process.env.TOKMON_TEST_DYNAMODB_ENDPOINT = dynamo.endpoint;
}
