import * as z from 'zod';
import { Claim, ClaimInput, ClaimResolveInput, StoreCredit } from '#shared/domain/exchange.ts';
import { defineOperation } from './operation.ts';

/** Claims and store credit (spread into shared/http/operations.ts). Exchanges are a return's resolution: see return-operations.ts. */

export const exchangeOperations = {
  createClaim: defineOperation({
    operationId: 'createClaim',
    method: 'POST',
    path: '/v1/orders/{orderId}/claims',
    auth: 'bearer',
    summary: 'Claim shipped units damaged or lost in transit: reship them at no charge, or refund them',
    description:
      'No return is needed. Each line names an order line and a quantity: at most what shipped minus earlier claims (422 naming the line, nothing written). `resolution: reship` creates a new order for the units at no charge (same customer, address and channel; `exchangeFor.claimId` points back), reserved and routed by the normal rules, and its parcel is announced with the `exchange_shipped` message; `refund` refunds their exact share through the refund rules (kind `claim`, with a credit note). The claim, the order\'s timeline and ClaimCreated are one transaction. Requires an `Idempotency-Key`: the same key and body answer the first result again, byte for byte; another body is a 409.',
    tags: ['Returns'],
    params: z.object({ orderId: z.string() }),
    headers: z.object({
      'idempotency-key': z
        .string()
        .min(1)
        .max(255)
        .meta({ description: 'Unique per claim; retries reuse it. Kept 24 hours. 1-255 visible ASCII characters (`!` to `~`).', example: 'claim-0001', pattern: '^[!-~]+$' }),
    }),
    body: ClaimInput,
    responses: { 201: { description: 'The claim, settled (its reship order id or its refund).', schema: Claim } },
    errors: [400, 401, 404, 409, 413, 422],
  }),
  listClaims: defineOperation({
    operationId: 'listClaims',
    method: 'GET',
    path: '/v1/orders/{orderId}/claims',
    auth: 'bearer',
    summary: "An order's claims, oldest first",
    tags: ['Returns'],
    params: z.object({ orderId: z.string() }),
    responses: { 200: { description: 'The claims.', schema: z.object({ items: z.array(Claim) }).meta({ id: 'ClaimList' }) } },
    errors: [401, 404],
  }),
  resolveClaim: defineOperation({
    operationId: 'resolveClaim',
    method: 'POST',
    path: '/v1/orders/{orderId}/claims/{claimId}/resolve',
    auth: 'bearer',
    summary: 'Resolve an open claim (one the carrier opened): reship, refund, or dismiss it',
    description:
      'A parcel the carrier scanned `exception` or `lost` opens one claim with no resolution: nothing is reshipped or refunded until staff decide, because a parcel declared lost is sometimes found. `reship` creates the no-charge reship order (as a staff claim does), `refund` refunds the units (kind `claim`), `dismiss` closes the claim with nothing made good and gives its units back, so they can be claimed again. The decision is conditional on the claim\'s version: of two people resolving at once one wins and the other gets a 409 (unless it asked for the same thing: asking again for what was done answers the claim as it is). A claim already resolved otherwise is a 409 `claim_resolved`.',
    tags: ['Returns'],
    params: z.object({ orderId: z.string(), claimId: z.string() }),
    body: ClaimResolveInput,
    responses: { 200: { description: 'The claim: settled (its reship order id or its refund) or dismissed.', schema: Claim } },
    errors: [400, 401, 404, 409, 413, 422],
  }),
  listStoreCredits: defineOperation({
    operationId: 'listStoreCredits',
    method: 'GET',
    path: '/v1/store-credits',
    auth: 'bearer',
    summary: "A customer's store credit (returns resolved `store_credit`), oldest first",
    description: 'Codes issued instead of money back, with the amount, the return, the refund and its credit note. Redeeming a code at checkout is not part of the OMS yet.',
    tags: ['Returns'],
    query: z.object({ email: z.email().max(320).meta({ description: 'The customer\'s e-mail (any letter case).', example: 'ana@example.com' }) }),
    responses: { 200: { description: 'The credits.', schema: z.object({ items: z.array(StoreCredit) }).meta({ id: 'StoreCreditList' }) } },
    errors: [401, 422],
  }),
};
