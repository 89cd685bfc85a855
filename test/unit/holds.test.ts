import { describe, expect, it } from 'vitest';
import { ShopifyOrder, shopifyToDraft } from '#shared/channels/shopify.ts';
import { ConflictError, ValidationError } from '#shared/domain/errors.ts';
import { MAX_HOLD_DAYS, holdActor, placeHold, releaseHold } from '#shared/domain/holds.ts';
import { linesTotal, type Order } from '#shared/domain/order.ts';
import { RuleSetInput } from '#shared/domain/routing.ts';
import { orderValue, reviewOrder } from '#shared/domain/routing-holds.ts';
import { fixture } from '../support/channel-fixtures.ts';

const now = new Date('2026-11-27T10:00:00.000Z');
const draft = shopifyToDraft(ShopifyOrder.parse(fixture('shopify-orders-create.json')), { channelId: 'shop' });
const order = (overrides: Partial<Order> = {}): Order => ({ ...draft, orderId: '01JD0000000000000000000000', status: 'reserved', version: 3, createdAt: now.toISOString(), updatedAt: now.toISOString(), ...overrides });
const free = { now, openFulfillments: [] };

describe('placeHold', () => {
  it('holds an order where it stands, naming who and why, with the release date normalised', () => {
    const { next, hold, entry } = placeHold(order(), { reason: 'fraud_review', by: 'Ana Lima', note: 'Check the card', until: '2026-11-28T10:00:00Z' }, free);
    expect(hold).toEqual({ reason: 'fraud_review', note: 'Check the card', until: '2026-11-28T10:00:00.000Z', since: now.toISOString(), placedBy: { type: 'person', name: 'Ana Lima' } });
    expect(next).toMatchObject({ status: 'reserved', fulfillmentHold: hold, version: 4 });
    expect(entry).toMatchObject({ type: 'hold_placed', message: expect.stringContaining('Ana Lima held the order (fraud_review): Check the card. Released automatically at 2026-11-28T10:00:00.000Z.') });
    expect(holdActor(hold.placedBy)).toBe('person:Ana Lima');
  });

  it.each(['cancelled', 'shipped', 'delivered', 'exception', 'fulfilled_by_channel'] as const)('refuses a %s order (409 not_holdable)', (status) => {
    expect(() => placeHold(order({ status }), { reason: 'fraud_review', by: 'Ana' }, free)).toThrow(expect.objectContaining({ code: 'not_holdable' }));
  });

  it('refuses an order already held, and one already at a location (naming the fulfillments)', () => {
    const { next } = placeHold(order(), { reason: 'fraud_review', by: 'Ana' }, free);
    expect(() => placeHold(next, { reason: 'address_review', by: 'Bo' }, free)).toThrow(expect.objectContaining({ code: 'already_held', message: expect.stringContaining('fraud_review by Ana') }));
    const open = [{ fulfillmentId: '01JD0000000000000000000000-F1', locationId: 'wh-east', status: 'accepted' }];
    let error: unknown;
    try {
      placeHold(order({ status: 'fulfilling' }), { reason: 'fraud_review', by: 'Ana' }, { now, openFulfillments: open });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ code: 'fulfillment_open', details: [{ path: 'fulfillments', message: '01JD0000000000000000000000-F1 at wh-east is accepted' }] });
  });

  it('refuses a release date that is past or too far ahead, and `other` without a note (422 naming the field)', () => {
    const fields = (input: Parameters<typeof placeHold>[1]) => {
      try {
        placeHold(order(), input, free);
      } catch (error) {
        if (error instanceof ValidationError) return error.details.map((d) => d.path);
      }
      return [];
    };
    expect(fields({ reason: 'fraud_review', by: 'Ana', until: now.toISOString() })).toEqual(['until']);
    expect(fields({ reason: 'fraud_review', by: 'Ana', until: new Date(now.getTime() + (MAX_HOLD_DAYS + 1) * 86_400_000).toISOString() })).toEqual(['until']);
    expect(fields({ reason: 'other', by: 'Ana' })).toEqual(['note']);
  });
});

describe('releaseHold', () => {
  const held = (status: Order['status']) => placeHold(order({ status }), { reason: 'customer_request', by: 'Ana' }, free).next;

  it.each([
    ['reserved', 'fulfillment'],
    ['routed', 'fulfillment'],
    ['received', 'reservation'],
    ['backordered', 'none'],
  ] as const)('a %s order goes on where it stands (%s)', (status, resumes) => {
    const released = releaseHold(held(status), { by: { type: 'person', name: 'Bo' }, note: 'ok' }, now);
    expect(released).toMatchObject({ released: 'hold', reason: 'customer_request', resumes, next: { status, version: 5 } });
    expect(released.next.fulfillmentHold).toBeUndefined();
    expect(released.entry.message).toContain('Bo released the customer_request hold: ok.');
  });

  it('releases a money review only with a note, back to received', () => {
    const review = order({ status: 'on_hold', hold: { reason: 'money_review', since: now.toISOString(), note: 'The total is negative' } });
    expect(() => releaseHold(review, { by: { type: 'person', name: 'Bo' } }, now)).toThrow(ValidationError);
    const released = releaseHold(review, { by: { type: 'person', name: 'Bo' }, note: 'Refund on the channel' }, now);
    expect(released).toMatchObject({ released: 'money_review', resumes: 'reservation', next: { status: 'received' } });
    expect(released.next.hold).toBeUndefined();
  });

  it('refuses an order that is not held, or only held for stock (409 not_held)', () => {
    expect(() => releaseHold(order(), { by: { type: 'person', name: 'Bo' } }, now)).toThrow(expect.objectContaining({ code: 'not_held' }));
    const short = order({ status: 'on_hold', hold: { reason: 'out_of_stock', since: now.toISOString() } });
    expect(() => releaseHold(short, { by: { type: 'person', name: 'Bo' } }, now)).toThrow(expect.objectContaining({ code: 'not_held', message: expect.stringContaining('out_of_stock') }));
  });
});

describe('hold rules of a rule set', () => {
  const rules = (holds: unknown) => ({ ruleSetId: 'default', ...RuleSetInput.parse({ rules: [{ ruleId: 'nearest' }], holds }) });

  it('compare what the order costs with the threshold of its own currency, to the minor unit', () => {
    const value = orderValue(order());
    expect(value).toBe(draft.totals.total);
    const at = (usd: number) => reviewOrder(rules([{ ruleId: 'big', condition: { type: 'order_value_above', amounts: { USD: usd } } }]), order(), now);
    expect(at(value - 1).hold).toMatchObject({ reason: 'high_value', placedBy: { type: 'rule', ruleSetId: 'default', ruleId: 'big' } });
    expect(at(value)).toEqual({ results: [{ ruleId: 'big', result: 'not_held', message: expect.stringContaining('not above') }] });
    const euro = reviewOrder(rules([{ ruleId: 'big', condition: { type: 'order_value_above', amounts: { EUR: 1 } } }]), order(), now);
    expect(euro.results).toEqual([{ ruleId: 'big', result: 'not_applicable', message: 'No threshold for USD (the rule has EUR).' }]);
  });

  it('value an order the OMS charges at what its lines add up to', () => {
    const charged = order({ channel: { ...draft.channel, channelType: 'web' }, payment: { state: 'authorized', provider: 'sandbox', reference: 'pm_card_visa' }, totals: { ...draft.totals, total: 1 } });
    expect(orderValue(charged)).toBe(linesTotal(charged));
  });

  it('hold on a billing/shipping country mismatch, and explain every rule; the first that matches decides', () => {
    const abroad = order({ billingAddress: { lines: ['1 Unter den Linden'], city: 'Berlin', country: 'DE' } });
    const review = reviewOrder(
      rules([
        { ruleId: 'big', condition: { type: 'order_value_above', amounts: { USD: 10 ** 12 } } },
        { ruleId: 'mismatch', condition: { type: 'country_mismatch' }, reason: 'fraud_review' },
        { ruleId: 'any', condition: { type: 'order_value_above', amounts: { USD: 0 } } },
      ]),
      abroad,
      now,
    );
    expect(review.results.map((r) => r.result)).toEqual(['not_held', 'held', 'held']);
    expect(review.hold).toMatchObject({ reason: 'fraud_review', note: 'Rule mismatch: Billed to DE, shipped to US.' });
    const { billingAddress: _none, ...noBilling } = abroad;
    expect(reviewOrder(rules([{ ruleId: 'mismatch', condition: { type: 'country_mismatch' } }]), noBilling, now).results[0]?.result).toBe('not_applicable');
  });

  it('are validated: distinct ids, a threshold for some currency', () => {
    const twice = RuleSetInput.safeParse({ rules: [{ ruleId: 'nearest' }], holds: [{ ruleId: 'a', condition: { type: 'country_mismatch' } }, { ruleId: 'a', condition: { type: 'country_mismatch' } }] });
    expect(twice.success).toBe(false);
    const empty = RuleSetInput.safeParse({ rules: [{ ruleId: 'nearest' }], holds: [{ ruleId: 'a', condition: { type: 'order_value_above', amounts: {} } }] });
    expect(empty.error?.issues[0]?.path).toEqual(['holds', 0, 'condition', 'amounts']);
    expect(RuleSetInput.parse({ rules: [{ ruleId: 'nearest' }] })).not.toHaveProperty('holds');
  });
});
