import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../../infra/app.js';
import { ANTHROPIC_ADMIN_KEY_PLACEHOLDER } from '../../infra/statefulStack.js';
import { SMS_FILTER_POLICY } from '../../shared/adapters/sns/snsPublisher.js';

let stateful: Template;
let stateless: Template;
let assemblyFolder: string;
let configFolder: string;

type Statement = { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: unknown };
type PolicyResource = { Properties: { PolicyName: string; PolicyDocument: { Statement: Statement[] } } };

/** The stateless stack of the real app (cdk-nag packs included) built from a tokmon.yaml with this `token_monitoring` body. */
function synthesizeStateless(name: string, tokenMonitoringYaml: string): Template {
  const path = join(configFolder, `${name}.yaml`);
  writeFileSync(path, `token_monitoring:\n${tokenMonitoringYaml}`);
  const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
  const built = buildApp(app, path);
  // Synthesis throws "Validation failed" on any unacknowledged cdk-nag finding.
  app.synth();
  return Template.fromStack(built.stateless);
}

function logicalId(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

function policyStatements(template: Template, rolePrefix: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp(`^${rolePrefix}`) } });
  return Object.values(policies).flatMap((policy) => (policy as PolicyResource).Properties.PolicyDocument.Statement);
}

/** The environment variables of the one function whose logical id starts with this prefix. */
function functionVariables(template: Template, prefix: string): Record<string, unknown> {
  const fn = template.findResources('AWS::Lambda::Function')[logicalId(template, 'AWS::Lambda::Function', prefix)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  return fn.Properties.Environment.Variables;
}

/** The Secrets Manager statements of a role's policies. */
function secretStatements(template: Template, rolePrefix: string): Statement[] {
  return policyStatements(template, rolePrefix).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('secretsmanager:')));
}

/** How the stateless stack refers to the Anthropic admin key secret: the stateful stack's export of its ARN. */
function anthropicSecretImport(): { 'Fn::ImportValue': string } {
  const secret = logicalId(stateful, 'AWS::SecretsManager::Secret', 'AnthropicAdminKeySecret');
  const value = functionVariables(stateless, 'pollerFunction').TOKMON_ANTHROPIC_ADMIN_KEY_SECRET_ARN as { 'Fn::ImportValue': string };
  expect(value).toEqual({ 'Fn::ImportValue': expect.stringMatching(new RegExp(`^TokmonStateful:ExportsOutputRef${secret}`)) });
  return value;
}

beforeAll(() => {
  configFolder = mkdtempSync(join(tmpdir(), 'tokmon-infra-'));
});

afterAll(() => {
  rmSync(configFolder, { recursive: true, force: true });
});

beforeAll(() => {
  // Prepare: the real app, with the cdk-nag AwsSolutions and Serverless packs, synthesized offline
  const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
  const built = buildApp(app, join(process.cwd(), 'tokmon.example.yaml'));
  // Synthesis throws "Validation failed" on any unacknowledged cdk-nag finding.
  assemblyFolder = app.synth().directory;
  stateful = Template.fromStack(built.stateful);
  stateless = Template.fromStack(built.stateless);
}, 180_000);

describe('stateful stack', () => {
  test('three on-demand tables with point-in-time recovery, encryption and retention on delete', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 3);
    const tables = stateful.findResources('AWS::DynamoDB::Table');
    for (const table of Object.values(tables)) {
      expect(table).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          BillingMode: 'PAY_PER_REQUEST',
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
          DeletionProtectionEnabled: true,
        },
      });
    }
  });

  test('the events table expires items by expiresAt', () => {
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    });
  });

  test('the bootstrap admin key is a generated, retained secret', () => {
    stateful.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: { GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } },
    });
  });

  test('the Anthropic admin key secret is retained and starts blank: no generated value, a placeholder that trims to empty', () => {
    // Prepare
    const id = logicalId(stateful, 'AWS::SecretsManager::Secret', 'AnthropicAdminKeySecret');

    // Act
    const secret = stateful.findResources('AWS::SecretsManager::Secret')[id] as { DeletionPolicy: string; UpdateReplacePolicy: string; Properties: Record<string, unknown> };

    // Assess: CloudFormation rejects an empty SecretString, so a single space that the reader trims away
    expect(secret.DeletionPolicy).toBe('Retain');
    expect(secret.UpdateReplacePolicy).toBe('Retain');
    expect(secret.Properties).not.toHaveProperty('GenerateSecretString');
    expect(secret.Properties.SecretString).toBe(ANTHROPIC_ADMIN_KEY_PLACEHOLDER);
    expect(ANTHROPIC_ADMIN_KEY_PLACEHOLDER).toHaveLength(1);
    expect(ANTHROPIC_ADMIN_KEY_PLACEHOLDER.trim()).toBe('');
    stateful.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });
});

describe('stateless stack', () => {
  test('four Node 22 arm64 functions with bundled, minified code, source maps and explicit log groups', () => {
    stateless.resourceCountIs('AWS::Lambda::Function', 4);
    stateless.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', TOKMON_EVENTS_TABLE: Match.anyValue() }) },
    });
    stateless.resourceCountIs('AWS::Logs::LogGroup', 5);
    stateless.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  test('the ingest function may only insert events, read keys and start the watermark item', () => {
    const policies = stateless.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('^ingestRole') } });
    const statements = Object.values(policies).flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((statement) => [statement.Action].flat()).sort();
    expect(actions).toEqual(['dynamodb:GetItem', 'dynamodb:PartiQLInsert', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    const update = statements.find((statement) => statement.Action === 'dynamodb:UpdateItem') as { Condition?: unknown } | undefined;
    expect(update?.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['AGG'] } });
  });

  test('no policy grants a wildcard action', () => {
    const policies = stateless.findResources('AWS::IAM::Policy');
    for (const policy of Object.values(policies)) {
      for (const statement of (policy as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(action).not.toMatch(/\*/);
      }
    }
    stateless.resourcePropertiesCountIs('AWS::IAM::Role', { ManagedPolicyArns: Match.anyValue() }, 0);
  });

  test('POST /v1/events goes to the ingest function, everything else to the api function', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /v1/events' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
  });

  test('the stage is throttled and access-logged', () => {
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  test('the aggregator runs every 5 minutes with retries and a dead-letter queue', () => {
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: { RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 }, DeadLetterConfig: { Arn: Match.anyValue() } },
    });
    stateless.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  test('the scheduled-jobs function runs aggregate every 5 minutes and the daily and monthly reports at the configured hour, each with retries and the dead-letter queue', () => {
    // Prepare: tokmon.example.yaml keeps the report defaults (both on, 08:00) and timezone UTC
    const aggregator = logicalId(stateless, 'AWS::Lambda::Function', 'aggregatorFunction');
    const deadLetters = logicalId(stateless, 'AWS::SQS::Queue', 'ScheduleDeadLetterQueue');
    const expected = [
      { job: 'aggregate', expression: 'rate(5 minutes)' },
      { job: 'daily-report', expression: 'cron(0 8 * * ? *)', timezone: 'UTC' },
      { job: 'monthly-report', expression: 'cron(0 8 1 * ? *)', timezone: 'UTC' },
    ];

    // Assess
    stateless.resourcePropertiesCountIs('AWS::Scheduler::Schedule', { Target: { Arn: { 'Fn::GetAtt': [aggregator, 'Arn'] } } }, expected.length);
    for (const { job, expression, timezone } of expected) {
      stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: expression,
        ...(timezone ? { ScheduleExpressionTimezone: timezone } : {}),
        Target: {
          Arn: { 'Fn::GetAtt': [aggregator, 'Arn'] },
          Input: JSON.stringify({ job }),
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetters, 'Arn'] } },
        },
      });
    }
  });

  test('the aggregate schedule follows aggregate_minutes, the report schedules follow reports.hour and the configured time zone, and only the enabled reports are scheduled', () => {
    // Prepare / Act
    const template = synthesizeStateless('berlin', '  timezone: Europe/Berlin\n  aggregate_minutes: 1\n  reports: { daily: true, monthly: false, hour: 7 }\n');

    // Assess: aggregate (every minute here, for alerts within a minute), the daily report and the Admin-API poll
    template.resourceCountIs('AWS::Scheduler::Schedule', 3);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(1 minute)', Target: { Input: JSON.stringify({ job: 'aggregate' }) } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 7 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      Target: { Input: JSON.stringify({ job: 'daily-report' }), RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 }, DeadLetterConfig: { Arn: Match.anyValue() } },
    });
    template.resourcePropertiesCountIs('AWS::Scheduler::Schedule', { Target: { Input: JSON.stringify({ job: 'monthly-report' }) } }, 0);
  }, 180_000);

  test('with reports.daily and reports.monthly false only the aggregate job and the Admin-API poll are scheduled, and without alerts recipients there are no subscriptions', () => {
    // Prepare / Act
    const template = synthesizeStateless('quiet', '  reports: { daily: false, monthly: false }\n');

    // Assess
    template.resourceCountIs('AWS::Scheduler::Schedule', 2);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(5 minutes)', Target: { Input: JSON.stringify({ job: 'aggregate' }) } });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)', Target: { Input: JSON.stringify({ job: 'poll' }) } });
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  }, 180_000);

  test('the validated configuration is compiled into the function bundles, not passed as plain environment', () => {
    const functions = stateless.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      expect(JSON.stringify(fn)).not.toContain('TOKMON_BUNDLED_CONFIG');
    }
  });
});

describe('alerts', () => {
  test('one alerts topic whose policy denies publishing without TLS and lets this account\'s alarms publish', () => {
    // Prepare
    const topic = logicalId(stateless, 'AWS::SNS::Topic', 'AlertsTopic');

    // Assess
    stateless.resourceCountIs('AWS::SNS::Topic', 1);
    stateless.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: { Ref: topic }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }) }),
        ]),
      },
    });
  });

  test('each alerts.email address gets an email subscription and each alerts.sms number an SMS subscription filtered to uncapped critical alerts', () => {
    // Prepare: tokmon.example.yaml has alerts.email [ops@example.com] and alerts.sms [+15555550100]
    const topic = logicalId(stateless, 'AWS::SNS::Topic', 'AlertsTopic');

    // Assess
    stateless.resourceCountIs('AWS::SNS::Subscription', 2);
    stateless.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topic }, FilterPolicy: Match.absent() });
    stateless.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sms', Endpoint: '+15555550100', TopicArn: { Ref: topic } });
    const [sms] = Object.values(stateless.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'sms' } })) as { Properties: { FilterPolicy: unknown; FilterPolicyScope?: string } }[];
    expect(sms!.Properties.FilterPolicy).toEqual(SMS_FILTER_POLICY);
    // The publisher sets severity and sms_capped as message attributes, the default filter scope.
    expect(sms!.Properties.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
  });

  test('every alerts.email address gets its own subscription', () => {
    // Prepare / Act
    const template = synthesizeStateless('two-emails', '  alerts: { email: [a@example.com, b@example.com, a@example.com] }\n  reports: { daily: false, monthly: false }\n');

    // Assess: one per distinct address, none by SMS
    template.resourceCountIs('AWS::SNS::Subscription', 2);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'a@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'b@example.com' });
  }, 180_000);

  test('the scheduled-jobs, poller and api functions get the topic ARN, the ingest function does not', () => {
    // Prepare
    const topic = logicalId(stateless, 'AWS::SNS::Topic', 'AlertsTopic');
    const variables = (prefix: string) => (stateless.findResources('AWS::Lambda::Function')[logicalId(stateless, 'AWS::Lambda::Function', prefix)] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables;

    // Assess
    expect(variables('aggregatorFunction').TOKMON_SNS_TOPIC_ARN).toEqual({ Ref: topic });
    expect(variables('apiFunction').TOKMON_SNS_TOPIC_ARN).toEqual({ Ref: topic });
    expect(variables('pollerFunction').TOKMON_SNS_TOPIC_ARN).toEqual({ Ref: topic });
    expect(variables('ingestFunction')).not.toHaveProperty('TOKMON_SNS_TOPIC_ARN');
  });

  test('only the scheduled-jobs, poller and api roles may publish to the topic', () => {
    // Prepare
    const topic = logicalId(stateless, 'AWS::SNS::Topic', 'AlertsTopic');
    const policies = stateless.findResources('AWS::IAM::Policy') as Record<string, PolicyResource>;

    // Act
    const publishers = Object.values(policies)
      .filter((policy) => policy.Properties.PolicyDocument.Statement.some((statement) => [statement.Action].flat().some((action) => action.startsWith('sns:'))))
      .map((policy) => policy.Properties.PolicyName.replace(/Role.*$/, ''))
      .sort();

    // Assess
    expect(publishers).toEqual(['aggregator', 'api', 'poller']);
    for (const role of publishers) {
      expect(policyStatements(stateless, `${role}Role`)).toContainEqual({ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: topic } });
    }
  });

  test('the scheduled-jobs, poller and api functions may get, put, update and query summary items (notification ledger, SMS counter, forecasts); only the poller may also batch-write and delete them (Anthropic rows, poll lease)', () => {
    const expected: Record<string, string[]> = {
      aggregatorRole: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      apiRole: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      pollerRole: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
    };
    for (const [role, actions] of Object.entries(expected)) {
      // Act
      const summaries = policyStatements(stateless, role).filter((statement) => JSON.stringify(statement.Resource).includes('SummariesTable'));

      // Assess
      expect(summaries.flatMap((statement) => [statement.Action].flat()).sort()).toEqual(actions);
    }
  });

  test('every function alarms on errors and on throttles (at least one in 5 minutes) into the alerts topic', () => {
    // Prepare
    const topic = logicalId(stateless, 'AWS::SNS::Topic', 'AlertsTopic');

    // Assess
    stateless.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    for (const name of ['ingest', 'api', 'aggregator', 'poller']) {
      const fn = logicalId(stateless, 'AWS::Lambda::Function', `${name}Function`);
      for (const metric of ['Errors', 'Throttles']) {
        stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: metric,
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }],
          Statistic: 'Sum',
          Period: 300,
          EvaluationPeriods: 1,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: topic }],
        });
      }
    }
  });

  test('the topic ARN is a stack output', () => {
    const topic = logicalId(stateless, 'AWS::SNS::Topic', 'AlertsTopic');
    stateless.hasOutput('AlertsTopicArn', { Value: { Ref: topic } });
  });
});

describe('Anthropic Admin API poller', () => {
  test('the poller function gets the Anthropic admin key secret ARN and may read that secret and no other', () => {
    // Prepare
    const secret = anthropicSecretImport();

    // Act
    const statements = secretStatements(stateless, 'pollerRole');

    // Assess
    expect(functionVariables(stateless, 'pollerFunction').TOKMON_ANTHROPIC_ADMIN_KEY_SECRET_ARN).toEqual(secret);
    expect(statements).toHaveLength(1);
    expect([statements[0]!.Action].flat().sort()).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(statements[0]!.Resource).toEqual(secret);
  });

  test('only the poller may read the Anthropic admin key secret: the api, ingest and scheduled-jobs functions may not', () => {
    // Prepare
    const secret = anthropicSecretImport();

    // Act
    const readers = (role: string) => secretStatements(stateless, role).filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(secret));

    // Assess
    for (const name of ['api', 'ingest', 'aggregator']) {
      expect(functionVariables(stateless, `${name}Function`)).not.toHaveProperty('TOKMON_ANTHROPIC_ADMIN_KEY_SECRET_ARN');
      expect(readers(`${name}Role`)).toEqual([]);
    }
  });

  test('the api function may invoke the poller, and only it, to hand over backfill windows', () => {
    // Prepare
    const poller = logicalId(stateless, 'AWS::Lambda::Function', 'pollerFunction');

    // Act
    const invokes = (role: string) => policyStatements(stateless, role).filter((statement) => [statement.Action].flat().includes('lambda:InvokeFunction'));

    // Assess
    expect(functionVariables(stateless, 'apiFunction').TOKMON_POLLER_FUNCTION_NAME).toEqual({ Ref: poller });
    expect(invokes('apiRole').map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [poller, 'Arn'] }]);
    for (const role of ['ingestRole', 'aggregatorRole', 'pollerRole']) expect(invokes(role)).toEqual([]);
  });

  test('the poller may read the events journal, use the summaries table, publish to the topic and log, and nothing else', () => {
    // Act
    const statements = policyStatements(stateless, 'pollerRole');
    const onTable = (table: string) => statements.filter((statement) => JSON.stringify(statement.Resource).includes(table)).flatMap((statement) => [statement.Action].flat()).sort();

    // Assess
    expect(onTable('EventsTable')).toEqual(['dynamodb:BatchGetItem', 'dynamodb:Query']);
    expect(onTable('KeysTable')).toEqual([]);
    expect(statements.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'sns:Publish',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
  });

  test('the poller has 5 minutes per run, to page through the lookback window', () => {
    // Act
    const fn = stateless.findResources('AWS::Lambda::Function')[logicalId(stateless, 'AWS::Lambda::Function', 'pollerFunction')] as { Properties: { Timeout: number } };

    // Assess
    expect(fn.Properties.Timeout).toBe(300);
  });

  test('the poller bundle includes the Anthropic SDK instead of importing it at run time', () => {
    // Prepare
    const fn = stateless.findResources('AWS::Lambda::Function')[logicalId(stateless, 'AWS::Lambda::Function', 'pollerFunction')] as { Properties: { Code: { S3Key: string } } };
    const assetHash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');

    // Act
    const bundle = readFileSync(join(assemblyFolder, `asset.${assetHash}`, 'index.mjs'), 'utf8');

    // Assess: the SDK's own request header is in the bundle, and no import of the package is left
    // (booleans, so that a failure does not print a megabyte of bundle)
    expect({
      sdkCodeBundled: bundle.includes('anthropic-version'),
      sdkImportedAtRunTime: /(from\s*|require\(\s*|import\(\s*)["']@anthropic-ai\/sdk/.test(bundle),
    }).toEqual({ sdkCodeBundled: true, sdkImportedAtRunTime: false });
  });

  test('the api bundle leaves the Anthropic SDK out: it hands polls to the poller', () => {
    // Prepare
    const fn = stateless.findResources('AWS::Lambda::Function')[logicalId(stateless, 'AWS::Lambda::Function', 'apiFunction')] as { Properties: { Code: { S3Key: string } } };

    // Act
    const bundle = readFileSync(join(assemblyFolder, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs'), 'utf8');

    // Assess
    expect({ sdkCodeBundled: bundle.includes('anthropic-version') }).toEqual({ sdkCodeBundled: false });
  });

  test('the poller runs every admin_api.poll_minutes (15 by default) with retries and the dead-letter queue', () => {
    // Prepare: tokmon.example.yaml has admin_api.poll_minutes 15
    const poller = logicalId(stateless, 'AWS::Lambda::Function', 'pollerFunction');
    const deadLetters = logicalId(stateless, 'AWS::SQS::Queue', 'ScheduleDeadLetterQueue');

    // Assess
    stateless.resourcePropertiesCountIs('AWS::Scheduler::Schedule', { Target: { Arn: { 'Fn::GetAtt': [poller, 'Arn'] } } }, 1);
    stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(15 minutes)',
      Target: {
        Arn: { 'Fn::GetAtt': [poller, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetters, 'Arn'] } },
      },
    });
  });

  test('the poll schedule follows admin_api.poll_minutes: rate(1 minute) at 1, rate(30 minutes) at 30', () => {
    for (const [minutes, expression] of [
      [1, 'rate(1 minute)'],
      [30, 'rate(30 minutes)'],
    ] as const) {
      // Prepare / Act
      const template = synthesizeStateless(`poll-${minutes}`, `  admin_api: { poll_minutes: ${minutes} }\n  reports: { daily: false, monthly: false }\n`);
      const poller = logicalId(template, 'AWS::Lambda::Function', 'pollerFunction');
      const deadLetters = logicalId(template, 'AWS::SQS::Queue', 'ScheduleDeadLetterQueue');

      // Assess
      template.resourcePropertiesCountIs('AWS::Scheduler::Schedule', { Target: { Arn: { 'Fn::GetAtt': [poller, 'Arn'] } } }, 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: expression,
        Target: {
          Arn: { 'Fn::GetAtt': [poller, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [deadLetters, 'Arn'] } },
        },
      });
    }
  }, 360_000);

  test('the Anthropic admin key secret ARN is a stack output', () => {
    stateless.hasOutput('AnthropicAdminKeySecretArn', { Value: anthropicSecretImport() });
  });
});

describe('cdk-nag', () => {
  test('the app synthesizes with both packs (see beforeAll), and the same app with one unacknowledged finding fails', () => {
    // Prepare: the real app plus a table without point-in-time recovery (AwsSolutions-DDB3)
    const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
    buildApp(app, join(process.cwd(), 'tokmon.example.yaml'));
    new Table(new Stack(app, 'Control'), 'UnprotectedTable', { partitionKey: { name: 'pk', type: AttributeType.STRING } });

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
  }, 180_000);
});
