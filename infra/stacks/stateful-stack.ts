import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { ConfigurationSet, EmailSendingEvent, EventDestination } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SqsSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { queues, type QueueName } from '../topology/queues.ts';
import { rules } from '../topology/rules.ts';
import { acknowledge } from '../nag.ts';
import { restrictBusPublishers, userPool, type Identity } from '../constructs/identity.ts';
import type { WmsDeployment } from '#shared/domain/wms.ts';
import type { Construct } from 'constructs';
import { table as tableDefinition, type IndexName } from '#shared/store/table.ts';

export interface StatefulStackProps extends StackProps {
  /** Days the bus archive keeps every event for replay. */
  archiveRetentionDays: number;
  /** With `stripe`, the stack holds Stripe's secret key and webhook signing secret (values put by the merchant, docs/payments.md). */
  paymentProvider?: 'sandbox' | 'stripe' | undefined;
  /** With `easypost`, the stack holds EasyPost's API key and webhook secret (values put by the merchant, docs/carriers.md). */
  carrierProvider?: 'sandbox' | 'easypost' | undefined;
  /** The warehouse systems allowed to put FulfillmentReported on the bus, each with its IAM role and locations (context `wms`, docs/security.md). */
  wms?: WmsDeployment | undefined;
}

/**
 * Everything that holds data and must outlive deployments: the table, the
 * event bus and its archive, dead-letter queues, the API token, the alarm
 * topic. Retained on stack deletion.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  readonly key: Key;
  /** Seals channel secrets (envelope encryption, docs/security.md): only functions with `channel:secrets` may use it. */
  readonly channelSecretsKey: Key;
  readonly bus: EventBus;
  readonly pipeDeadLetters: Queue;
  readonly eventDeadLetters: Queue;
  readonly scheduleDeadLetters: Queue;
  /** On-failure destination of every asynchronously invoked function: Lambda's record, the event under requestPayload (docs/operations.md, redrive). */
  readonly failedInvocations: Queue;
  /** Work queues of infra/topology/queues.ts, each with its dead-letter queue. */
  readonly queues: Record<QueueName, { queue: Queue; deadLetters: Queue }>;
  /** Holds the per-channel poll schedules the OMS creates at run time. */
  readonly pollSchedules: ScheduleGroup;
  readonly apiToken: Secret;
  readonly carrierWebhookSecret: Secret;
  /** Stripe's secret key and webhook signing secret, when the deployment takes payments with Stripe. */
  readonly stripeSecretKey: Secret | undefined;
  readonly stripeWebhookSecret: Secret | undefined;
  /** EasyPost's API key and webhook secret, when the deployment buys labels through EasyPost. */
  readonly easypostApiKey: Secret | undefined;
  readonly easypostWebhookSecret: Secret | undefined;
  readonly alarmTopic: Topic;
  /** Label documents (ZPL, PDF) under `labels/<orderId>/…`: the fulfillment and return items keep only a reference. */
  readonly documents: Bucket;
  /** People sign in here; groups admin, operations, analyst map to API scopes (docs/security.md). */
  readonly identity: Identity;
  /** The export of the bucket's ARN (a fixed name, so cdk-nag findings about `labels/*` grants can be acknowledged by it). */
  get documentBucketArnExport(): string {
    return `${this.stackName}-DocumentBucketArn`;
  }
  /** SES publishes bounces and complaints of every customer e-mail sent with this configuration set to `mailFeedbackTopic`. */
  readonly mailConfigurationSet: ConfigurationSet;
  readonly mailFeedbackTopic: Topic;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);

    this.key = new Key(this, 'DataKey', {
      description: 'OMS data at rest: table (channel secrets live there) and alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Channel credentials are sealed with data keys of this key before they reach the table (and its stream, backups,
    // exports): only the functions that call channels or verify their webhooks may decrypt, only the channel PUT encrypt.
    this.channelSecretsKey = new Key(this, 'ChannelSecretsKey', {
      description: 'OMS channel secrets: envelope encryption of channel credentials (Shopify, WooCommerce, Amazon, eBay)',
      alias: `alias/${this.stackName}-channel-secrets`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted alarm topic.
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    // Table (not TableV2): a customer-managed key on TableV2 cannot be rendered in a region-agnostic stack.
    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      stream: StreamViewType[tableDefinition.streamView],
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const indexName of Object.keys(tableDefinition.indexes) as IndexName[]) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: tableDefinition.indexes[indexName].partitionKey, type: AttributeType.STRING },
        sortKey: { name: tableDefinition.indexes[indexName].sortKey, type: AttributeType.STRING },
      });
    }

    this.bus = new EventBus(this, 'Bus', { description: 'OMS domain events (versioned contracts in events/)' });
    restrictBusPublishers(this.bus, props.wms);
    this.identity = userPool(this);
    new Archive(this, 'BusArchive', {
      sourceEventBus: this.bus,
      description: 'Every OMS event, for replay into new consumers and read models',
      eventPattern: { account: [this.account] },
      retention: Duration.days(props.archiveRetentionDays),
    });

    const deadLetterQueue = (id: string, description: string) => {
      const queue = new Queue(this, id, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
      acknowledge(queue, [
        { id: 'AwsSolutions-SQS3', reason: `${description}: it is itself a dead-letter queue.` },
      ]);
      return queue;
    };
    this.pipeDeadLetters = deadLetterQueue('PipeDeadLetters', 'Stream records the outbox or inbox pipe gave up on');
    this.eventDeadLetters = deadLetterQueue('EventDeadLetters', 'Events a rule could not deliver to its target');
    this.scheduleDeadLetters = deadLetterQueue('ScheduleDeadLetters', 'Scheduled invocations that failed every retry');
    this.failedInvocations = deadLetterQueue('FailedInvocations', 'Asynchronous invocations that failed Lambda\'s 2 retries (on-failure destination)');
    this.queues = {} as Record<QueueName, { queue: Queue; deadLetters: Queue }>;
    for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      const id = name.charAt(0).toUpperCase() + name.slice(1);
      const deadLetters = deadLetterQueue(`${id}DeadLetters`, `${spec.description}: messages that failed ${spec.maxReceiveCount} times`);
      const queue = new Queue(this, `${id}Queue`, {
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
        retentionPeriod: Duration.days(4),
        deadLetterQueue: { queue: deadLetters, maxReceiveCount: spec.maxReceiveCount },
      });
      this.queues[name] = { queue, deadLetters };
    }
    this.pollSchedules = new ScheduleGroup(this, 'PollSchedules', { removalPolicy: RemovalPolicy.DESTROY });

    // Rules live in the stateless stack; granting their service here (scoped to rules of this bus)
    // keeps the stateful stack free of references to stateless resources.
    this.eventDeadLetters.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.eventDeadLetters.queueArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': this.formatArn({ service: 'events', resource: 'rule', resourceName: `${this.bus.eventBusName}/*` }),
          },
        },
      }),
    );

    const busRules = this.formatArn({ service: 'events', resource: 'rule', resourceName: `${this.bus.eventBusName}/*` });
    for (const name of new Set(rules.flatMap((rule) => ('queue' in rule.target ? [rule.target.queue] : [])))) {
      this.queues[name].queue.addToResourcePolicy(
        new PolicyStatement({
          principals: [new ServicePrincipal('events.amazonaws.com')],
          actions: ['sqs:SendMessage'],
          resources: [this.queues[name].queue.queueArn],
          conditions: { ArnLike: { 'aws:SourceArn': busRules } },
        }),
      );
    }

    this.apiToken = new Secret(this, 'ApiToken', {
      description: 'Bearer token of the OMS admin/REST API',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.apiToken, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'A static bearer token handed to integrators; operators rotate it with put-secret-value (docs/operations.md) and functions pick it up within 5 minutes.',
      },
    ]);

    this.carrierWebhookSecret = new Secret(this, 'CarrierWebhookSecret', {
      description: 'Signing secret of carrier tracking webhooks (X-Carrier-Signature)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.carrierWebhookSecret, [
      { id: 'AwsSolutions-SMG4', reason: 'Shared with the carrier when the webhook is registered; rotated with put-secret-value together with the carrier (docs/operations.md).' },
    ]);

    if (props.paymentProvider === 'stripe') {
      // Placeholders until the merchant puts the real values (put-secret-value); functions read them within 5 minutes.
      this.stripeSecretKey = new Secret(this, 'StripeSecretKey', {
        description: 'Stripe secret key (sk_live_… or a restricted rk_live_…) the OMS charges with; put the value from the Stripe Dashboard',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.stripeWebhookSecret = new Secret(this, 'StripeWebhookSecret', {
        description: 'Signing secret (whsec_…) of the Stripe webhook endpoint /webhooks/payments/stripe; put the value from the Stripe Dashboard',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const secret of [this.stripeSecretKey, this.stripeWebhookSecret]) {
        acknowledge(secret, [{ id: 'AwsSolutions-SMG4', reason: 'Issued by Stripe, not by AWS: rolled in the Stripe Dashboard and put with put-secret-value (docs/payments.md).' }]);
      }
      new CfnOutput(this, 'StripeSecretKeyArn', { value: this.stripeSecretKey.secretArn, description: 'Put the Stripe secret key here' });
      new CfnOutput(this, 'StripeWebhookSecretArn', { value: this.stripeWebhookSecret.secretArn, description: 'Put the Stripe webhook signing secret here' });
    } else {
      this.stripeSecretKey = undefined;
      this.stripeWebhookSecret = undefined;
    }

    if (props.carrierProvider === 'easypost') {
      // Placeholders until the merchant puts the real values (put-secret-value); functions read them within 5 minutes.
      this.easypostApiKey = new Secret(this, 'EasyPostApiKey', {
        description: 'EasyPost API key (a production key, or a test key EZTK… while trying) the OMS buys labels with; put the value from the EasyPost dashboard',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      this.easypostWebhookSecret = new Secret(this, 'EasyPostWebhookSecret', {
        description: 'Webhook secret of the EasyPost webhook /webhooks/carriers/easypost (X-Hmac-Signature); put the value given to EasyPost',
        removalPolicy: RemovalPolicy.RETAIN,
      });
      for (const secret of [this.easypostApiKey, this.easypostWebhookSecret]) {
        acknowledge(secret, [{ id: 'AwsSolutions-SMG4', reason: 'Issued in or shared with EasyPost, not by AWS: rolled in the EasyPost dashboard and put with put-secret-value (docs/carriers.md).' }]);
      }
      new CfnOutput(this, 'EasyPostApiKeyArn', { value: this.easypostApiKey.secretArn, description: 'Put the EasyPost API key here' });
      new CfnOutput(this, 'EasyPostWebhookSecretArn', { value: this.easypostWebhookSecret.secretArn, description: 'Put the EasyPost webhook secret here' });
    } else {
      this.easypostApiKey = undefined;
      this.easypostWebhookSecret = undefined;
    }

    // Label files: private, encrypted, TLS only, kept 400 days (returns, claims and carrier disputes reach back a year).
    this.documents = new Bucket(this, 'Documents', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'labels-expire', prefix: 'labels/', expiration: Duration.days(400) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.documents, [
      { id: 'AwsSolutions-S1', reason: 'Written and read only by OMS functions through their roles (CloudTrail records the calls); label files hold nothing a server access log would add.' },
    ]);

    this.alarmTopic = new Topic(this, 'Alarms', { displayName: 'OMS alarms', masterKey: this.key, enforceSSL: true });

    // SES feedback: the configuration set's event destination publishes bounces and complaints to an encrypted topic,
    // whose subscription delivers them to the mail feedback queue (IAM-authorized: no public endpoint, no signature to check).
    this.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.mailFeedbackTopic = new Topic(this, 'MailFeedback', { displayName: 'OMS SES bounces and complaints', masterKey: this.key, enforceSSL: true });
    this.mailConfigurationSet = new ConfigurationSet(this, 'MailConfigurationSet', {});
    this.mailConfigurationSet.addEventDestination('BouncesAndComplaints', {
      destination: EventDestination.snsTopic(this.mailFeedbackTopic),
      events: [EmailSendingEvent.BOUNCE, EmailSendingEvent.COMPLAINT],
    });
    this.mailFeedbackTopic.addSubscription(new SqsSubscription(this.queues.mailFeedback.queue, { rawMessageDelivery: false }));

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'DocumentBucketName', { value: this.documents.bucketName, description: 'Label documents (labels/<orderId>/<fulfillmentId or returnId>.zpl|pdf)' });
    new CfnOutput(this, 'DocumentBucketArn', { value: this.documents.bucketArn, exportName: this.documentBucketArnExport, description: 'Imported by the function roles, which may put or get labels/* objects' });
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBusName, description: 'Subscribe to OMS events with rules on this bus' });
    new CfnOutput(this, 'CarrierWebhookSecretArn', { value: this.carrierWebhookSecret.secretArn, description: 'Signing secret of carrier tracking webhooks' });
    new CfnOutput(this, 'ApiTokenSecretArn', { value: this.apiToken.secretArn, description: 'Bearer token of the API' });
    new CfnOutput(this, 'MailFeedbackTopicArn', { value: this.mailFeedbackTopic.topicArn, description: 'SES bounce and complaint notifications (identity notifications of a verified identity may publish here too)' });
    new CfnOutput(this, 'MailConfigurationSetName', { value: this.mailConfigurationSet.configurationSetName, description: 'SES configuration set the OMS sends customer e-mail with' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn, description: 'Subscribe operations to alarms' });
  }
}
