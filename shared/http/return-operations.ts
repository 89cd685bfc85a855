import * as z from 'zod';
import { PolicyId, Return, ReturnPolicy, ReturnPolicyInput, ReturnReceiptInput, ReturnRequestInput, ReturnStatus } from '#shared/domain/return.ts';
import { defineOperation } from './operation.ts';

/** The returns part of the API contract (spread into shared/http/operations.ts). */

const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .meta({
      description: 'Unique per return request; retries reuse it. Kept 24 hours. 1-255 visible ASCII characters (`!` to `~`): a longer key is a 422, any other character a 400.',
      example: 'rma-web-0001',
      pattern: '^[!-~]+$',
    }),
});

const ReturnId = z.string().meta({ description: '`<orderId>-R<n>`.', example: '01M8EJV774P67P6BX5MZSVEP9Q-R1' });

export const returnOperations = {
  putReturnPolicy: defineOperation({
    operationId: 'putReturnPolicy',
    method: 'PUT',
    path: '/v1/return-policies/{policyId}',
    auth: 'bearer',
    summary: 'Create or replace a return policy (`default`, or a channel id)',
    description:
      'Window, reasons (and which need approval), who pays the return label, restocking fee, the receiving location (nearest returns-capable or fixed), days to send the parcel, whether shipping is refunded. A fixed location or carrier that does not exist is a 422 naming the field. The same body again changes nothing; `If-Match: "<version>"` refuses the write if it changed since you read it.',
    tags: ['Returns'],
    params: z.object({ policyId: PolicyId }),
    body: ReturnPolicyInput,
    responses: { 200: { description: 'Replaced, or unchanged.', schema: ReturnPolicy }, 201: { description: 'Created.', schema: ReturnPolicy } },
    errors: [400, 401, 409, 412, 413, 422],
  }),
  getReturnPolicy: defineOperation({
    operationId: 'getReturnPolicy',
    method: 'GET',
    path: '/v1/return-policies/{policyId}',
    auth: 'bearer',
    summary: 'Read a return policy',
    tags: ['Returns'],
    params: z.object({ policyId: z.string() }),
    responses: { 200: { description: 'The policy (ETag is its version).', schema: ReturnPolicy } },
    errors: [401, 404],
  }),
  requestReturn: defineOperation({
    operationId: 'requestReturn',
    method: 'POST',
    path: '/v1/orders/{orderId}/returns',
    auth: 'bearer',
    summary: 'Request a return (RMA) of shipped units',
    description:
      'Requires an `Idempotency-Key`: the same key and body answer the first result again, byte for byte; the same key with another body is a 409. Each line names an order line, a quantity (at most what shipped minus what other returns hold: 422 naming the line) and a reason from the channel\'s return policy; outside the policy\'s window the answer is a 422 with the deadline. Approved at once unless a reason needs approval.',
    tags: ['Returns'],
    params: z.object({ orderId: z.string() }),
    headers: IdempotencyKeyHeader,
    body: ReturnRequestInput,
    responses: { 201: { description: 'The return (`requested`, or `approved` by the policy).', schema: Return } },
    errors: [400, 401, 404, 409, 413, 422],
  }),
  listReturns: defineOperation({
    operationId: 'listReturns',
    method: 'GET',
    path: '/v1/returns',
    auth: 'bearer',
    summary: 'List returns, newest first (or an order\'s returns)',
    description: 'Served by month-bucketed, sharded indexes (never a scan); `orderId` reads the order\'s partition. `from`/`to` bound the request time (default: the 90 days up to now). The cursor keeps the filters it was made for.',
    tags: ['Returns'],
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: 'Page size (1-100).' }),
      cursor: z.string().min(1).max(2048).optional().meta({ description: '`nextCursor` of the previous page.' }),
      orderId: z.string().min(1).max(64).optional(),
      status: ReturnStatus.optional(),
      from: z.iso.datetime().optional().meta({ description: 'Requested at or after (ISO instant).' }),
      to: z.iso.datetime().optional().meta({ description: 'Requested at or before (ISO instant).' }),
    }),
    responses: { 200: { description: 'One page of returns.', schema: z.object({ items: z.array(Return), nextCursor: z.string().optional() }).meta({ id: 'ReturnPage' }) } },
    errors: [401, 404, 422],
  }),
  getReturn: defineOperation({
    operationId: 'getReturn',
    method: 'GET',
    path: '/v1/returns/{returnId}',
    auth: 'bearer',
    summary: 'A return with its label, tracking, receipt and own timeline',
    tags: ['Returns'],
    params: z.object({ returnId: ReturnId }),
    responses: { 200: { description: 'The return (ETag is its version).', schema: Return } },
    errors: [401, 404],
  }),
  approveReturn: defineOperation({
    operationId: 'approveReturn',
    method: 'POST',
    path: '/v1/returns/{returnId}/approve',
    auth: 'bearer',
    summary: 'Approve a requested return: a label is bought and e-mailed to the customer',
    description: 'Only a `requested` return (409 `invalid_transition` otherwise). Of two staff approving at once, one wins and the other gets a 409.',
    tags: ['Returns'],
    params: z.object({ returnId: ReturnId }),
    body: z.strictObject({ note: z.string().max(2000).optional() }),
    responses: { 200: { description: 'The approved return.', schema: Return } },
    errors: [400, 401, 404, 409, 422],
  }),
  rejectReturn: defineOperation({
    operationId: 'rejectReturn',
    method: 'POST',
    path: '/v1/returns/{returnId}/reject',
    auth: 'bearer',
    summary: 'Reject a requested return (reason required); its units can be returned again',
    tags: ['Returns'],
    params: z.object({ returnId: ReturnId }),
    body: z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
    responses: { 200: { description: 'The rejected return.', schema: Return } },
    errors: [400, 401, 404, 409, 422],
  }),
  receiveReturn: defineOperation({
    operationId: 'receiveReturn',
    method: 'POST',
    path: '/v1/returns/{returnId}/receipt',
    auth: 'bearer',
    summary: 'Check a returned parcel in, with each line\'s condition',
    description:
      '`resellable` units go back to available stock (`return_restock`), `damaged` ones are written off (`write_off`, never available), `missing` ones move nothing; then the return is refunded and closed. Only an `approved` or `in_transit` return; every line of the return named once and no other (422 naming the line). Of two receipts at once, one wins and the other gets a 409.',
    tags: ['Returns'],
    params: z.object({ returnId: ReturnId }),
    body: ReturnReceiptInput,
    responses: { 200: { description: 'The received return.', schema: Return } },
    errors: [400, 401, 404, 409, 422],
  }),
};
