import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConcurrentModificationError, ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { ClaimInput } from '#shared/domain/exchange.ts';
import { BUILT_IN_RULE_SET } from '#shared/domain/routing.ts';
import { DynamoClaimRepository, DynamoStoreCreditRepository } from '#shared/store/claim-repository.ts';
import { DynamoIdempotencyRepository } from '#shared/store/idempotency-repository.ts';
import { DynamoOrderHoldRepository } from '#shared/store/order-hold-repository.ts';
import { DynamoRefundRepository } from '#shared/store/refund-repository.ts';
import { DynamoReturnRepository } from '#shared/store/return-repository.ts';
import { openCarrierClaim, requestClaim, resolveClaim, type ExchangeDeps } from '#shared/use-cases/exchanges.ts';
import { issueRefund } from '#shared/use-cases/refunds.ts';
import { recordTracking } from '#shared/use-cases/tracking.ts';
import { keys } from '#shared/store/keys.ts';
import { fulfillmentWorld } from '../support/fulfillment.ts';
import { must } from '../support/fixtures.ts';
import { allItems, useTestTable } from '../support/table.ts';

/**
 * Claims on DynamoDB Local: the claim limit is a conditional write on the
 * order's claims ledger (N claims racing for the last unit: exactly one
 * wins), a carrier's exception or lost scan opens one claim per parcel
 * however many scans and deliveries race, and staff resolve or dismiss it
 * (one of two people wins).
 */
let world: ReturnType<typeof fulfillmentWorld>;
let deps: ExchangeDeps & { fulfillments: NonNullable<ExchangeDeps['fulfillments']> };
let db: Awaited<ReturnType<typeof useTestTable>>['db'];
let tableName: string;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
  world = fulfillmentWorld(db, tableName);
  const refundDeps = {
    orders: world.orders,
    fulfillments: world.fulfillments,
    refunds: new DynamoRefundRepository(db, tableName),
    invoices: world.invoices,
    providers: world.deps.providers,
    ruleSetFor: async () => BUILT_IN_RULE_SET,
    clock: world.deps.clock,
  };
  deps = {
    orders: world.orders,
    returns: new DynamoReturnRepository(db, tableName),
    claims: new DynamoClaimRepository(db, tableName),
    storeCredits: new DynamoStoreCreditRepository(db, tableName),
    inventory: world.inventory,
    holds: new DynamoOrderHoldRepository(db, tableName),
    fulfillments: world.fulfillments,
    idempotency: new DynamoIdempotencyRepository(db, tableName),
    issueRefund: (command) => issueRefund(refundDeps, command),
    clock: world.deps.clock,
  };
}, 60_000);

/** The ClaimResolved events in the outbox for a claim. */
const resolvedEvents = async (claimId: string) =>
  (await allItems(db, tableName))
    .filter((i) => i['detailType'] === 'ClaimResolved')
    .map((i) => JSON.parse(String(i['detail'])) as { metadata: Record<string, unknown>; data: Record<string, unknown> })
    .filter((d) => d.data['claimId'] === claimId);

const claim = (orderId: string, input: Record<string, unknown>) => requestClaim(deps, { orderId, input: ClaimInput.parse(input), rawBody: input, idempotencyKey: randomUUID(), actor: 'test' });

describe('claims on DynamoDB Local', () => {
  it('of 8 claims racing for the last unit exactly one is filed; the others are refused naming the units, and the ledger holds 1', async () => {
    const { order } = await world.shippedParcel();
    const lineId = must(order.lines[0]).lineId;
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => claim(order.orderId, { lines: [{ lineId, quantity: 1 }], kind: 'lost', resolution: 'refund' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
      if (r.reason instanceof ValidationError) expect(r.reason.details).toEqual([expect.objectContaining({ path: 'lines.0.quantity', code: 'over_claimed', message: expect.stringContaining('only 0 can be') })]);
      else expect(r.reason).toBeInstanceOf(ConcurrentModificationError);
    }
    expect(await deps.claims.forOrder(order.orderId)).toHaveLength(1);
    expect(await deps.claims.ledger(order.orderId)).toMatchObject({ claimed: { [lineId]: 1 }, version: 1 });
    const refunds = (await allItems(db, tableName)).filter((i) => i['PK'] === keys.orderPartition(order.orderId) && String(i['SK']).startsWith('REFUND#'));
    expect(refunds).toHaveLength(1);
  });

  it('a parcel scanned exception opens one open claim, whatever the scans and redeliveries; staff resolve it once (one of two people wins)', async () => {
    const { order, parcel } = await world.shippedParcel();
    const { carrierId, trackingNumber } = must(parcel.carrier);
    const at = new Date().toISOString();
    expect(await recordTracking(world.deps, { carrierId, trackingNumber, status: 'exception', occurredAt: at, description: 'Damaged in sorting' })).toMatchObject({ outcome: 'applied', orderStatus: 'exception' });
    const scan = { shipmentId: parcel.fulfillmentId, carrierId, trackingNumber, status: 'exception' as const, occurredAt: at, description: 'Damaged in sorting', actor: `carrier:${carrierId}` };
    const opened = await Promise.all(Array.from({ length: 5 }, () => openCarrierClaim(deps, scan)));
    expect(opened.filter((o) => o.outcome === 'opened')).toHaveLength(1);
    expect(new Set(opened.map((o) => o.claimId)).size).toBe(1);
    const claims = await deps.claims.forOrder(order.orderId);
    expect(claims).toEqual([
      expect.objectContaining({ kind: 'exception', status: 'open', reportedBy: `carrier:${carrierId}`, shipment: expect.objectContaining({ shipmentId: parcel.fulfillmentId, description: 'Damaged in sorting' }) }),
    ]);
    expect(claims[0]?.resolution).toBeUndefined();
    const timeline = (await world.orders.timeline(order.orderId, { limit: 100 })).items;
    expect(timeline.filter((e) => e.type === 'claim_created')).toHaveLength(1);
    expect(timeline.find((e) => e.type === 'claim_created')?.message).toContain('Nothing is reshipped or refunded until staff resolve it');
    const claimId = must(claims[0]).claimId;

    const decisions = await Promise.allSettled([
      resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'refund', by: 'Ana' }, actor: 'test' }),
      resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'dismiss', by: 'Bob' }, actor: 'test' }),
    ]);
    expect(decisions.filter((d) => d.status === 'fulfilled')).toHaveLength(1);
    expect((decisions.find((d) => d.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    const final = must(await deps.claims.get(order.orderId, claimId));
    expect(['settled', 'dismissed']).toContain(final.status);
    expect((await deps.claims.ledger(order.orderId))?.claimed[must(order.lines[0]).lineId]).toBe(final.status === 'dismissed' ? 0 : 1);
    // One ClaimResolved, for the decision that won.
    expect((await resolvedEvents(claimId)).map((e) => e.data)).toEqual([
      expect.objectContaining({ claimId, orderId: order.orderId, resolution: final.status === 'dismissed' ? 'dismiss' : 'refund', resolvedBy: final.resolvedBy, shipmentId: parcel.fulfillmentId }),
    ]);
    // A later scan of the same parcel finds its claim.
    expect(await openCarrierClaim(deps, { ...scan, occurredAt: new Date().toISOString() })).toEqual({ outcome: 'exists', claimId });
  });

  it('a parcel whose units staff already claimed opens no carrier claim', async () => {
    const { order, parcel } = await world.shippedParcel();
    await claim(order.orderId, { lines: [{ lineId: must(order.lines[0]).lineId, quantity: 1 }], kind: 'damaged', resolution: 'refund' });
    const before = await allItems(db, tableName);
    const { carrierId, trackingNumber } = must(parcel.carrier);
    expect(await openCarrierClaim(deps, { shipmentId: parcel.fulfillmentId, carrierId, trackingNumber, status: 'lost', occurredAt: new Date().toISOString(), actor: 'test' })).toMatchObject({ outcome: 'skipped' });
    expect(await allItems(db, tableName)).toEqual(before);
  });

  it('a lost scan makes the parcel lost and the order exception; a later in-transit scan (found) moves it on', async () => {
    const { order, parcel } = await world.shippedParcel();
    const { carrierId, trackingNumber } = must(parcel.carrier);
    expect(await recordTracking(world.deps, { carrierId, trackingNumber, status: 'lost', occurredAt: new Date().toISOString() })).toMatchObject({ outcome: 'applied', orderStatus: 'exception' });
    expect(must(await world.fulfillments.get(parcel.fulfillmentId)).tracking?.status).toBe('lost');
    const published = (await allItems(db, tableName))
      .filter((i) => i['detailType'] === 'ShipmentTrackingUpdated')
      .map((i) => (JSON.parse(String(i['detail'])) as { data: Record<string, unknown> }).data)
      .filter((d) => d['orderId'] === order.orderId);
    expect(published).toEqual([expect.objectContaining({ status: 'exception', lost: true })]);
    expect(await recordTracking(world.deps, { carrierId, trackingNumber, status: 'in_transit', occurredAt: new Date(Date.now() + 1000).toISOString() })).toMatchObject({ outcome: 'applied', orderStatus: 'shipped' });
  });

  describe('ClaimResolved', () => {
    const carrierClaim = async () => {
      const { order, parcel } = await world.shippedParcel();
      const { carrierId, trackingNumber } = must(parcel.carrier);
      const opened = await openCarrierClaim(deps, { shipmentId: parcel.fulfillmentId, carrierId, trackingNumber, status: 'lost', occurredAt: new Date().toISOString(), actor: `carrier:${carrierId}` });
      expect(await resolvedEvents(must(opened.claimId))).toEqual([]);
      return { order, parcel, claimId: must(opened.claimId) };
    };

    it('a dismissal publishes one ClaimResolved (resolution dismiss, who, no result) with the dismissal; dismissing again writes nothing', async () => {
      const { order, parcel, claimId } = await carrierClaim();
      await resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'dismiss', by: 'Ana', note: 'Found at the depot' }, actor: 'test', correlationId: 'corr-dismiss' });
      const [event, ...more] = await resolvedEvents(claimId);
      expect(more).toEqual([]);
      expect(event?.data).toEqual({ claimId, orderId: order.orderId, kind: 'lost', resolution: 'dismiss', resolvedBy: 'Ana', lines: [expect.objectContaining({ lineId: must(order.lines[0]).lineId, quantity: 1 })], shipmentId: parcel.fulfillmentId });
      expect(event?.metadata).toMatchObject({ eventVersion: 1, actor: 'test', correlationId: 'corr-dismiss' });
      const before = await allItems(db, tableName);
      expect(await resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'dismiss', by: 'Bob' }, actor: 'test' })).toMatchObject({ status: 'dismissed', resolvedBy: 'Ana' });
      await expect(resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'refund', by: 'Bob' }, actor: 'test' })).rejects.toBeInstanceOf(ConflictError);
      expect(await allItems(db, tableName)).toEqual(before);
    });

    it('a carrier claim resolved reship publishes one ClaimResolved naming the reship order, in the settlement; resolving it again publishes nothing', async () => {
      const { order, claimId } = await carrierClaim();
      const settled = await resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'reship', kind: 'lost', by: 'Ana' }, actor: 'test' });
      expect(settled).toMatchObject({ status: 'settled', reshipOrderId: expect.any(String) });
      expect((await resolvedEvents(claimId)).map((e) => e.data)).toEqual([expect.objectContaining({ claimId, resolution: 'reship', resolvedBy: 'Ana', reshipOrderId: settled.reshipOrderId })]);
      expect((await resolvedEvents(claimId))[0]?.data['refundId']).toBeUndefined();
      const before = await allItems(db, tableName);
      expect(await resolveClaim(deps, { orderId: order.orderId, claimId, input: { resolution: 'reship', by: 'Bob' }, actor: 'test' })).toMatchObject({ reshipOrderId: settled.reshipOrderId });
      expect(await allItems(db, tableName)).toEqual(before);
    });

    it('a staff claim filed with refund publishes one ClaimResolved naming the refund, with its settlement; a replay or a repeated resolve publishes nothing', async () => {
      const { order } = await world.shippedParcel();
      const input = { lines: [{ lineId: must(order.lines[0]).lineId, quantity: 1 }], kind: 'damaged', resolution: 'refund' };
      const key = randomUUID();
      const filed = JSON.parse((await requestClaim(deps, { orderId: order.orderId, input: ClaimInput.parse(input), rawBody: input, idempotencyKey: key, actor: 'api' })).json) as { claimId: string; refund: { refundId: string; status: string } };
      const events = await resolvedEvents(filed.claimId);
      expect(events.map((e) => e.data)).toEqual([
        expect.objectContaining({ claimId: filed.claimId, orderId: order.orderId, kind: 'damaged', resolution: 'refund', resolvedBy: 'api', refundId: filed.refund.refundId, refundStatus: filed.refund.status }),
      ]);
      expect(events[0]?.data['reshipOrderId']).toBeUndefined();
      const before = await allItems(db, tableName);
      await requestClaim(deps, { orderId: order.orderId, input: ClaimInput.parse(input), rawBody: input, idempotencyKey: key, actor: 'api' });
      await resolveClaim(deps, { orderId: order.orderId, claimId: filed.claimId, input: { resolution: 'refund', by: 'Ana' }, actor: 'test' });
      expect(await allItems(db, tableName)).toEqual(before);
    });
  });
});
