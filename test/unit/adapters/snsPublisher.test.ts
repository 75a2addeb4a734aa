import { describe, expect, test } from '@jest/globals';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { SnsNotificationPublisher, snsSubject } from '../../../shared/adapters/sns/snsPublisher.js';
import { SMS_MAX_CHARS, smsText } from '../../../shared/render/notificationText.js';
import type { AlertNotification, ReportNotification } from '../../../shared/usecases/ports.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:tokmon-alerts';

const critical: AlertNotification = {
  type: 'alert',
  id: 'alert:daily_limit:2026-12-04:actual:100',
  budget: 'daily_limit',
  period: '2026-12-04',
  kind: 'actual',
  threshold: 100,
  limit: 1_000_000,
  unit: 'tokens',
  used: 1_000_001,
  usedPct: 100,
  severity: 'critical',
  subject: 'tokmon: daily_limit at 100% (100% threshold)',
  message: 'tokmon: daily_limit at 100% (100% threshold)\n\nToken Usage Summary\n',
  sms: 'tokmon CRITICAL: daily_limit 2026-12-04 at 100% of 1,000,000 tokens daily limit (1,000,001 tokens)',
  createdAt: '2026-12-04T10:00:00.000Z',
};

function publishedWith(sns: ReturnType<typeof mockClient>) {
  const calls = sns.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  return calls[0]!.args[0].input;
}

describe('SNS publishing (real SNS client, mocked transport)', () => {
  test('an alert carries its severity as a message attribute and one message per protocol', async () => {
    // Prepare
    const client = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });

    // Act
    await new SnsNotificationPublisher(client, TOPIC).publish(critical, { smsCapped: false });

    // Assess
    const input = publishedWith(sns);
    const message = JSON.parse(input.Message!) as Record<string, string>;
    expect(input).toMatchObject({ TopicArn: TOPIC, MessageStructure: 'json', Subject: critical.subject });
    expect(input.MessageAttributes).toEqual({ severity: { DataType: 'String', StringValue: 'critical' }, type: { DataType: 'String', StringValue: 'alert' } });
    expect(JSON.parse(message.default!)).toEqual(critical);
    expect(message.email).toBe(critical.message);
    expect(message.sms).toBe(critical.sms);
    expect(message.sms!.length).toBeLessThanOrEqual(SMS_MAX_CHARS);
  });

  test('past the daily SMS cap the message is marked sms_capped so the SMS filter policy drops it', async () => {
    // Prepare
    const client = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({});

    // Act
    await new SnsNotificationPublisher(client, TOPIC).publish(critical, { smsCapped: true });

    // Assess
    expect(publishedWith(sns).MessageAttributes?.sms_capped).toEqual({ DataType: 'String', StringValue: 'true' });
  });

  test('a report goes out with severity info and an ASCII subject of at most 100 characters', async () => {
    // Prepare
    const client = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
    const sns = mockClient(client);
    sns.on(PublishCommand).resolves({});
    const report: ReportNotification = {
      type: 'report',
      id: 'report:monthly:2026-11',
      report: 'monthly',
      period: '2026-11',
      severity: 'info',
      subject: `tokmon monthly report — 2026-11: $1,234.56 ${'x'.repeat(120)}`,
      message: 'report text',
      createdAt: '2026-12-01T08:00:00.000Z',
    };

    // Act
    await new SnsNotificationPublisher(client, TOPIC).publish(report, { smsCapped: false });

    // Assess
    const input = publishedWith(sns);
    expect(input.Subject!.length).toBeLessThanOrEqual(100);
    expect(input.Subject).toMatch(/^tokmon monthly report - 2026-11: \$1,234\.56 x+\.\.\.$/);
    expect(input.MessageAttributes?.severity?.StringValue).toBe('info');
  });

  test('a failed publish rejects, so the claim stays unsent and is published again later', async () => {
    // Prepare
    const client = new SNSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
    const sns = mockClient(client);
    sns.on(PublishCommand).rejects(new Error('throttled'));

    // Act / Assess
    await expect(new SnsNotificationPublisher(client, TOPIC).publish(critical, { smsCapped: false })).rejects.toThrow('throttled');
  });
});

describe('notification texts', () => {
  test('SMS text is cut to 140 characters on a word, and subjects lose line breaks and non-ASCII', () => {
    // Prepare
    const long = `tokmon CRITICAL: ${'budget-name '.repeat(20)}`;

    // Act
    const sms = smsText(long);

    // Assess
    expect(sms.length).toBeLessThanOrEqual(140);
    expect(sms.endsWith('budget-name…')).toBe(true);
    expect(snsSubject('tokmon:\nüber — budget')).toBe('tokmon: uber - budget');
  });
});
