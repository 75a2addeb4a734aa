import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotificationFile } from '../../cli/local/notificationFile.js';
import { DynamoForecastStore, DynamoNotificationLedger } from '../../shared/adapters/dynamodb/alertStores.js';
import type { Notification, NotificationClaim, NotificationLedger, NotificationPublisher, PublishOptions } from '../../shared/usecases/ports.js';
import { freshStores, type TestClock } from './dynamo.js';

/** Every publish call, in order, with its options. */
export class RecordingPublisher implements NotificationPublisher {
  readonly calls: { notification: Notification; options: PublishOptions }[] = [];
  failNext = 0;

  async publish(notification: Notification, options: PublishOptions): Promise<void> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('injected: publish failed');
    }
    this.calls.push({ notification, options });
  }

  ids(): string[] {
    return this.calls.map((call) => call.notification.id);
  }
}

/** A ledger whose next `markSent` calls throw, as if the process died right after publishing. */
export class CrashingLedger implements NotificationLedger {
  /** How many notifications will fail to be marked sent (every attempt), as if storage died right after publishing. */
  crashBeforeMarkingSent = 0;
  readonly crashed: string[] = [];
  private failing: string | undefined;

  constructor(private readonly inner: NotificationLedger) {}

  claim(notification: Notification, now: number, staleBefore: number) {
    return this.inner.claim(notification, now, staleBefore);
  }

  claimStale(months: readonly string[], now: number, staleBefore: number) {
    return this.inner.claimStale(months, now, staleBefore);
  }

  async markSent(claim: NotificationClaim, now: number): Promise<void> {
    if (this.failing === claim.notification.id) {
      // The immediate retry of the same mark fails too; a later attempt (after a takeover) works.
      this.failing = undefined;
      throw new Error('injected: marking sent failed again');
    }
    if (this.crashBeforeMarkingSent > 0) {
      this.crashBeforeMarkingSent -= 1;
      this.failing = claim.notification.id;
      this.crashed.push(claim.notification.id);
      throw new Error('injected: marking sent failed');
    }
    this.failing = undefined;
    return this.inner.markSent(claim, now);
  }

  countSms(day: string, id: string) {
    return this.inner.countSms(day, id);
  }
}

/** Fresh tables plus the alert adapters of one "process"; `restart` gives a new process on the same tables. */
export async function alertStores(clock: TestClock, config: Record<string, unknown>) {
  const stores = await freshStores(clock, config);
  const publisher = new RecordingPublisher();
  const process = () => ({
    ...stores,
    ledger: new CrashingLedger(new DynamoNotificationLedger(stores.client, stores.tables)),
    forecasts: new DynamoForecastStore(stores.client, stores.tables),
    publisher,
    smsDailyCap: stores.config.alerts.sms_daily_cap,
  });
  return { stores, publisher, process };
}

export function notificationFile(): NotificationFile {
  const dir = mkdtempSync(join(tmpdir(), 'tokmon-notifications-'));
  return new NotificationFile(join(dir, 'notifications.jsonl'), () => {});
}
