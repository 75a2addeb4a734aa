import { Duration, Stack, TimeZone, Validations, type StackProps, CfnOutput } from 'aws-cdk-lib';
import { CfnStage, HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, SmsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { fileURLToPath } from 'node:url';
import { SMS_FILTER_POLICY } from '../shared/adapters/sns/snsPublisher.js';
import type { TokenMonitoringConfig } from '../shared/config/config.js';
import { INGEST_ROUTE } from '../shared/http/routes.js';
import type { JobName } from '../shared/runtime/jobs.js';

export interface StatelessStackProps extends StackProps {
  eventsTable: Table;
  summariesTable: Table;
  keysTable: Table;
  adminKeySecret: Secret;
  /** The Anthropic Admin API key (blank until the user puts one): read by the poller and the api function. */
  anthropicAdminKeySecret: Secret;
  /** JSON of the validated configuration and price overrides (infra/deployConfig.ts). */
  bundledConfig: string;
  /** What of the validated configuration shapes the stack: alert subscribers, report schedules, their time zone, the poll period. */
  notifications: Pick<TokenMonitoringConfig, 'alerts' | 'reports' | 'timezone' | 'admin_api' | 'aggregate_minutes'>;
  /** API Gateway stage throttling (requests per second, burst). */
  throttle?: { rateLimit: number; burstLimit: number };
}

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

/** The SMS subscription's filter policy (SMS_FILTER_POLICY) as CDK subscription filters. */
function smsFilterPolicy(): Record<string, SubscriptionFilter> {
  return Object.fromEntries(Object.entries(SMS_FILTER_POLICY).map(([attribute, conditions]) => [attribute, new SubscriptionFilter([...conditions])]));
}

/** Canonical spelling of a zone the config accepted (Intl is case-insensitive, EventBridge Scheduler is not). */
function canonicalTimeZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

type FunctionName = 'ingest' | 'api' | 'aggregator' | 'poller';

/**
 * Functions, the HTTP API, the schedules, the alerts topic and the alarms: replaceable at any
 * time, holding no data. Topic subscriptions follow tokmon.yaml `alerts` on every deploy, the
 * Admin-API poll schedule `admin_api.poll_minutes`.
 */
export class TokmonStatelessStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<FunctionName, NodejsFunction>;
  readonly alertsTopic: Topic;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const tableEnv = {
      TOKMON_EVENTS_TABLE: props.eventsTable.tableName,
      TOKMON_SUMMARIES_TABLE: props.summariesTable.tableName,
      TOKMON_KEYS_TABLE: props.keysTable.tableName,
      NODE_OPTIONS: '--enable-source-maps',
    };

    // Budget alerts, reports and the function alarms all go to one topic.
    // Not encrypted at rest on purpose: CloudWatch alarms cannot publish to a topic encrypted with the
    // AWS-managed alias/aws/sns key, and a customer-managed key costs $1 a month, more than the rest of
    // an idle tokmon. Messages carry usage and cost figures, no credentials; publishing is TLS-only.
    // (cdk-nag 3's AwsSolutions pack has no SNS2 rule any more; the HIPAA/NIST/PCI packs would flag this.)
    const topic = new Topic(this, 'AlertsTopic', { displayName: 'tokmon', enforceSSL: true });
    this.alertsTopic = topic;
    // The TLS-only policy replaces the topic's default policy: let this account's CloudWatch alarms publish.
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAccountAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': `arn:${this.partition}:cloudwatch:${this.region}:${this.account}:alarm:*` },
        },
      }),
    );
    const { alerts, reports } = props.notifications;
    const noRedrive = 'Email and SMS endpoints are people: a delivery SNS gives up on (bounced address, opted-out number) cannot usefully be replayed from a queue, and every alert stays recorded in the notification ledger of the summaries table.';
    for (const address of new Set(alerts.email)) {
      Validations.of(topic.addSubscription(new EmailSubscription(address))).acknowledge({ id: 'Serverless-SNSRedrivePolicy', reason: noRedrive });
    }
    for (const number of new Set(alerts.sms)) {
      // Critical alerts only, and none past the day's SMS cap (the publisher then sets sms_capped).
      Validations.of(topic.addSubscription(new SmsSubscription(number, { filterPolicy: smsFilterPolicy() }))).acknowledge({ id: 'Serverless-SNSRedrivePolicy', reason: noRedrive });
    }
    const topicEnv = { TOKMON_SNS_TOPIC_ARN: topic.topicArn };

    const anthropicEnv = { TOKMON_ANTHROPIC_ADMIN_KEY_SECRET_ARN: props.anthropicAdminKeySecret.secretArn };

    const makeFunction = (name: FunctionName, options: { timeout: Duration; environment?: Record<string, string>; description: string }) => {
      const logGroup = new LogGroup(this, `${name}Logs`, { retention: RetentionDays.ONE_MONTH });
      // An own role instead of AWSLambdaBasicExecutionRole: logs only to this function's log group.
      const role = new Role(this, `${name}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
      role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`] }));
      const fn = new NodejsFunction(this, `${name}Function`, {
        entry: root(`functions/${name}/handler.ts`),
        handler: 'handler',
        description: options.description,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: 512,
        timeout: options.timeout,
        tracing: Tracing.ACTIVE,
        logGroup,
        role,
        environment: { ...tableEnv, ...options.environment },
        bundling: {
          minify: true,
          sourceMap: true,
          target: 'node22',
          format: OutputFormat.ESM,
          mainFields: ['module', 'main'],
          banner: "import { createRequire as tokmonRequire } from 'module'; const require = tokmonRequire(import.meta.url);",
          // Bundle everything, the AWS SDK v3 and the Anthropic SDK included: the runtime's AWS SDK copy is
          // not loaded (faster cold starts, pinned versions) and the Anthropic SDK is not in the runtime at all.
          externalModules: [],
          define: { 'process.env.TOKMON_BUNDLED_CONFIG': JSON.stringify(props.bundledConfig) },
        },
      });
      for (const id of ['AwsSolutions-L1', 'Serverless-LambdaLatestVersion']) {
        Validations.of(fn).acknowledge({ id, reason: 'tokmon runs on nodejs22.x (the LTS line its code, bundle target and tests use); move with a tested upgrade, not automatically.' });
      }
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.',
      });
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(logGroup.node.defaultChild as never)}.Arn>:*]`,
        reason: 'Log streams of this one log group are created at run time.',
      });
      return fn;
    };

    const ingest = makeFunction('ingest', { timeout: Duration.seconds(25), description: 'tokmon POST /v1/events' });
    // The api function runs the jobs on demand (POST /v1/jobs/<job>), so it notifies too. Polls it
    // hands to the poller function, so it neither bundles the Anthropic SDK nor reads the Anthropic key.
    const api = makeFunction('api', {
      timeout: Duration.seconds(28),
      description: 'tokmon API: summaries, jobs, keys, reconciliation, balance',
      environment: { TOKMON_ADMIN_KEY_SECRET_ARN: props.adminKeySecret.secretArn, ...topicEnv },
    });
    const aggregator = makeFunction('aggregator', { timeout: Duration.minutes(5), description: 'tokmon scheduled jobs: aggregate, daily-report, monthly-report', environment: topicEnv });
    // Pages through up to lookback_hours (48 by default) of hourly usage and cost rows per poll.
    const poller = makeFunction('poller', { timeout: Duration.minutes(5), description: 'tokmon scheduled Anthropic Admin-API poll: usage, cost, reconciliation alerts', environment: { ...anthropicEnv, ...topicEnv } });
    this.functions = { ingest, api, aggregator, poller };

    // Least privilege, spelled out: no wildcard actions, write-only where a function only writes.
    props.eventsTable.grant(ingest, 'dynamodb:PutItem', 'dynamodb:PartiQLInsert');
    props.keysTable.grant(ingest, 'dynamodb:GetItem');
    // Ingest may start the aggregator's watermark on a new store, and touch no other summary item.
    ingest.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.summariesTable.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['AGG'] } },
      }),
    );
    props.eventsTable.grant(api, 'dynamodb:Query', 'dynamodb:BatchGetItem');
    // Summaries: rollups and watermark, plus the notification ledger, SMS counter and forecast snapshots.
    const summaryAccess = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'];
    // The Admin-API poll also replaces a window's Anthropic rows (BatchWriteItem puts and deletes) and
    // releases its lease (DeleteItem).
    const anthropicRowAccess = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem'];
    props.summariesTable.grant(api, ...summaryAccess);
    props.keysTable.grant(api, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem');
    props.adminKeySecret.grantRead(api);
    props.eventsTable.grant(aggregator, 'dynamodb:Query', 'dynamodb:BatchGetItem');
    props.summariesTable.grant(aggregator, ...summaryAccess);
    // The poller compares Anthropic's figures with tracked usage (summaries, events journal) and alerts.
    props.eventsTable.grant(poller, 'dynamodb:Query', 'dynamodb:BatchGetItem');
    props.summariesTable.grant(poller, ...summaryAccess, ...anthropicRowAccess);
    props.anthropicAdminKeySecret.grantRead(poller);
    for (const fn of [api, aggregator, poller]) topic.grantPublish(fn);
    // Polls (a backfill window takes longer than API Gateway's 30 s) are handed by the api function to the poller.
    api.addEnvironment('TOKMON_POLLER_FUNCTION_NAME', poller.functionName);
    api.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [poller.functionArn] }));

    for (const fn of [ingest, api]) {
      Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: 'Invoked synchronously by API Gateway: a failure returns an error to the caller, who retries; nothing is queued.' });
      Validations.of(fn).acknowledge({ id: 'Serverless-LambdaAsyncFailureDestination', reason: 'Invoked synchronously by API Gateway only.' });
    }
    for (const fn of [aggregator, poller]) {
      Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason: 'Invoked by EventBridge Scheduler, whose target has its own retry policy and dead-letter queue; backfill windows the api hands to the poller are resumable and re-requested by the CLI until done.' });
      Validations.of(fn).acknowledge({ id: 'Serverless-LambdaAsyncFailureDestination', reason: 'Failed schedule invocations go to the scheduler dead-letter queue; every run is idempotent and the next one catches up.' });
    }

    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.THREE_MONTHS });
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'tokmon HTTP API',
      defaultIntegration: new HttpLambdaIntegration('ApiIntegration', api),
    });
    this.api.addRoutes({ path: INGEST_ROUTE.path, methods: [HttpMethod.POST], integration: new HttpLambdaIntegration('IngestIntegration', ingest) });
    const stage = this.api.defaultStage!.node.defaultChild as CfnStage;
    const throttle = props.throttle ?? { rateLimit: 200, burstLimit: 400 };
    stage.defaultRouteSettings = { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit };
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({ requestId: '$context.requestId', ip: '$context.identity.sourceIp', method: '$context.httpMethod', path: '$context.path', status: '$context.status', latency: '$context.responseLatency', error: '$context.integrationErrorMessage' }),
    };
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'Every route except /v1/health authenticates in the handler with tokmon API keys (SHA-256 hashed, role-checked); an authorizer would add a Lambda call per request.' });
    Validations.of(this.api).acknowledge({ id: 'AwsSolutions-COG4', reason: 'Clients are programs with API keys, not Cognito users.' });

    const deadLetters = new Queue(this, 'ScheduleDeadLetterQueue', { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
    Validations.of(deadLetters).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the schedule.' });
    Validations.of(deadLetters).acknowledge({ id: 'Serverless-SQSRedrivePolicy', reason: 'This queue is itself the dead-letter queue of the schedule.' });
    const schedulerRole = new Role(this, 'SchedulerRole', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    const scheduleJob = (id: string, job: JobName, description: string, schedule: ScheduleExpression, fn: NodejsFunction = aggregator) =>
      new Schedule(this, id, {
        description,
        schedule,
        target: new LambdaInvoke(fn, { role: schedulerRole, input: ScheduleTargetInput.fromObject({ job }), retryAttempts: 3, maxEventAge: Duration.minutes(10), deadLetterQueue: deadLetters }),
      });
    scheduleJob('AggregateSchedule', 'aggregate', 'tokmon: apply closed journal windows to the daily rollups and check budgets', ScheduleExpression.rate(Duration.minutes(props.notifications.aggregate_minutes)));
    // Reports go out at the configured local hour; the scheduler follows the zone's daylight saving time.
    const timeZone = TimeZone.of(canonicalTimeZone(props.notifications.timezone));
    const hour = String(reports.hour);
    if (reports.daily) scheduleJob('DailyReportSchedule', 'daily-report', 'tokmon: publish the report of the day before', ScheduleExpression.cron({ minute: '0', hour, timeZone }));
    if (reports.monthly) scheduleJob('MonthlyReportSchedule', 'monthly-report', 'tokmon: publish the report of the month before', ScheduleExpression.cron({ minute: '0', hour, day: '1', timeZone }));
    // The poller ignores its input ({"job":"poll"} names it in the console); rate(1 minute) is Anthropic's sustained maximum.
    scheduleJob('PollSchedule', 'poll', 'tokmon: poll the Anthropic Admin API for usage and cost, reconcile, alert', ScheduleExpression.rate(Duration.minutes(props.notifications.admin_api.poll_minutes)), poller);
    for (const fn of [aggregator, poller]) {
      Validations.of(schedulerRole).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.getLogicalId(fn.node.defaultChild as never)}.Arn>:*]`,
        reason: 'Scheduler may invoke the aggregator and poller functions and their versions; nothing else.',
      });
    }

    // Any error or throttle of a function is worth a look: each alarms after one in five minutes.
    const alarmAction = new SnsAction(topic);
    for (const [name, fn] of Object.entries(this.functions)) {
      const metrics = { Errors: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), Throttles: fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }) };
      for (const [kind, metric] of Object.entries(metrics)) {
        const alarm = new Alarm(this, `${name}${kind}Alarm`, {
          alarmDescription: `tokmon ${name} function: ${kind.toLowerCase()} in the last 5 minutes`,
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(alarmAction);
      }
    }

    new CfnOutput(this, 'AlertsTopicArn', { value: topic.topicArn, description: 'SNS topic of budget alerts, reports and function alarms' });
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'tokmon API base URL' });
    new CfnOutput(this, 'AdminKeySecretArn', { value: props.adminKeySecret.secretArn, description: 'Secrets Manager secret holding the bootstrap admin key' });
    new CfnOutput(this, 'AnthropicAdminKeySecretArn', { value: props.anthropicAdminKeySecret.secretArn, description: 'Secrets Manager secret to put the Anthropic admin key (sk-ant-admin01-...) into; blank turns the Admin-API poll off' });
  }
}
