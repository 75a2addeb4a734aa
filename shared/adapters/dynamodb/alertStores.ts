import { randomUUID } from 'node:crypto';
import { GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { forecastKey, notificationKey, notificationPartition, rateLimitKey, smsCounterKey } from '../../storage/keys.js';
import type { ForecastSnapshot, ForecastStore, Notification, NotificationClaim, NotificationLedger, RateLimitSnapshot, RateLimitStore } from '../../usecases/ports.js';
import { isConditionFailure } from './client.js';
import { TTL_ATTRIBUTE, type TableNames } from './tables.js';

type Item = Record<string, AttributeValue>;

/** Ledger entries outlive any period they can be claimed for; the SMS counter only its day. */
const LEDGER_RETENTION_SECONDS = 400 * 86_400;
const SMS_COUNTER_RETENTION_SECONDS = 3 * 86_400;

function expiresAt(now: number, seconds: number): AttributeValue {
  return { N: String(Math.floor(now / 1000) + seconds) };
}

function monthOf(notification: Notification): string {
  return notification.period.slice(0, 7);
}

/**
 * The notification ledger in the summary table. An item is `claimed` (with a random token and
 * the time) and then `sent`. Claims are conditional writes, so of any number of concurrent runs
 * exactly one publishes; a claim left by a crashed run is taken over once it is stale.
 */
export class DynamoNotificationLedger implements NotificationLedger {
  /** Ids this process saw sent: no conditional write is spent on them again. */
  private readonly sent = new Set<string>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
  ) {}

  async claim(notification: Notification, now: number, staleBefore: number): Promise<NotificationClaim | undefined> {
    if (this.sent.has(notification.id)) return undefined;
    const token = randomUUID();
    const key = notificationKey(monthOf(notification), notification.id);
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.summaries,
          Item: {
            ...key,
            status: { S: 'claimed' },
            token: { S: token },
            claimedAt: { N: String(now) },
            notification: { S: JSON.stringify(notification) },
            [TTL_ATTRIBUTE]: expiresAt(now, LEDGER_RETENTION_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { notification, token };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const taken = await this.takeOver(key, now, staleBefore);
    if (!taken) {
      const existing = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: key, ConsistentRead: true, ProjectionExpression: '#status', ExpressionAttributeNames: { '#status': 'status' } }));
      if (existing.Item?.status?.S === 'sent') this.sent.add(notification.id);
    }
    return taken;
  }

  /** Takes over a stale unsent claim; the stored notification is the one published. */
  private async takeOver(key: Item, now: number, staleBefore: number): Promise<NotificationClaim | undefined> {
    const token = randomUUID();
    try {
      const response = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.summaries,
          Key: key,
          UpdateExpression: 'SET #token = :token, claimedAt = :now',
          ConditionExpression: '#status = :claimed AND claimedAt < :staleBefore',
          ExpressionAttributeNames: { '#token': 'token', '#status': 'status' },
          ExpressionAttributeValues: { ':token': { S: token }, ':now': { N: String(now) }, ':claimed': { S: 'claimed' }, ':staleBefore': { N: String(staleBefore) } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { notification: JSON.parse(response.Attributes!.notification!.S!) as Notification, token };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  async claimStale(months: readonly string[], now: number, staleBefore: number): Promise<NotificationClaim[]> {
    const claims: NotificationClaim[] = [];
    for (const month of months) {
      let startKey: Item | undefined;
      do {
        const page = await this.client.send(
          new QueryCommand({
            TableName: this.tables.summaries,
            KeyConditionExpression: 'pk = :pk',
            FilterExpression: '#status = :claimed AND claimedAt < :staleBefore',
            ProjectionExpression: 'pk, sk',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pk': { S: notificationPartition(month) }, ':claimed': { S: 'claimed' }, ':staleBefore': { N: String(staleBefore) } },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const claim = await this.takeOver({ pk: item.pk!, sk: item.sk! }, now, staleBefore);
          if (claim) claims.push(claim);
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    return claims;
  }

  async markSent(claim: NotificationClaim, now: number): Promise<void> {
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.summaries,
          Key: notificationKey(monthOf(claim.notification), claim.notification.id),
          UpdateExpression: 'SET #status = :sent, sentAt = :now',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#status': 'status', '#token': 'token' },
          ExpressionAttributeValues: { ':sent': { S: 'sent' }, ':now': { N: String(now) }, ':token': { S: claim.token } },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    this.sent.add(claim.notification.id);
  }

  async countSms(day: string, id: string): Promise<number> {
    // Each notification counts once, however often it is published again after a failure.
    try {
      const response = await this.client.send(
        new UpdateItemCommand({
          TableName: this.tables.summaries,
          Key: smsCounterKey(day),
          UpdateExpression: 'ADD n :one, ids :id SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(ids) OR NOT contains(ids, :idText)',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':one': { N: '1' }, ':id': { SS: [id] }, ':idText': { S: id }, ':ttl': expiresAt(Date.now(), SMS_COUNTER_RETENTION_SECONDS) },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(response.Attributes?.n?.N ?? '1');
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: smsCounterKey(day), ConsistentRead: true }));
      return Number(item.Item?.n?.N ?? '1');
    }
  }

}

/** Mid-period forecast snapshots in the summary table; the first one of a period is kept. */
export class DynamoForecastStore implements ForecastStore {
  private readonly recorded = new Set<string>();

  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
  ) {}

  async record(snapshot: ForecastSnapshot): Promise<void> {
    if (this.recorded.has(snapshot.period)) return;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.tables.summaries,
          Item: { ...forecastKey(snapshot.period), snapshot: { S: JSON.stringify(snapshot) }, [TTL_ATTRIBUTE]: expiresAt(Date.parse(snapshot.madeAt), LEDGER_RETENTION_SECONDS) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    this.recorded.add(snapshot.period);
  }

  async find(period: string): Promise<ForecastSnapshot | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tables.summaries, Key: forecastKey(period), ConsistentRead: true }));
    const text = response.Item?.snapshot?.S;
    return text === undefined ? undefined : (JSON.parse(text) as ForecastSnapshot);
  }
}

/** The newest rate-limit headers per model, kept by the aggregator from the events it counts. */
export class DynamoRateLimitStore implements RateLimitStore {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tables: TableNames,
  ) {}

  async record(snapshots: readonly RateLimitSnapshot[]): Promise<void> {
    for (const snapshot of snapshots) {
      try {
        await this.client.send(
          new PutItemCommand({
            TableName: this.tables.summaries,
            Item: { ...rateLimitKey(snapshot.model), seenAt: { S: snapshot.seenAt }, limits: { S: JSON.stringify(snapshot.limits) } },
            ConditionExpression: 'attribute_not_exists(pk) OR seenAt < :seenAt',
            ExpressionAttributeValues: { ':seenAt': { S: snapshot.seenAt } },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
  }

  async latest(): Promise<RateLimitSnapshot[]> {
    const page = await this.client.send(new QueryCommand({ TableName: this.tables.summaries, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'RL' } }, ConsistentRead: true }));
    return (page.Items ?? []).map((item) => ({ model: item.sk!.S!, seenAt: item.seenAt!.S!, limits: JSON.parse(item.limits!.S!) as Record<string, string> }));
  }
}
