import { Duration, Fn, type Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import type { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { functions, type FunctionName, type FunctionSpec } from '../topology/functions.ts';
import { OmsFunction, lambdaExecutionRole } from './oms-function.ts';
import { grantTableAccess } from './table-access.ts';
import { acknowledge } from '../nag.ts';

/** What every OMS function is given, whichever stack deploys it. */
export interface FunctionSetProps {
  table: Table;
  key: IKey;
  apiToken: ISecret;
  carrierWebhookSecret: ISecret;
  mailFrom: string;
  opsEmail: string;
  /** Customer e-mail settings (docs/notifications.md): SES configuration set, merchant name, support address, default locale. */
  mail?: MailSettings | undefined;
  /** Retention and recovery settings from CDK context, each an environment variable of every function (validated in infra/build-app.ts). */
  settings?: OperationalSettings | undefined;
  /** The payment provider (PAYMENT_PROVIDER) and, for Stripe, its secrets (docs/payments.md). */
  payments?: PaymentSettings | undefined;
  /** The carrier gateway (CARRIER_PROVIDER) and, for EasyPost, its settings and secrets (docs/carriers.md). */
  carriers?: CarrierSettings | undefined;
  /** The KMS key that seals channel secrets (docs/security.md): named and usable only on functions with `channel:secrets` / `channel:secrets:write`. */
  channelSecretsKey?: IKey | undefined;
  /** The document bucket (label files): DOCUMENT_BUCKET on every function, put by `documents:write`, read by `documents:read`. */
  documents?: DocumentBucket | undefined;
  /** The one log group every OMS function writes to (JSON lines carry `function_name`). */
  logGroup: ILogGroup;
  alarmAction: SnsAction;
  /** The Cognito user pool and console client whose access tokens the API functions accept (OMS_COGNITO_*). */
  identity?: { userPoolId: string; clientId: string } | undefined;
}

export interface MailSettings {
  /** SES configuration set customer e-mail is sent with (its event destination reports bounces and complaints). */
  configurationSet?: string | undefined;
  sellerName?: string | undefined;
  supportEmail?: string | undefined;
  defaultLocale?: string | undefined;
  /** The SNS topic SES publishes bounces and complaints to: the feedback consumer accepts notifications of this topic only. */
  feedbackTopicArn?: string | undefined;
  /** NOTIFICATION_BODY_RETENTION_DAYS: days a message's recipient, subject and body are kept (default 90, docs/security.md). */
  bodyRetentionDays?: string | undefined;
}

/**
 * RAW_RETENTION_DAYS (raw channel payloads, default 400), RECONCILE_STUCK_AFTER_MINUTES and
 * RECONCILE_UNINVOICED_AFTER_MINUTES (the reconciler's waits, defaults 15 and 30): docs/security.md, docs/operations.md.
 */
export interface OperationalSettings {
  RAW_RETENTION_DAYS?: string | undefined;
  RECONCILE_STUCK_AFTER_MINUTES?: string | undefined;
  RECONCILE_UNINVOICED_AFTER_MINUTES?: string | undefined;
  /** Each WMS's locations, JSON (from the context `wms`): the FulfillmentReported consumer holds each WMS to them. */
  OMS_WMS_LOCATIONS?: string | undefined;
}

export interface PaymentSettings {
  provider: 'sandbox' | 'stripe';
  /** Stripe's secret key and the webhook endpoint's signing secret (Secrets Manager), read by functions with `payment:secret`. */
  stripeSecretKey?: ISecret | undefined;
  stripeWebhookSecret?: ISecret | undefined;
}

/** The stateful stack's document bucket: its name, and the export naming its ARN (grants are scoped to `labels/*` objects of it). */
export interface DocumentBucket {
  bucketName: string;
  arnExportName: string;
}

export interface CarrierSettings {
  provider: 'sandbox' | 'easypost';
  /** EasyPost's API key, read by functions with `carrier:api` (they rate, buy and void labels). */
  easypostApiKey?: ISecret | undefined;
  /** The EasyPost webhook secret, read by functions with `carrier:secret`. */
  easypostWebhookSecret?: ISecret | undefined;
  /** EASYPOST_CARRIERS, EASYPOST_LABEL_FORMAT, EASYPOST_DEFAULT_PARCEL_CM (not secrets; defaults in shared/adapters/dependencies.ts). */
  easypostCarriers?: string | undefined;
  labelFormat?: 'ZPL' | 'PDF' | undefined;
  defaultParcelCm?: string | undefined;
}

/**
 * What a function is told about the carrier gateway. Every function knows the
 * provider and EasyPost's carrier list (routing rules, return policies and
 * webhooks validate carrier ids with them); only functions that call EasyPost
 * (`carrier:api`) get its API key's secret id, only the webhook functions
 * (`carrier:secret`) the webhook secret's.
 */
function carrierEnvironment(settings: CarrierSettings | undefined, spec: FunctionSpec): Record<string, string> {
  if (settings?.provider !== 'easypost') return { CARRIER_PROVIDER: 'sandbox' };
  return {
    CARRIER_PROVIDER: 'easypost',
    ...(settings.easypostCarriers ? { EASYPOST_CARRIERS: settings.easypostCarriers } : {}),
    ...(settings.labelFormat ? { EASYPOST_LABEL_FORMAT: settings.labelFormat } : {}),
    ...(settings.defaultParcelCm ? { EASYPOST_DEFAULT_PARCEL_CM: settings.defaultParcelCm } : {}),
    ...(settings.easypostApiKey && spec.access.includes('carrier:api') ? { EASYPOST_API_KEY_SECRET_ID: settings.easypostApiKey.secretArn } : {}),
    ...(settings.easypostWebhookSecret && spec.access.includes('carrier:secret') ? { EASYPOST_WEBHOOK_SECRET_ID: settings.easypostWebhookSecret.secretArn } : {}),
  };
}

/**
 * Creates `names` in `stack`, each with its `Errors-<name>` alarm. Functions
 * with the same access profile share one execution role (least privilege is
 * unchanged: a role grants exactly what each of its functions needs), which
 * keeps each stack far below CloudFormation's 500 resources.
 */
export function createFunctionSet(stack: Stack, names: readonly FunctionName[], props: FunctionSetProps): Partial<Record<FunctionName, IFunction>> {
  const environment = {
    TABLE_NAME: props.table.tableName,
    OMS_API_TOKEN_SECRET_ID: props.apiToken.secretArn,
    CARRIER_WEBHOOK_SECRET_ID: props.carrierWebhookSecret.secretArn,
    MAIL_FROM: props.mailFrom,
    OPS_EMAIL: props.opsEmail,
    PAYMENT_PROVIDER: props.payments?.provider ?? 'sandbox',
    ...(props.identity ? { OMS_COGNITO_USER_POOL_ID: props.identity.userPoolId, OMS_COGNITO_CLIENT_ID: props.identity.clientId } : {}),
    // On every function, so none falls back to local files on Lambda; only the label functions may use it (documents:*).
    ...(props.documents ? { DOCUMENT_BUCKET: props.documents.bucketName } : {}),
    ...(props.payments?.stripeSecretKey ? { STRIPE_SECRET_KEY_ID: props.payments.stripeSecretKey.secretArn } : {}),
    ...(props.payments?.stripeWebhookSecret ? { STRIPE_WEBHOOK_SECRET_ID: props.payments.stripeWebhookSecret.secretArn } : {}),
    ...(props.mail?.configurationSet ? { SES_CONFIGURATION_SET: props.mail.configurationSet } : {}),
    ...(props.mail?.sellerName ? { SELLER_NAME: props.mail.sellerName } : {}),
    ...(props.mail?.supportEmail ? { SUPPORT_EMAIL: props.mail.supportEmail } : {}),
    ...(props.mail?.defaultLocale ? { DEFAULT_LOCALE: props.mail.defaultLocale } : {}),
    ...(props.mail?.feedbackTopicArn ? { SES_FEEDBACK_TOPIC_ARN: props.mail.feedbackTopicArn } : {}),
    ...(props.mail?.bodyRetentionDays ? { NOTIFICATION_BODY_RETENTION_DAYS: props.mail.bodyRetentionDays } : {}),
    ...Object.fromEntries(Object.entries(props.settings ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  };
  const mailDomain = props.mailFrom.split('@')[1] ?? props.mailFrom;
  const roles = new Map<string, Role>();
  const roleFor = (spec: FunctionSpec): Role => {
    const profile = spec.access.map(String).sort().concat(spec.http?.auth === 'bearer' ? ['api-token'] : []).concat(spec.tableKeys ? [`keys-${[...spec.tableKeys.read, 'w', ...spec.tableKeys.write].join('-')}`] : []);
    const key = profile.join('+') || 'none';
    const existing = roles.get(key);
    if (existing) return existing;
    const role = lambdaExecutionRole(stack, `FnRole-${key.replace(/[^A-Za-z0-9+]/g, '').replaceAll('+', '-')}`, `OMS functions with access: ${key}`);
    grant(stack, role, spec, props, mailDomain);
    roles.set(key, role);
    return role;
  };
  const created: Partial<Record<FunctionName, IFunction>> = {};
  for (const name of names) {
    const spec: FunctionSpec = functions[name];
    const fn = new OmsFunction(stack, `Fn-${name}`, { name, spec, environment: { ...environment, ...carrierEnvironment(props.carriers, spec), ...channelSecretsEnvironment(props, spec) }, role: roleFor(spec), logGroup: props.logGroup }).function;
    omsAlarm(stack, `Errors-${name}`, fn.metricErrors({ period: Duration.minutes(5) }), `${name} threw errors`, props.alarmAction);
    created[name] = fn;
  }
  return created;
}

/** What a role may do, from its access profile. */
function grant(stack: Stack, role: Role, spec: FunctionSpec, props: FunctionSetProps, mailDomain: string): void {
  if (spec.access.includes('table:write')) grantTableAccess(role, props, 'write', spec.tableKeys);
  else if (spec.access.includes('table:read')) grantTableAccess(role, props, 'read', spec.tableKeys);
  grantChannelSecrets(role, spec, props);
  if (spec.http?.auth === 'bearer') props.apiToken.grantRead(role);
  if (spec.http?.auth === 'bearer' && !spec.access.some((access) => access.startsWith('table:'))) {
    // A caller may present an API key: its record is the one item such a function may read.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['APIKEY#*'] } },
      }),
    );
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [props.key.keyArn] }));
  }
  if (spec.access.includes('mail:send')) {
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: mailDomain }),
          stack.formatArn({ service: 'ses', resource: 'identity', resourceName: props.mailFrom }),
          // Sending with a configuration set needs the permission on the set too.
          ...(props.mail?.configurationSet ? [stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: props.mail.configurationSet })] : []),
        ],
      }),
    );
  }
  if (spec.access.includes('carrier:secret')) {
    props.carrierWebhookSecret.grantRead(role);
    props.carriers?.easypostWebhookSecret?.grantRead(role);
  }
  if (spec.access.includes('carrier:api')) props.carriers?.easypostApiKey?.grantRead(role);
  const documentActions = [...(spec.access.includes('documents:write') ? ['s3:PutObject'] : []), ...(spec.access.includes('documents:read') ? ['s3:GetObject'] : [])];
  if (props.documents && documentActions.length > 0) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: documentActions, resources: [`${Fn.importValue(props.documents.arnExportName)}/labels/*`] }));
    acknowledge(role, [
      { id: `AwsSolutions-IAM5[Resource::${props.documents.arnExportName}/labels/*]`, reason: 'Label documents are objects under labels/ of the document bucket, named per order at run time: an object ARN needs the prefix wildcard.' },
    ]);
  }
  if (spec.access.includes('payment:secret')) {
    props.payments?.stripeSecretKey?.grantRead(role);
    props.payments?.stripeWebhookSecret?.grantRead(role);
  }
  // SMS go straight to phone numbers, which are not resources: sns:Publish to a phone number needs `*`.
  if (spec.access.includes('sms:send')) {
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
    // …but never to a topic: an explicit deny on every topic ARN leaves only phone numbers (docs/security.md).
    role.addToPrincipalPolicy(new PolicyStatement({ effect: Effect.DENY, actions: ['sns:Publish'], resources: [`arn:${stack.partition}:sns:*:*:*`] }));
  }
}

/**
 * The channel-secrets key (envelope encryption, docs/security.md): `channel:secrets`
 * may Decrypt data keys, `channel:secrets:write` may also generate them; both
 * only with the encryption context that names channel secrets.
 */
function grantChannelSecrets(role: Role, spec: FunctionSpec, props: FunctionSetProps): void {
  const write = spec.access.includes('channel:secrets:write');
  if (!props.channelSecretsKey || (!write && !spec.access.includes('channel:secrets'))) return;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: write ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
      resources: [props.channelSecretsKey.keyArn],
      conditions: { StringEquals: { 'kms:EncryptionContext:purpose': 'oms-channel-secrets' } },
    }),
  );
}

/** CHANNEL_SECRETS_KMS_KEY_ID, only where the function may use the key (elsewhere the repository refuses to open secrets, saying why). */
function channelSecretsEnvironment(props: FunctionSetProps, spec: FunctionSpec): Record<string, string> {
  const allowed = spec.access.includes('channel:secrets') || spec.access.includes('channel:secrets:write');
  return props.channelSecretsKey && allowed ? { CHANNEL_SECRETS_KMS_KEY_ID: props.channelSecretsKey.keyArn } : {};
}

/** An alarm that notifies the alarm topic when `metric` reaches `threshold` in one period. */
export function omsAlarm(scope: Construct, id: string, metric: IMetric, description: string, action: SnsAction, threshold = 1): void {
  new Alarm(scope, id, {
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  }).addAlarmAction(action);
}

/** The function `name` of a set, or a clear error naming the stack that lacks it. */
export function functionOf(set: Partial<Record<FunctionName, IFunction>>, name: FunctionName, stackName: string): IFunction {
  const fn = set[name];
  if (!fn) throw new Error(`Function ${name} is not deployed by ${stackName}: HTTP functions live in the API stack, every other function in the stateless stack`);
  return fn;
}
