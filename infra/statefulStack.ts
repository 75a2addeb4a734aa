import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { TTL_ATTRIBUTE } from '../shared/adapters/dynamodb/tables.js';

/**
 * What must survive any redeploy: the tables and the bootstrap admin key. Everything here is
 * retained when the stack is deleted.
 */
export class TokmonStatefulStack extends Stack {
  readonly eventsTable: Table;
  readonly summariesTable: Table;
  readonly keysTable: Table;
  readonly adminKeySecret: Secret;

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
  }
}
