import { RemovalPolicy, SecretValue, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/tables.js';

/** The Anthropic admin key secret's value until the user puts a key there: blank once trimmed, so "not configured". */
export const ANTHROPIC_ADMIN_KEY_PLACEHOLDER = ' ';

/**
 * What must survive any redeploy: the tables, the bootstrap admin key and the Anthropic admin key.
 * Everything here is retained when the stack is deleted.
 */
export class TokmonStatefulStack extends Stack {
  readonly eventsTable: Table;
  readonly summariesTable: Table;
  readonly keysTable: Table;
  readonly adminKeySecret: Secret;
  readonly anthropicAdminKeySecret: Secret;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const pkSk = { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } };
    this.eventsTable = new Table(this, 'EventsTable', { ...common, ...pkSk, timeToLiveAttribute: TTL_ATTRIBUTE });
    this.summariesTable = new Table(this, 'SummariesTable', { ...common, ...pkSk });
    this.keysTable = new Table(this, 'KeysTable', { ...common, partitionKey: { name: 'pk', type: AttributeType.STRING } });

    this.adminKeySecret = new Secret(this, 'AdminKeySecret', {
      description: 'tokmon bootstrap admin API key (Authorization: Bearer <value>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.adminKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'A bootstrap API key, not a database credential: rotate it by putting a new value (README); day-to-day keys are created and revoked through the API.',
    });

    // The Anthropic admin key (sk-ant-admin01-...) is the user's to put here after deploy; until then the
    // poller reports "not configured". CloudFormation rejects an empty SecretString (minimum length 1) and
    // CDK generates a random value for an empty one, so the secret starts as a single space, which
    // the reader (shared/adapters/anthropic/sourceFromEnv.ts) trims to "no key".
    this.anthropicAdminKeySecret = new Secret(this, 'AnthropicAdminKeySecret', {
      description: 'tokmon: Anthropic Admin API key (sk-ant-admin01-...), put by you after deploy; blank means the Admin-API poll is off',
      secretStringValue: SecretValue.unsafePlainText(ANTHROPIC_ADMIN_KEY_PLACEHOLDER),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.anthropicAdminKeySecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Anthropic admin keys are issued and rotated in the Anthropic Console, not by AWS: rotate by creating a new key there and putting it into this secret.',
    });
  }
}
