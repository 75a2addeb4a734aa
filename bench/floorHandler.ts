import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/** The floor for bundle size and module-init time: a handler holding only the DynamoDB client. */
const client = new DynamoDBClient({});
export const handler = async () => client.send(new GetItemCommand({ TableName: 'floor', Key: { pk: { S: 'x' } } }));
