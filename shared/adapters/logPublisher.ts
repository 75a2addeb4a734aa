import { log } from '../runtime/log.js';
import type { Notification, NotificationPublisher, PublishOptions } from '../usecases/ports.js';

/** Without a topic, a notification is at least a log line (never silently dropped). */
export class LogNotificationPublisher implements NotificationPublisher {
  async publish(notification: Notification, options: PublishOptions): Promise<void> {
    log('warn', 'notification (no topic configured)', { id: notification.id, severity: notification.severity, subject: notification.subject, smsCapped: options.smsCapped });
  }
}

/** Publishes to each publisher in turn; fails if any fails (the claim is then published again later). */
export class FanOutPublisher implements NotificationPublisher {
  constructor(private readonly publishers: readonly NotificationPublisher[]) {}

  async publish(notification: Notification, options: PublishOptions): Promise<void> {
    for (const publisher of this.publishers) await publisher.publish(notification, options);
  }
}
