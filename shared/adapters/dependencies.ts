import { join, resolve } from 'node:path';
import * as z from 'zod';
import { readConfig, configVars } from '#shared/config.ts';
import { systemClock } from '#shared/domain/clock.ts';
import type { Location } from '#shared/domain/location.ts';
import { collectPages } from '#shared/use-cases/pages.ts';
import { DynamoChannelRepository } from '#shared/store/channel-repository.ts';
import { documentClient } from '#shared/store/client.ts';
import { DynamoChannelSyncRepository } from '#shared/store/channel-sync-repository.ts';
import { DynamoIdempotencyRepository } from '#shared/store/idempotency-repository.ts';
import { DynamoInventoryRepository } from '#shared/store/inventory-repository.ts';
import { DynamoListingRepository } from '#shared/store/listing-repository.ts';
import { DynamoInboxRepository } from '#shared/store/inbox-repository.ts';
import { DynamoLocationRepository } from '#shared/store/location-repository.ts';
import { DynamoApiKeyRepository } from '#shared/store/api-key-repository.ts';
import { DEFAULT_SOURCE_RETENTION_DAYS, DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { DynamoOrderHoldRepository } from '#shared/store/order-hold-repository.ts';
import { LambdaPollStarter, SchedulerPollSchedules } from './aws-polling.ts';
import { SesMailer } from './ses-mailer.ts';
import { SandboxCarriers } from './sandbox-carriers.ts';
import { EasyPostCarriers } from './easypost-carriers.ts';
import { FileDocumentStore, S3DocumentStore } from './document-store.ts';
import type { DocumentStore } from '#shared/ports.ts';
import { DynamoCarrierRecordRepository } from '#shared/store/carrier-record-repository.ts';
import type { CarrierGateway } from '#shared/ports.ts';
import { SandboxPaymentProvider } from './sandbox-payments.ts';
import { StripePaymentProvider } from './stripe-payments.ts';
import type { PaymentProvider } from '#shared/ports.ts';
import { SqsCaptureDeadLetters } from './sqs-dead-letters.ts';
import { SnsSmsSender } from './sns-sms.ts';
import { secretValue } from './secret-value.ts';
import { MIN_SIGNING_SECRET_LENGTH } from '#shared/domain/channel.ts';
import { KmsDataKeys } from './kms-data-keys.ts';
import { LocalDataKeys, developmentDataKeys, noChannelSecretKeys } from '#shared/store/sealed-secrets.ts';
import type { DataKeyProvider } from '#shared/ports.ts';
import { readFileSync } from 'node:fs';
import type { RuleSet } from '#shared/domain/routing.ts';
import { ruleSetForChannel } from '#shared/use-cases/routing.ts';
import { DynamoRoutingRuleRepository } from '#shared/store/routing-repository.ts';
import { DynamoFulfillmentRepository } from '#shared/store/fulfillment-repository.ts';
import { DynamoReconcileRepository } from '#shared/store/reconcile-repository.ts';
import { DynamoInvoiceRepository } from '#shared/store/invoice-repository.ts';
import { DEFAULT_BODY_RETENTION_DAYS, DynamoNotificationRepository } from '#shared/store/notification-repository.ts';
import { staleClaimAfterMs } from '#shared/domain/notification.ts';
import { DEFAULT_SENDER_TIMEOUT_SECONDS } from '#shared/use-cases/notifications.ts';
import { DynamoMailFeedbackRepository } from '#shared/store/mail-feedback-repository.ts';
import { isLocale } from '#shared/domain/customer-messages.ts';
import { DynamoReturnPolicyRepository, DynamoReturnRepository } from '#shared/store/return-repository.ts';
import { issueRefund, type RefundCommand } from '#shared/use-cases/refunds.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { DynamoChannelSyncActionRepository } from '#shared/store/channel-sync-action-repository.ts';
import { DynamoClaimRepository, DynamoStoreCreditRepository } from '#shared/store/claim-repository.ts';
import { DynamoCustomerRepository } from '#shared/store/customer-repository.ts';
import { DynamoComplianceRepository } from '#shared/store/compliance-repository.ts';
import { settleExchange } from '#shared/use-cases/exchanges.ts';

/**
 * The composition root: adapters are created once per process, on first use,
 * with configuration read (and checked) at that moment. Handlers call these at
 * module load so a misconfigured function fails its cold start.
 */
function once<T>(create: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= create());
}

const tableName = once(() => readConfig({ TABLE_NAME: configVars.TABLE_NAME }).TABLE_NAME);

export const locationRepository = once(() => new DynamoLocationRepository(documentClient(), tableName()));
export const apiKeyRepository = once(() => new DynamoApiKeyRepository(documentClient(), tableName()));
/**
 * The data keys that seal channel secrets (docs/security.md): the KMS key the
 * stack names on functions with `channel:secrets` (CHANNEL_SECRETS_KMS_KEY_ID);
 * locally a 32-byte key (CHANNEL_SECRETS_LOCAL_KEY, base64) or a key file
 * (CHANNEL_SECRETS_KEY_FILE, the local runtime's `<data dir>/channel-secrets.key`),
 * else the published development key. On Lambda without the KMS key id the
 * function has no channel-secrets access, and any use says so.
 */
export function channelDataKeysFrom(env: Record<string, string | undefined>): DataKeyProvider {
  const config = readConfig(
    {
      CHANNEL_SECRETS_KMS_KEY_ID: z.string().min(1).optional(),
      CHANNEL_SECRETS_LOCAL_KEY: z.base64().optional(),
      CHANNEL_SECRETS_KEY_FILE: z.string().min(1).optional(),
      AWS_EXECUTION_ENV: z.string().optional(),
    },
    env,
  );
  if (config.CHANNEL_SECRETS_KMS_KEY_ID) return new KmsDataKeys(config.CHANNEL_SECRETS_KMS_KEY_ID);
  if (config.CHANNEL_SECRETS_LOCAL_KEY) return new LocalDataKeys(Buffer.from(config.CHANNEL_SECRETS_LOCAL_KEY, 'base64'), 'local:CHANNEL_SECRETS_LOCAL_KEY');
  if (config.CHANNEL_SECRETS_KEY_FILE) {
    return new LocalDataKeys(Buffer.from(readFileSync(config.CHANNEL_SECRETS_KEY_FILE, 'utf8').trim(), 'base64'), `local:${config.CHANNEL_SECRETS_KEY_FILE}`);
  }
  return config.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda') ? noChannelSecretKeys : developmentDataKeys;
}
export const channelDataKeys = once(() => channelDataKeysFrom(process.env));
export const channelRepository = once(() => new DynamoChannelRepository(documentClient(), tableName(), channelDataKeys()));
export const mailer = once(() => {
  const config = readConfig({ MAIL_FROM: configVars.MAIL_FROM, SES_CONFIGURATION_SET: z.string().min(1).max(64).optional() });
  return new SesMailer(config.MAIL_FROM, config.SES_CONFIGURATION_SET);
});
export const opsRecipients = once(() => readConfig({ OPS_EMAIL: configVars.OPS_EMAIL }).OPS_EMAIL);
export const orderRepository = once(
  () =>
    new DynamoOrderRepository(documentClient(), tableName(), {
      sourceRetentionDays: readConfig({ RAW_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_SOURCE_RETENTION_DAYS) }).RAW_RETENTION_DAYS,
    }),
);
export const orderHoldRepository = once(() => new DynamoOrderHoldRepository(documentClient(), tableName()));
export const inboxRepository = once(() => new DynamoInboxRepository(documentClient(), tableName()));
export const idempotencyRepository = once(() => new DynamoIdempotencyRepository(documentClient(), tableName()));
export const channelSyncRepository = once(() => new DynamoChannelSyncRepository(documentClient(), tableName()));
export const pollStarter = once(() => new LambdaPollStarter());
export const pollSchedules = once(() => new SchedulerPollSchedules());
export const inventoryRepository = once(() => new DynamoInventoryRepository(documentClient(), tableName()));
export const listingRepository = once(() => new DynamoListingRepository(documentClient(), tableName()));

/** How long an unpaid order keeps its stock (UNPAID_RESERVATION_MINUTES, default 60). */
export const unpaidReservationMinutes = once(
  () => readConfig({ UNPAID_RESERVATION_MINUTES: z.coerce.number().int().min(1).max(30 * 24 * 60).default(60) }).UNPAID_RESERVATION_MINUTES,
);

/** Active locations, read at most every 30 seconds per container: configuration changes rarely, orders often. */
export const activeLocations = once(() => {
  let cached: { at: number; locations: Promise<Location[]> } | undefined;
  return (): Promise<Location[]> => {
    if (!cached || Date.now() - cached.at > 30_000) {
      const locations = collectPages((page) => locationRepository().list(page)).then((all) => all.filter((l) => l.active));
      cached = { at: Date.now(), locations };
      locations.catch(() => (cached = undefined));
    }
    return cached.locations;
  };
});

/** What reserving needs: reservations of new orders and of waiting ones. */
export const reservationDeps = once(() => ({
  orders: orderRepository(),
  inventory: inventoryRepository(),
  activeLocations: activeLocations(),
  ruleSetFor: ruleSetFor(),
  clock: systemClock,
  unpaidReservationMinutes: unpaidReservationMinutes(),
}));

export const routingRuleRepository = once(() => new DynamoRoutingRuleRepository(documentClient(), tableName()));
export const fulfillmentRepository = once(() => new DynamoFulfillmentRepository(documentClient(), tableName()));
export const invoiceRepository = once(() => new DynamoInvoiceRepository(documentClient(), tableName()));
export const reconcileRepository = once(() => new DynamoReconcileRepository(documentClient(), tableName()));
/** The capture queue's dead-letter queue (CAPTURE_DLQ_URL), which the reconciler empties; undefined where none is configured. */
export const captureDeadLetters = once(() => {
  const url = process.env['CAPTURE_DLQ_URL'];
  return url ? new SqsCaptureDeadLetters(url) : undefined;
});
/** Message recipients, subjects and bodies expire NOTIFICATION_BODY_RETENTION_DAYS (default 90) after the message; the record that it was sent stays. */
export const notificationRepository = once(
  () =>
    new DynamoNotificationRepository(documentClient(), tableName(), {
      bodyRetentionDays: readConfig({ NOTIFICATION_BODY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(DEFAULT_BODY_RETENTION_DAYS) }).NOTIFICATION_BODY_RETENTION_DAYS,
    }),
);
export const refundRepository = once(() => new DynamoRefundRepository(documentClient(), tableName()));
/**
 * The carrier gateway by configuration: CARRIER_PROVIDER `sandbox` (default: the local runtime and tests)
 * or `easypost` (EASYPOST_API_KEY or EASYPOST_API_KEY_SECRET_ID, EASYPOST_CARRIERS, optional
 * EASYPOST_BASE_URL, EASYPOST_LABEL_FORMAT ZPL|PDF, EASYPOST_DEFAULT_PARCEL_CM "LxWxH"). See docs/carriers.md.
 */
export const carriers = once((): CarrierGateway => {
  const config = readConfig({
    CARRIER_PROVIDER: z.enum(['sandbox', 'easypost']).default('sandbox'),
    EASYPOST_BASE_URL: z.url().optional(),
    EASYPOST_CARRIERS: z
      .string()
      .default('USPS')
      .transform((value) => value.split(',').map((c) => c.trim()).filter(Boolean))
      .pipe(z.array(z.string().max(50)).min(1)),
    EASYPOST_LABEL_FORMAT: z.enum(['ZPL', 'PDF']).default('ZPL'),
    EASYPOST_DEFAULT_PARCEL_CM: z
      .string()
      .regex(/^\d+(\.\d+)?x\d+(\.\d+)?x\d+(\.\d+)?$/, 'Use LxWxH in centimetres, e.g. 30x20x10')
      .optional(),
  });
  if (config.CARRIER_PROVIDER === 'sandbox') return new SandboxCarriers();
  const [length = 30, width = 20, height = 10] = config.EASYPOST_DEFAULT_PARCEL_CM?.split('x').map(Number) ?? [];
  return new EasyPostCarriers({
    // Resolved on the first call, not here: functions that only validate carrier ids (routing rules, return
    // policies) build the gateway without the key, which only the label-buying functions are given (carrier:api).
    apiKey: () => easypostApiKey()(),
    baseUrl: config.EASYPOST_BASE_URL,
    carriers: config.EASYPOST_CARRIERS,
    labelFormat: config.EASYPOST_LABEL_FORMAT,
    defaultParcelCm: { length, width, height },
    records: carrierRecordRepository(),
  });
});
const easypostApiKey = once(() => secretValue({ value: 'EASYPOST_API_KEY', secretId: 'EASYPOST_API_KEY_SECRET_ID' }));
/**
 * Where label documents are stored: the S3 bucket DOCUMENT_BUCKET (the stack sets it), else files under
 * DOCUMENT_DIR (the local runtime sets it to `<data dir>/documents`), else `.oms/documents`.
 */
export const documentStore = once((): DocumentStore => {
  const config = readConfig({ DOCUMENT_BUCKET: z.string().min(3).max(63).optional(), DOCUMENT_DIR: z.string().min(1).optional() });
  if (config.DOCUMENT_BUCKET) return new S3DocumentStore(config.DOCUMENT_BUCKET);
  return new FileDocumentStore(resolve(config.DOCUMENT_DIR ?? join(process.env['OMS_DATA_DIR'] ?? '.oms', 'documents')));
});
export const carrierRecordRepository = once(() => new DynamoCarrierRecordRepository(documentClient(), tableName()));
/**
 * The webhook secret EasyPost signs tracker events with (EASYPOST_WEBHOOK_SECRET locally, EASYPOST_WEBHOOK_SECRET_ID on AWS).
 * EasyPost is optional: without either variable the secret is empty and every delivery is refused (401), and the
 * runtime that loads every handler still starts.
 */
export const easypostWebhookSecret = once((): (() => Promise<string>) =>
  process.env['EASYPOST_WEBHOOK_SECRET'] || process.env['EASYPOST_WEBHOOK_SECRET_ID']
    ? secretValue({ value: 'EASYPOST_WEBHOOK_SECRET', secretId: 'EASYPOST_WEBHOOK_SECRET_ID', minLength: MIN_SIGNING_SECRET_LENGTH })
    : async () => '',
);
/**
 * The payment provider the OMS charges with, by PAYMENT_PROVIDER: `sandbox`
 * (the default, for local runs and demos) or `stripe`. Only the selected one
 * is registered, so a deployment set to Stripe can never charge through the
 * sandbox (an order naming another provider fails its payment step). The
 * deployed stack always sets the variable; see docs/payments.md.
 */
export const paymentProviderName = once(() => readConfig({ PAYMENT_PROVIDER: z.enum(['sandbox', 'stripe']).default('sandbox') }).PAYMENT_PROVIDER);
/** Stripe with the account's secret key (STRIPE_SECRET_KEY locally, STRIPE_SECRET_KEY_ID on AWS); STRIPE_API_BASE_URL only for tests and local fakes. */
export const stripePayments = once(
  () =>
    new StripePaymentProvider({
      secretKey: secretValue({ value: 'STRIPE_SECRET_KEY', secretId: 'STRIPE_SECRET_KEY_ID' }),
      baseUrl: readConfig({ STRIPE_API_BASE_URL: z.url().optional() }).STRIPE_API_BASE_URL,
    }),
);
export const paymentProviders = once(
  (): Record<string, PaymentProvider> => (paymentProviderName() === 'stripe' ? { stripe: stripePayments() } : { sandbox: new SandboxPaymentProvider(documentClient(), tableName()) }),
);
/** The signing secret (`whsec_…`) of the Stripe webhook endpoint (STRIPE_WEBHOOK_SECRET locally, STRIPE_WEBHOOK_SECRET_ID on AWS). */
export const stripeWebhookSecret = once(() => secretValue({ value: 'STRIPE_WEBHOOK_SECRET', secretId: 'STRIPE_WEBHOOK_SECRET_ID', minLength: MIN_SIGNING_SECRET_LENGTH }));
export const smsSender = once(() => new SnsSmsSender());
/** The signing secret of carrier tracking webhooks (CARRIER_WEBHOOK_SECRET locally, CARRIER_WEBHOOK_SECRET_ID on AWS). */
export const carrierWebhookSecret = once(() => secretValue({ value: 'CARRIER_WEBHOOK_SECRET', secretId: 'CARRIER_WEBHOOK_SECRET_ID', minLength: MIN_SIGNING_SECRET_LENGTH }));
export const sellerName = once(() => readConfig({ SELLER_NAME: z.string().min(1).max(200).default('OMS merchant') }).SELLER_NAME);

/** A channel's routing rule set, read at most every 30 seconds per container and channel. */
export const ruleSetFor = once(() => {
  const cache = new Map<string, { at: number; ruleSet: Promise<RuleSet> }>();
  return (channelId: string): Promise<RuleSet> => {
    const hit = cache.get(channelId);
    if (hit && Date.now() - hit.at <= 30_000) return hit.ruleSet;
    const ruleSet = ruleSetForChannel(routingRuleRepository(), channelId);
    cache.set(channelId, { at: Date.now(), ruleSet });
    ruleSet.catch(() => cache.delete(channelId));
    return ruleSet;
  };
});

export const allLocations = () => collectPages((page) => locationRepository().list(page));

export const routingDeps = once(() => ({
  rules: routingRuleRepository(),
  allLocations,
  inventory: inventoryRepository(),
  orders: orderRepository(),
  carriers: carriers(),
  clock: systemClock,
}));

export const fulfillmentDeps = once(() => ({
  orders: orderRepository(),
  inventory: inventoryRepository(),
  fulfillments: fulfillmentRepository(),
  locations: locationRepository(),
  activeLocations: activeLocations(),
  ruleSetFor: ruleSetFor(),
  carriers: carriers(),
  documents: documentStore(),
  clock: systemClock,
}));

export const paymentDeps = once(() => ({
  orders: orderRepository(),
  inventory: inventoryRepository(),
  fulfillments: fulfillmentRepository(),
  providers: paymentProviders(),
  clock: systemClock,
}));

export const invoiceDeps = once(() => ({
  orders: orderRepository(),
  invoices: invoiceRepository(),
  ruleSetFor: ruleSetFor(),
  clock: systemClock,
  sellerName: sellerName(),
}));

/** What refunds need (issueRefund, credit notes): the payment, earlier refunds, the invoices they correct, the providers. */
export const refundDeps = once(() => ({
  orders: orderRepository(),
  fulfillments: fulfillmentRepository(),
  refunds: refundRepository(),
  invoices: invoiceRepository(),
  providers: paymentProviders(),
  ruleSetFor: ruleSetFor(),
  clock: systemClock,
}));

export const mailFeedbackRepository = once(() => new DynamoMailFeedbackRepository(documentClient(), tableName()));

/** Who customer e-mails come from and their default language: SELLER_NAME, SUPPORT_EMAIL (optional), DEFAULT_LOCALE (default `en`). */
export const messageSettings = once(() => {
  const config = readConfig({
    SUPPORT_EMAIL: z.email().optional(),
    DEFAULT_LOCALE: z.string().refine(isLocale, 'Expected a BCP 47 language tag such as en, de or fr-FR').default('en'),
  });
  return { sender: { sellerName: sellerName(), ...(config.SUPPORT_EMAIL ? { supportEmail: config.SUPPORT_EMAIL } : {}) }, defaultLocale: config.DEFAULT_LOCALE };
});

export const notificationDeps = once(() => ({
  orders: orderRepository(),
  fulfillments: fulfillmentRepository(),
  notifications: notificationRepository(),
  mailer: mailer(),
  sms: smsSender(),
  clock: systemClock,
  suppressions: mailFeedbackRepository(),
  messages: messageSettings(),
  // FUNCTION_TIMEOUT_SECONDS: this function's timeout, set by the CDK from infra/topology/functions.ts (locally the notification functions' own).
  claimStaleAfterMs: staleClaimAfterMs(readConfig({ FUNCTION_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(900).default(DEFAULT_SENDER_TIMEOUT_SECONDS) }).FUNCTION_TIMEOUT_SECONDS),
}));

/** SES bounces and complaints (SES_FEEDBACK_TOPIC_ARN: only notifications of that topic are accepted, when set). */
export const mailFeedbackDeps = once(() => ({
  feedback: mailFeedbackRepository(),
  clock: systemClock,
  topicArn: readConfig({ SES_FEEDBACK_TOPIC_ARN: z.string().startsWith('arn:').optional() }).SES_FEEDBACK_TOPIC_ARN,
}));

export const returnPolicyRepository = once(() => new DynamoReturnPolicyRepository(documentClient(), tableName()));
export const returnRepository = once(() => new DynamoReturnRepository(documentClient(), tableName()));

export const trackingDeps = once(() => ({
  orders: orderRepository(),
  inventory: inventoryRepository(),
  fulfillments: fulfillmentRepository(),
  returns: returnRepository(),
  clock: systemClock,
}));

/** What returns need: the order, its shipments and stock, policies, locations, the carriers, Idempotency-Keys. */
export const returnDeps = once(() => ({
  orders: orderRepository(),
  returns: returnRepository(),
  policies: returnPolicyRepository(),
  inventory: inventoryRepository(),
  fulfillments: fulfillmentRepository(),
  locations: locationRepository(),
  allLocations,
  carriers: carriers(),
  documents: documentStore(),
  idempotency: idempotencyRepository(),
  issueRefund: (command: RefundCommand) => issueRefund(refundDeps(), command),
  settleExchange: (command: { returnId: string; actor: string; correlationId?: string | undefined }) => settleExchange(exchangeDeps(), command),
  clock: systemClock,
}));

export const claimRepository = once(() => new DynamoClaimRepository(documentClient(), tableName()));
export const storeCreditRepository = once(() => new DynamoStoreCreditRepository(documentClient(), tableName()));

/** What exchanges, claims and store credit need: orders (to create replacements), returns, holds, refunds. */
export const exchangeDeps = once(() => ({
  orders: orderRepository(),
  returns: returnRepository(),
  claims: claimRepository(),
  storeCredits: storeCreditRepository(),
  inventory: inventoryRepository(),
  /** A carrier's exception scan opens a claim for the parcel's units (openCarrierClaim). */
  fulfillments: fulfillmentRepository(),
  holds: orderHoldRepository(),
  idempotency: idempotencyRepository(),
  issueRefund: (command: RefundCommand) => issueRefund(refundDeps(), command),
  clock: systemClock,
}));

export const channelSyncActionRepository = once(() => new DynamoChannelSyncActionRepository(documentClient(), tableName()));

/** What channel write-back needs (the channel clients come from channel-writeback.ts). */
export const writebackDeps = once(() => ({
  orders: orderRepository(),
  fulfillments: fulfillmentRepository(),
  refunds: refundRepository(),
  channels: channelRepository(),
  actions: channelSyncActionRepository(),
  clock: systemClock,
}));

export const customerRepository = once(() => new DynamoCustomerRepository(documentClient(), tableName()));
export const complianceRepository = once(() => new DynamoComplianceRepository(documentClient(), tableName()));

/** What the customer index, GDPR export and erasure need: every repository that holds an order's personal data. */
export const customerDeps = once(() => ({
  customers: customerRepository(),
  orders: orderRepository(),
  notifications: notificationRepository(),
  returns: returnRepository(),
  refunds: refundRepository(),
  claims: claimRepository(),
  fulfillments: fulfillmentRepository(),
  invoices: invoiceRepository(),
  storeCredits: storeCreditRepository(),
  clock: systemClock,
}));
