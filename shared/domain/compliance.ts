import { createHash } from 'node:crypto';
import * as z from 'zod';
import { Timestamp } from './common.ts';
import { customerIdOf, CustomerId } from './customer.ts';

/**
 * Shopify's mandatory compliance webhooks (docs/security.md "Shopify
 * compliance webhooks"): a customer's data request, a customer's redaction
 * and a shop's redaction 48 hours after the app was uninstalled. Each one
 * becomes a compliance request of the channel, stored before the webhook is
 * acknowledged and acted on afterwards. The request keeps ids only: the
 * customer's e-mail is turned into the customer id (a digest) on arrival and
 * the body itself is not kept.
 */
export const COMPLIANCE_TOPICS = ['customers/data_request', 'customers/redact', 'shop/redact'] as const;
export const ComplianceTopic = z.enum(COMPLIANCE_TOPICS);
export type ComplianceTopic = z.infer<typeof ComplianceTopic>;

export function isComplianceTopic(topic: string): topic is ComplianceTopic {
  return (COMPLIANCE_TOPICS as readonly string[]).includes(topic);
}

/** Shopify ids arrive as JSON numbers (beyond 2^53 in time) or strings: kept as decimal strings. */
const ShopifyId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String);
const OrderIds = z.array(ShopifyId).max(10_000).default([]);
const Customer = z.looseObject({ id: ShopifyId.nullish(), email: z.string().max(320).nullish(), phone: z.string().nullish() });

/** The bodies Shopify sends (unknown keys tolerated: later API versions may add some). */
export const CompliancePayload = {
  'customers/data_request': z.looseObject({
    shop_domain: z.string().min(1),
    customer: Customer,
    orders_requested: OrderIds,
    data_request: z.looseObject({ id: ShopifyId }).nullish(),
  }),
  'customers/redact': z.looseObject({ shop_domain: z.string().min(1), customer: Customer, orders_to_redact: OrderIds }),
  'shop/redact': z.looseObject({ shop_domain: z.string().min(1) }),
} as const satisfies Record<ComplianceTopic, z.ZodType>;

export const ComplianceStatus = z.enum(['received', 'in_progress', 'completed']);

export const ComplianceRequest = z
  .object({
    channelId: z.string(),
    requestId: z.string().meta({ description: 'A digest of the topic and the signed body: a redelivery, or a replay under a new webhook id, is the same request.' }),
    topic: ComplianceTopic,
    status: ComplianceStatus.meta({
      description: '`received` (stored, not yet acted on), `in_progress` (a shop redaction working through the channel\'s orders page by page), `completed`.',
    }),
    receivedAt: Timestamp,
    webhookId: z.string().optional().meta({ description: 'X-Shopify-Webhook-Id of the first delivery.' }),
    shopDomain: z.string(),
    customerId: CustomerId.optional().meta({ description: 'The customer (digest of the e-mail) the request is about; the e-mail itself is not kept.' }),
    shopifyCustomerId: z.string().optional(),
    shopifyOrderIds: z.array(z.string()).meta({ description: 'Shopify order ids the request names (`orders_to_redact`, `orders_requested`).' }),
    shopifyDataRequestId: z.string().optional(),
    progress: z
      .object({
        cursor: z.string().optional(),
        ordersErased: z.number().int().min(0),
        ordersSeen: z.number().int().min(0),
      })
      .optional()
      .meta({ description: 'A shop redaction\'s position in the channel\'s orders (resumed from here).' }),
    result: z
      .object({
        orderIds: z.array(z.string()).meta({ description: 'OMS orders of this channel the request covered (erased, or to be exported).' }),
        erasureIds: z.array(z.string()).meta({ description: 'The erasures recorded on the customers\' audit trails.' }),
        export: z.string().optional().meta({ description: 'For a data request: the admin route that answers the customer\'s data, for the merchant to send.' }),
        secretsRemoved: z.boolean().optional().meta({ description: 'For a shop redaction: the channel\'s stored secrets were deleted and the channel deactivated.' }),
      })
      .optional(),
    completedAt: Timestamp.optional(),
    version: z.number().int().min(1),
  })
  .meta({ id: 'ComplianceRequest', description: 'A Shopify compliance webhook, as recorded and acted on (ids only, nothing personal).' });
export type ComplianceRequest = z.infer<typeof ComplianceRequest>;

/** The request id: the same for Shopify's retries of a delivery and for a replay of its body. */
export function complianceRequestId(topic: string, rawBody: Buffer): string {
  return `cr_${createHash('sha256').update(`${topic}\n`).update(rawBody).digest('hex').slice(0, 32)}`;
}

/** The request a verified compliance webhook becomes; throws the zod error of a body that is not the topic's. */
export function complianceRequestOf(input: {
  channelId: string;
  topic: ComplianceTopic;
  body: unknown;
  rawBody: Buffer;
  webhookId?: string | undefined;
  receivedAt: string;
}): ComplianceRequest {
  const payload = CompliancePayload[input.topic].parse(input.body) as { shop_domain: string; customer?: z.infer<typeof Customer>; orders_to_redact?: string[]; orders_requested?: string[]; data_request?: { id: string } | null };
  const email = payload.customer?.email?.trim();
  return {
    channelId: input.channelId,
    requestId: complianceRequestId(input.topic, input.rawBody),
    topic: input.topic,
    status: 'received',
    receivedAt: input.receivedAt,
    ...(input.webhookId ? { webhookId: input.webhookId } : {}),
    shopDomain: payload.shop_domain,
    ...(email ? { customerId: customerIdOf(email) } : {}),
    ...(payload.customer?.id ? { shopifyCustomerId: payload.customer.id } : {}),
    shopifyOrderIds: payload.orders_to_redact ?? payload.orders_requested ?? [],
    ...(payload.data_request?.id ? { shopifyDataRequestId: payload.data_request.id } : {}),
    version: 1,
  };
}
