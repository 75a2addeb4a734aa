import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Notification, NotificationPublisher, PublishOptions } from '../../usecases/ports.js';

/** SNS subjects: at most 100 printable ASCII characters, no line breaks. */
export const SNS_SUBJECT_MAX = 100;
const PUBLISH_TIMEOUT_MS = 30_000;

export function snsSubject(subject: string): string {
  const ascii = subject
    .replace(/\s+/g, ' ')
    .replace(/[—–]/g, '-')
    .normalize('NFKD')
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
  return (ascii.length > SNS_SUBJECT_MAX ? `${ascii.slice(0, SNS_SUBJECT_MAX - 3)}...` : ascii) || 'tokmon';
}

/**
 * The SMS subscription's filter policy: only critical notifications, and none once the day's SMS
 * cap is reached (the publisher then marks them `sms_capped`).
 */
export const SMS_FILTER_POLICY = { severity: ['critical'], sms_capped: [{ exists: false }] } as const;

/** The SNS Publish request of a notification: one message per protocol, severity as an attribute. */
export function publishInput(topicArn: string, notification: Notification, options: PublishOptions) {
  const attributes: Record<string, MessageAttributeValue> = {
    severity: { DataType: 'String', StringValue: notification.severity },
    type: { DataType: 'String', StringValue: notification.type },
  };
  if (options.smsCapped) attributes.sms_capped = { DataType: 'String', StringValue: 'true' };
  return {
    TopicArn: topicArn,
    Subject: snsSubject(notification.subject),
    MessageStructure: 'json',
    Message: JSON.stringify({
      // Queues, functions and HTTPS subscribers get the notification as JSON (CONTRACT §3.3).
      default: JSON.stringify(notification),
      email: notification.message,
      sms: notification.type === 'alert' ? notification.sms : notification.subject.slice(0, 140),
    }),
    MessageAttributes: attributes,
  };
}

export class SnsNotificationPublisher implements NotificationPublisher {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notification: Notification, options: PublishOptions): Promise<void> {
    await this.client.send(new PublishCommand(publishInput(this.topicArn, notification, options)), { abortSignal: AbortSignal.timeout(PUBLISH_TIMEOUT_MS) });
  }
}

/** The SNS publisher of TOKMON_SNS_TOPIC_ARN, or undefined when it is not set. */
export function snsPublisherFromEnv(env: NodeJS.ProcessEnv = process.env): SnsNotificationPublisher | undefined {
  const topicArn = env.TOKMON_SNS_TOPIC_ARN;
  if (!topicArn) return undefined;
  return new SnsNotificationPublisher(new SNSClient({}), topicArn);
}
