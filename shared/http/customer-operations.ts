import * as z from 'zod';
import { ComplianceRequest } from '#shared/domain/compliance.ts';
import { CustomerErasure, CustomerId, ErasureRecord } from '#shared/domain/customer.ts';
import { Claim, StoreCredit } from '#shared/domain/exchange.ts';
import { Fulfillment } from '#shared/domain/fulfillment.ts';
import { Invoice } from '#shared/domain/invoice.ts';
import { Notification } from '#shared/domain/notification.ts';
import { Order, OrderSummary, TimelineEntry } from '#shared/domain/order.ts';
import { Refund } from '#shared/domain/refund.ts';
import { Return } from '#shared/domain/return.ts';
import { defineOperation } from './operation.ts';

/** Customers: the index by e-mail, GDPR export and erasure (spread into shared/http/operations.ts; docs/security.md#personal-data). */

const CustomerParams = z.object({ customerId: CustomerId });

const RawSource = z.object({
  deliveryId: z.string(),
  via: z.enum(['webhook', 'eventbridge', 'poll', 'api']),
  receivedAt: z.string(),
  topic: z.string().optional(),
  headers: z.record(z.string(), z.string()),
  contentType: z.string(),
  body: z.string().meta({ description: 'The payload exactly as received.' }),
});

export const CustomerExport = z
  .object({
    customerId: CustomerId,
    exportedAt: z.iso.datetime(),
    orders: z.array(
      z.object({
        order: Order,
        sources: z.array(RawSource).meta({ description: 'Every raw channel delivery that carried the order (none once erased).' }),
        timeline: z.array(TimelineEntry),
        notifications: z.array(Notification),
        fulfillments: z.array(Fulfillment),
        returns: z.array(Return),
        refunds: z.array(Refund),
        claims: z.array(Claim),
        invoices: z.array(Invoice),
      }),
    ),
    storeCredits: z.array(StoreCredit),
    erasures: z.array(CustomerErasure),
  })
  .meta({ id: 'CustomerExport' });

export const customerOperations = {
  findCustomer: defineOperation({
    operationId: 'findCustomer',
    method: 'GET',
    path: '/v1/customers',
    auth: 'bearer',
    summary: 'The customer id of an e-mail address',
    description:
      'A customer is everyone who ordered with one e-mail address, in any letter case, on any channel. The id is a digest of the lower-case, trimmed address, so it can be used in URLs and logs without the address. 404 when no order has the address (and none was erased).',
    tags: ['Customers'],
    query: z.object({ email: z.email().max(320).meta({ description: 'The customer\'s e-mail (any letter case).', example: 'ana@example.com' }) }),
    responses: {
      200: {
        description: 'The customer id; `erased` when an erasure was done for it.',
        schema: z.object({ customerId: CustomerId, erased: z.boolean() }).meta({ id: 'CustomerRef' }),
      },
    },
    errors: [401, 404, 422],
  }),
  listCustomerOrders: defineOperation({
    operationId: 'listCustomerOrders',
    method: 'GET',
    path: '/v1/customers/{customerId}/orders',
    auth: 'bearer',
    summary: "A customer's orders across channels, newest first",
    description: 'Read from the customer index written with each order that has an e-mail (never a scan). Erased orders leave the index.',
    tags: ['Customers'],
    params: CustomerParams,
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size (1-100).' }),
      cursor: z.string().min(1).max(2048).optional().meta({ description: '`nextCursor` of the previous page.' }),
    }),
    responses: {
      200: {
        description: 'One page of orders (without lines).',
        schema: z.object({ items: z.array(OrderSummary), nextCursor: z.string().optional() }).meta({ id: 'CustomerOrderPage' }),
      },
    },
    errors: [401, 404, 422],
  }),
  exportCustomer: defineOperation({
    operationId: 'exportCustomer',
    method: 'GET',
    path: '/v1/customers/{customerId}/export',
    auth: 'bearer',
    scope: 'admin',
    summary: 'Everything the OMS holds about a customer, as JSON (GDPR access and portability)',
    description:
      'Bulk personal data: needs the `admin` scope. Each order with its lines and addresses, the raw channel payloads it came in, its timeline, the messages sent, fulfillments, returns, refunds, claims and invoices; the store credit issued to the address; the erasures done.',
    tags: ['Customers'],
    params: CustomerParams,
    responses: { 200: { description: 'The export.', schema: CustomerExport } },
    errors: [401, 404],
  }),
  eraseCustomer: defineOperation({
    operationId: 'eraseCustomer',
    method: 'POST',
    path: '/v1/customers/{customerId}/erase',
    auth: 'bearer',
    summary: "Erase a customer's personal data (GDPR erasure), keeping the orders for accounting",
    description:
      'Every order of the customer keeps its lines, money and status, with the customer replaced by a pseudonym and its addresses reduced to country and region; the raw channel payloads are deleted; message recipients and bodies are removed; names, e-mails, phones and addresses are replaced in timelines, returns, claims and fulfillments. Each order gets a `personal_data_erased` timeline entry; the erasure goes on the customer\'s audit record (ids and times only). Idempotent: erasing again answers the record, with no new `erasure` unless orders were placed since. Later channel deliveries for an erased order do not bring the data back. Invoices and credit notes are kept as issued (a legal record). 404 for an unknown customer.',
    tags: ['Customers'],
    params: CustomerParams,
    responses: {
      200: {
        description: 'The audit record, and the erasure this request did (absent when there was nothing left to erase).',
        schema: z.object({ record: ErasureRecord, erasure: CustomerErasure.optional() }).meta({ id: 'CustomerErasureResult' }),
      },
    },
    errors: [401, 404],
  }),
  listComplianceRequests: defineOperation({
    operationId: 'listComplianceRequests',
    method: 'GET',
    path: '/v1/channels/{channelId}/compliance-requests',
    auth: 'bearer',
    scope: 'admin',
    summary: "A channel's privacy requests (Shopify's compliance webhooks) and what was done",
    description:
      'Every `customers/data_request`, `customers/redact` and `shop/redact` webhook the channel received, as recorded: ids only (the customer id is a digest of the e-mail), its status and result. A data request lists the customer\'s orders of this channel and the export route; the merchant sends the customer their data (the OMS sends none by itself). A redaction lists the orders it erased; a shop redaction counts them and says whether the channel\'s secrets were removed. In request id order.',
    tags: ['Customers'],
    params: z.object({ channelId: z.string() }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size (1-100).' }),
      cursor: z.string().min(1).max(2048).optional().meta({ description: '`nextCursor` of the previous page.' }),
    }),
    responses: {
      200: {
        description: 'One page of requests.',
        schema: z.object({ items: z.array(ComplianceRequest), nextCursor: z.string().optional() }).meta({ id: 'ComplianceRequestPage' }),
      },
    },
    errors: [401, 404, 422],
  }),
};
