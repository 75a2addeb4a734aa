import { beforeAll, describe, expect, test } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { join } from 'node:path';
import { buildApp } from '../../infra/app.js';

let stateful: Template;
let stateless: Template;

beforeAll(() => {
  // Prepare: the real app, with the cdk-nag AwsSolutions and Serverless packs, synthesized offline
  const app = new App({ context: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' } });
  const built = buildApp(app, join(process.cwd(), 'tokmon.example.yaml'));
  // Synthesis throws "Validation failed" on any unacknowledged cdk-nag finding.
  app.synth();
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
});

describe('stateless stack', () => {
  test('three Node 22 arm64 functions with bundled, minified code, source maps and explicit log groups', () => {
    stateless.resourceCountIs('AWS::Lambda::Function', 3);
    stateless.allResourcesProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: Match.anyValue() },
      Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps', TOKMON_EVENTS_TABLE: Match.anyValue() }) },
    });
    stateless.resourceCountIs('AWS::Logs::LogGroup', 4);
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

  test('the validated configuration is compiled into the function bundles, not passed as plain environment', () => {
    const functions = stateless.findResources('AWS::Lambda::Function');
    for (const fn of Object.values(functions)) {
      expect(JSON.stringify(fn)).not.toContain('TOKMON_BUNDLED_CONFIG');
    }
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
