import { App, Validations, type AppProps } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { parseWmsDeployment, locationsOf } from '#shared/domain/wms.ts';
import { functionOf } from './constructs/function-set.ts';
import { AwsSolutionsChecks } from './nag.ts';
import { StatefulStack } from './stacks/stateful-stack.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { StatelessStack } from './stacks/stateless-stack.ts';

export interface OmsApp {
  app: App;
  stateful: StatefulStack;
  stateless: StatelessStack;
  api: ApiStack;
}

/**
 * Builds the CDK app. Used by `cdk synth/deploy` (infra/app.ts), by the infra
 * tests, and by the local runtime, which synthesizes the state machines with
 * bundling skipped and runs their definitions locally.
 *
 * Context: `stage` (default `dev`), `mailFrom`, `opsEmail`, `sellerName`, `supportEmail`,
 * `defaultLocale` (customer e-mails, docs/notifications.md), `notificationBodyRetentionDays`
 * (NOTIFICATION_BODY_RETENTION_DAYS, docs/security.md), `rawRetentionDays` (RAW_RETENTION_DAYS),
 * `reconcileStuckAfterMinutes` / `reconcileUninvoicedAfterMinutes` (the reconciler's waits), `archiveRetentionDays`,
 * `shopifyEventSource` (name of a Shopify EventBridge partner event source).
 * `wms` (JSON: each warehouse system that reports on the bus, its IAM role and
 * locations; shared/domain/wms.ts, docs/operations.md).
 * `paymentProvider` (`sandbox` or `stripe`; default `sandbox`, except that a
 * production stage must say `stripe`: see isProductionStage).
 * `carrierProvider` (`sandbox` or `easypost`; default `sandbox`) with, for
 * EasyPost, `easypostCarriers`, `easypostLabelFormat`, `easypostParcelCm`
 * (docs/carriers.md).
 * Stacks are environment-agnostic unless CDK_DEFAULT_ACCOUNT/REGION are set,
 * so `cdk synth` works offline with no credentials.
 */
export function buildOmsApp(props: AppProps & { skipBundling?: boolean; nag?: boolean } = {}): OmsApp {
  const { skipBundling, nag = true, ...appProps } = props;
  const app = new App({
    ...appProps,
    context: {
      // Cross-stack references stay strong: the stateful stack refuses to drop an output the stateless stack uses.
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...appProps.context,
      ...(skipBundling ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const context = (key: string, fallback: string) => String(app.node.tryGetContext(key) ?? fallback);
  const optional = (key: string) => app.node.tryGetContext(key) as string | undefined;
  const stage = context('stage', 'dev');
  const paymentProvider = paymentProviderFor(stage, app.node.tryGetContext('paymentProvider'));
  const carrierProvider = carrierProviderFor(app.node.tryGetContext('carrierProvider'), stage);
  const labelFormat = optional('easypostLabelFormat');
  if (labelFormat !== undefined && labelFormat !== 'ZPL' && labelFormat !== 'PDF') throw new Error(`Context easypostLabelFormat must be ZPL or PDF, not ${JSON.stringify(labelFormat)}`);
  const easypostParcelCm = optional('easypostParcelCm');
  if (easypostParcelCm !== undefined && !/^\d+(\.\d+)?x\d+(\.\d+)?x\d+(\.\d+)?$/.test(easypostParcelCm)) throw new Error(`Context easypostParcelCm must be LxWxH in centimetres (30x20x10), not ${JSON.stringify(easypostParcelCm)}`);
  const bodyRetentionDays = optional('notificationBodyRetentionDays');
  if (bodyRetentionDays !== undefined && !(/^\d+$/.test(String(bodyRetentionDays)) && Number(bodyRetentionDays) >= 1 && Number(bodyRetentionDays) <= 3650)) {
    throw new Error(`Context notificationBodyRetentionDays must be a whole number of days from 1 to 3650, not ${JSON.stringify(bodyRetentionDays)}`);
  }
  const wholeNumber = (key: string, variable: string, min: number, max: number, unit: string): Record<string, string> => {
    const value = optional(key);
    if (value === undefined) return {};
    if (!(/^\d+$/.test(String(value)) && Number(value) >= min && Number(value) <= max)) throw new Error(`Context ${key} must be a whole number of ${unit} from ${min} to ${max}, not ${JSON.stringify(value)}`);
    return { [variable]: String(value) };
  };
  if (app.node.tryGetContext('wmsPrincipals') !== undefined) {
    throw new Error('Context wmsPrincipals is replaced by wms, which binds each WMS to its role and locations: -c wms=\'{"<wmsId>":{"principal":"arn:aws:iam::<account>:role/<name>","locations":["<locationId>"]}}\' (docs/operations.md)');
  }
  const wmsContext = app.node.tryGetContext('wms') as unknown;
  const wms = wmsContext === undefined ? undefined : parseWmsDeployment(wmsContext);
  const settings = {
    ...(wms ? { OMS_WMS_LOCATIONS: JSON.stringify(locationsOf(wms)) } : {}),
    ...wholeNumber('rawRetentionDays', 'RAW_RETENTION_DAYS', 1, 3650, 'days'),
    ...wholeNumber('reconcileStuckAfterMinutes', 'RECONCILE_STUCK_AFTER_MINUTES', 1, 1440, 'minutes'),
    ...wholeNumber('reconcileUninvoicedAfterMinutes', 'RECONCILE_UNINVOICED_AFTER_MINUTES', 1, 1440, 'minutes'),
  };
  const env =
    process.env['CDK_DEFAULT_ACCOUNT'] && process.env['CDK_DEFAULT_REGION']
      ? { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] }
      : undefined;

  const stateful = new StatefulStack(app, `Oms-${stage}-Stateful`, {
    env,
    description: 'OMS data: table, event bus and archive, dead-letter queues, API token, alarm topic',
    archiveRetentionDays: Number(context('archiveRetentionDays', '90')),
    paymentProvider,
    carrierProvider,
    wms,
  });
  const carriers = {
    provider: carrierProvider,
    easypostApiKey: stateful.easypostApiKey,
    easypostWebhookSecret: stateful.easypostWebhookSecret,
    easypostCarriers: optional('easypostCarriers'),
    labelFormat: labelFormat as 'ZPL' | 'PDF' | undefined,
    defaultParcelCm: easypostParcelCm,
  };
  const stateless = new StatelessStack(app, `Oms-${stage}-Stateless`, {
    env,
    description: 'OMS compute: event-driven functions, outbox and inbox pipes, queue consumers, rules, schedules, workflows, alarms',
    table: stateful.table,
    key: stateful.key,
    channelSecretsKey: stateful.channelSecretsKey,
    bus: stateful.bus,
    pipeDeadLetters: stateful.pipeDeadLetters,
    queues: stateful.queues,
    pollSchedules: stateful.pollSchedules,
    shopifyEventSource: app.node.tryGetContext('shopifyEventSource') as string | undefined,
    eventDeadLetters: stateful.eventDeadLetters,
    scheduleDeadLetters: stateful.scheduleDeadLetters,
    failedInvocations: stateful.failedInvocations,
    apiToken: stateful.apiToken,
    carrierWebhookSecret: stateful.carrierWebhookSecret,
    alarmTopic: stateful.alarmTopic,
    mailFrom: context('mailFrom', 'oms@example.com'),
    opsEmail: context('opsEmail', 'ops@example.com'),
    mail: {
      configurationSet: stateful.mailConfigurationSet.configurationSetName,
      feedbackTopicArn: stateful.mailFeedbackTopic.topicArn,
      sellerName: optional('sellerName'),
      supportEmail: optional('supportEmail'),
      defaultLocale: optional('defaultLocale'),
      bodyRetentionDays,
    },
    settings,
    payments: { provider: paymentProvider, stripeSecretKey: stateful.stripeSecretKey, stripeWebhookSecret: stateful.stripeWebhookSecret },
    carriers,
    documents: { bucketName: stateful.documents.bucketName, arnExportName: stateful.documentBucketArnExport },
    logRetention: RetentionDays.ONE_MONTH,
  });
  const api = new ApiStack(app, `Oms-${stage}-Api`, {
    env,
    description: 'OMS HTTP API: one function per route, the HTTP API and its stage, alarms',
    table: stateful.table,
    key: stateful.key,
    channelSecretsKey: stateful.channelSecretsKey,
    apiToken: stateful.apiToken,
    carrierWebhookSecret: stateful.carrierWebhookSecret,
    alarmTopic: stateful.alarmTopic,
    mailFrom: context('mailFrom', 'oms@example.com'),
    opsEmail: context('opsEmail', 'ops@example.com'),
    mail: {
      configurationSet: stateful.mailConfigurationSet.configurationSetName,
      feedbackTopicArn: stateful.mailFeedbackTopic.topicArn,
      sellerName: optional('sellerName'),
      supportEmail: optional('supportEmail'),
      defaultLocale: optional('defaultLocale'),
      bodyRetentionDays,
    },
    settings,
    payments: { provider: paymentProvider, stripeSecretKey: stateful.stripeSecretKey, stripeWebhookSecret: stateful.stripeWebhookSecret },
    carriers,
    documents: { bucketName: stateful.documents.bucketName, arnExportName: stateful.documentBucketArnExport },
    logRetention: RetentionDays.ONE_MONTH,
    functionLogs: stateless.functionLogs,
    pollFunction: functionOf(stateless.functions, 'pollChannel', stateless.stackName),
    identity: { userPoolId: stateful.identity.userPool.userPoolId, clientId: stateful.identity.consoleClient.userPoolClientId },
  });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stateful, stateless, api };
}

/** Stages that take real orders: `prod`, `production`, and names starting with `prod-` (`prod-eu`). */
export function isProductionStage(stage: string): boolean {
  return /^prod(uction)?(-|$)/i.test(stage);
}

/**
 * The payment provider a stage deploys with (context `paymentProvider`). A
 * production stage must name `stripe`: the sandbox takes no real money, so a
 * synth that would put it in production fails here rather than the first
 * customer's order later.
 */
export function paymentProviderFor(stage: string, value: unknown): 'sandbox' | 'stripe' {
  if (value !== undefined && value !== 'sandbox' && value !== 'stripe') throw new Error(`Context paymentProvider must be sandbox or stripe, not ${JSON.stringify(value)}`);
  if (isProductionStage(stage) && value !== 'stripe') {
    throw new Error(
      `Stage ${stage} is a production stage and would take payments with the sandbox provider, which charges nobody: deploy it with -c paymentProvider=stripe (see docs/payments.md)`,
    );
  }
  return value ?? 'sandbox';
}

/**
 * The carrier gateway a stage deploys with (context `carrierProvider`, default
 * the sandbox carriers). A production stage must name `easypost`: sandbox
 * labels are not postage and their tracking numbers track nothing.
 */
export function carrierProviderFor(value: unknown, stage = 'dev'): 'sandbox' | 'easypost' {
  if (value !== undefined && value !== 'sandbox' && value !== 'easypost') throw new Error(`Context carrierProvider must be sandbox or easypost, not ${JSON.stringify(value)}`);
  if (isProductionStage(stage) && value !== 'easypost') {
    throw new Error(
      `Stage ${stage} is a production stage and would print sandbox labels, which no carrier accepts: deploy it with -c carrierProvider=easypost (see docs/carriers.md)`,
    );
  }
  return value ?? 'sandbox';
}
