import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { formEncode, STRIPE_API_VERSION, StripeError, StripePaymentProvider, stripeIdempotencyKey } from '#shared/adapters/stripe-payments.ts';
import { PaymentProviderError } from '#shared/domain/errors.ts';
import { startFakeStripe, type FakeStripe } from '../support/fake-stripe.ts';
import { must } from '../support/fixtures.ts';

/**
 * The Stripe adapter against a loopback fake that checks what Stripe checks
 * (key, version, form encoding, Idempotency-Key and its replay) and keeps
 * the PaymentIntents' figures: authorise → capture per shipment (multicapture
 * and the single-capture fallback) → refund, declines, idempotent retries,
 * back-off on 429/5xx and clear errors otherwise.
 */
let fake: FakeStripe;
let stripe: StripePaymentProvider;

beforeAll(async () => {
  fake = await startFakeStripe();
  stripe = new StripePaymentProvider({ secretKey: async () => fake.secretKey, baseUrl: fake.url, retry: { attempts: 4, baseDelayMs: 1, maxDelayMs: 5 } });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.multicapture = true;
  fake.requests.length = 0;
  fake.problems.length = 0;
});

const posts = () => fake.requests.filter((r) => r.method === 'POST');

describe('form encoding and keys', () => {
  it('encodes nested objects and arrays the way Stripe reads them, in order', () => {
    expect(formEncode({ amount: 15900, confirm: true, payment_method_types: ['card'], payment_method_options: { card: { request_multicapture: 'if_available' } }, description: 'OMS order A&B', metadata: { oms_order_id: 'OMS-1042' } })).toBe(
      'amount=15900&confirm=true&payment_method_types[]=card&payment_method_options[card][request_multicapture]=if_available&description=OMS%20order%20A%26B&metadata[oms_order_id]=OMS-1042',
    );
    expect(STRIPE_API_VERSION).toBe('2026-07-29.dahlia');
  });

  it("sends the OMS's own key, and a SHA-256 in place of one longer than Stripe's 255 characters", () => {
    expect(stripeIdempotencyKey('capture:01ORDER:01ORDER-F1')).toBe('capture:01ORDER:01ORDER-F1');
    const long = stripeIdempotencyKey(`refund:01ORDER:goodwill:${'k'.repeat(300)}`);
    expect(long).toMatch(/^sha256-[0-9a-f]{64}$/);
    expect(stripeIdempotencyKey(`refund:01ORDER:goodwill:${'k'.repeat(300)}`)).toBe(long);
  });
});

describe('the Stripe payment provider', () => {
  it('authorizes with a manual-capture PaymentIntent, captures two shipments with multicapture, refunds, all with idempotency keys', async () => {
    const auth = await stripe.authorize({ amount: 15900, currency: 'USD', paymentMethod: 'pm_card_visa', reference: '01ORDERMULTI', idempotencyKey: 'authorize:01ORDERMULTI' });
    expect(auth.status).toBe('authorized');
    const authorizationId = auth.status === 'authorized' ? auth.authorizationId : '';
    expect(auth).toEqual({ status: 'authorized', authorizationId: expect.stringMatching(/^pi_/) as string, amount: 15900 });
    const create = must(posts()[0]);
    expect(create.path).toBe('/v1/payment_intents');
    expect(create.headers['authorization']).toBe(`Bearer ${fake.secretKey}`);
    expect(create.headers['stripe-version']).toBe('2026-07-29.dahlia');
    expect(create.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(create.headers['idempotency-key']).toBe('authorize:01ORDERMULTI');
    expect(create.params).toMatchObject({
      amount: '15900',
      currency: 'usd',
      capture_method: 'manual',
      confirm: 'true',
      payment_method: 'pm_card_visa',
      'payment_method_options[card][request_multicapture]': 'if_available',
      'metadata[oms_order_id]': '01ORDERMULTI',
    });

    const first = await stripe.capture({ authorizationId, amount: 9000, idempotencyKey: 'capture:01ORDERMULTI:F1', final: false, upTo: 15900 });
    expect(first).toEqual({ captureId: `${authorizationId}@9000`, amount: 9000 });
    expect(must(fake.intents.get(authorizationId))).toMatchObject({ amountCapturable: 6900, amountReceived: 9000, status: 'requires_capture' });
    const second = await stripe.capture({ authorizationId, amount: 6900, idempotencyKey: 'capture:01ORDERMULTI:F2', final: true, upTo: 6900 });
    expect(second).toEqual({ captureId: `${authorizationId}@15900`, amount: 6900 });
    expect(must(fake.intents.get(authorizationId))).toMatchObject({ amountCapturable: 0, amountReceived: 15900, status: 'succeeded' });
    expect(posts().filter((r) => r.path.endsWith('/capture')).map((r) => r.params)).toEqual([
      { amount_to_capture: '9000', final_capture: 'false' },
      { amount_to_capture: '6900', final_capture: 'true' },
    ]);
    // The charge's multicapture support was read once, with a GET that carries no Idempotency-Key.
    const gets = fake.requests.filter((r) => r.method === 'GET');
    expect(gets).toHaveLength(1);
    expect(gets[0]?.query).toBe('?expand[]=latest_charge');
    expect(gets[0]?.headers['idempotency-key']).toBeUndefined();

    const refund = await stripe.refund({ captureId: first.captureId, amount: 2500, idempotencyKey: `refund:01ORDERMULTI:return:R1:${first.captureId}` });
    expect(refund.refundId).toMatch(/^re_/);
    expect(must(posts().at(-1)).params).toEqual({ payment_intent: authorizationId, amount: '2500', [`metadata[oms_capture_id]`]: first.captureId });
    expect(must(fake.intents.get(authorizationId)).refunded).toBe(2500);
    // Every POST had a key; nothing the fake refused.
    expect(posts().every((r) => Boolean(r.headers['idempotency-key']))).toBe(true);
    expect(fake.problems).toEqual([]);
  });

  it('without multicapture, the first share of a split order captures all the order still owes, once, and says so', async () => {
    fake.multicapture = false;
    const auth = await stripe.authorize({ amount: 15900, currency: 'usd', paymentMethod: 'pm_card_visa', reference: '01ORDERSINGLE', idempotencyKey: 'authorize:01ORDERSINGLE' });
    const authorizationId = auth.status === 'authorized' ? auth.authorizationId : '';
    const first = await stripe.capture({ authorizationId, amount: 9000, idempotencyKey: 'capture:01ORDERSINGLE:F1', final: false, upTo: 15900 });
    expect(first).toEqual({ captureId: `${authorizationId}@15900`, amount: 15900 });
    expect(must(posts().at(-1)).params).toEqual({ amount_to_capture: '15900' });
    expect(must(fake.intents.get(authorizationId))).toMatchObject({ amountReceived: 15900, amountCapturable: 0, status: 'succeeded' });
    // A retry of the step sends the same request under the same key, and gets Stripe's first answer.
    expect(await stripe.capture({ authorizationId, amount: 9000, idempotencyKey: 'capture:01ORDERSINGLE:F1', final: false, upTo: 15900 })).toEqual(first);
    expect(must(fake.intents.get(authorizationId)).amountReceived).toBe(15900);
    // A single shipment (final) captures just its amount.
    const whole = await stripe.authorize({ amount: 4000, currency: 'usd', paymentMethod: 'pm_card_visa', reference: '01ORDERONE', idempotencyKey: 'authorize:01ORDERONE' });
    const wholeId = whole.status === 'authorized' ? whole.authorizationId : '';
    expect(await stripe.capture({ authorizationId: wholeId, amount: 3500, idempotencyKey: 'capture:01ORDERONE:F1', final: true, upTo: 3500 })).toEqual({ captureId: `${wholeId}@3500`, amount: 3500 });
    expect(fake.problems).toEqual([]);
  });

  it('declines: a card_error (402) is a decline with its decline code; an unknown payment method too', async () => {
    expect(await stripe.authorize({ amount: 4900, currency: 'usd', paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds', reference: '01ORDERDECL', idempotencyKey: 'authorize:01ORDERDECL' })).toEqual({
      status: 'declined',
      declineCode: 'insufficient_funds',
      message: 'Your card has insufficient funds.',
    });
    // Stripe stored the 402 under the key: a retried step gets the same decline, and no second PaymentIntent exists.
    const before = fake.intents.size;
    expect(await stripe.authorize({ amount: 4900, currency: 'usd', paymentMethod: 'pm_card_visa_chargeDeclinedInsufficientFunds', reference: '01ORDERDECL', idempotencyKey: 'authorize:01ORDERDECL' })).toMatchObject({ status: 'declined', declineCode: 'insufficient_funds' });
    expect(fake.intents.size).toBe(before);
    expect(await stripe.authorize({ amount: 4900, currency: 'usd', paymentMethod: 'tok_nonsense', reference: '01ORDERBADPM', idempotencyKey: 'authorize:01ORDERBADPM' })).toEqual({
      status: 'declined',
      declineCode: 'invalid_payment_method',
      message: "No such PaymentMethod: 'tok_nonsense'",
    });
  });

  it('an idempotent retry replays the first answer; the same key with other parameters is a clear, final idempotency_error', async () => {
    const request = { amount: 2000, currency: 'usd', paymentMethod: 'pm_card_visa', reference: '01ORDERIDEM', idempotencyKey: 'authorize:01ORDERIDEM' };
    const first = await stripe.authorize(request);
    const again = await stripe.authorize(request);
    expect(again).toEqual(first);
    expect(fake.intents.size).toBeGreaterThan(0);
    expect([...fake.intents.values()].filter((i) => i.metadata['oms_order_id'] === '01ORDERIDEM')).toHaveLength(1);
    const error = await stripe.authorize({ ...request, amount: 2500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StripeError);
    expect(error).toBeInstanceOf(PaymentProviderError);
    expect(error).toMatchObject({ code: 'idempotency_error', retryable: false, status: 400 });
    expect((error as Error).message).toContain("can only be used with the same parameters they were first used with");
  });

  it('retries 429 and 5xx with back-off under the same key; stops at once when Stripe-Should-Retry is false; gives up retryable', async () => {
    fake.failNext(/^\/v1\/payment_intents$/, 429, 2);
    const auth = await stripe.authorize({ amount: 1000, currency: 'usd', paymentMethod: 'pm_card_visa', reference: '01ORDER429', idempotencyKey: 'authorize:01ORDER429' });
    expect(auth.status).toBe('authorized');
    const attempts = posts().filter((r) => r.path === '/v1/payment_intents');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.headers['idempotency-key']))).toEqual(new Set(['authorize:01ORDER429']));
    const authorizationId = auth.status === 'authorized' ? auth.authorizationId : '';

    fake.failNext(/\/capture$/, 500, 1, 'false');
    const refused = await stripe.capture({ authorizationId, amount: 1000, idempotencyKey: 'capture:01ORDER429:F1' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ retryable: false, status: 500 });
    expect(posts().filter((r) => r.path.endsWith('/capture'))).toHaveLength(1);

    fake.failNext(/\/capture$/, 503, 4);
    const unavailable = await stripe.capture({ authorizationId, amount: 1000, idempotencyKey: 'capture:01ORDER429:F1' }).catch((e: unknown) => e);
    expect(unavailable).toMatchObject({ retryable: true, code: 'http_503' });
    expect((unavailable as Error).message).toContain('still failing after 4 attempts');
    // Later, the same key captures once.
    expect(await stripe.capture({ authorizationId, amount: 1000, idempotencyKey: 'capture:01ORDER429:F1' })).toEqual({ captureId: `${authorizationId}@1000`, amount: 1000 });
  });

  it('refuses a capture beyond what is capturable and a refund beyond what was received, for good; voids an authorization (twice is fine)', async () => {
    const auth = await stripe.authorize({ amount: 3000, currency: 'usd', paymentMethod: 'pm_card_visa', reference: '01ORDERLIM', idempotencyKey: 'authorize:01ORDERLIM' });
    const authorizationId = auth.status === 'authorized' ? auth.authorizationId : '';
    await expect(stripe.capture({ authorizationId, amount: 3001, idempotencyKey: 'capture:01ORDERLIM:F1' })).rejects.toMatchObject({ code: 'amount_too_large', retryable: false });
    const capture = await stripe.capture({ authorizationId, amount: 3000, idempotencyKey: 'capture:01ORDERLIM:F2' });
    await expect(stripe.refund({ captureId: capture.captureId, amount: 3001, idempotencyKey: 'refund:01ORDERLIM:x' })).rejects.toMatchObject({ code: 'amount_too_large', retryable: false });

    const other = await stripe.authorize({ amount: 8900, currency: 'usd', paymentMethod: 'pm_card_visa', reference: '01ORDERVOID', idempotencyKey: 'authorize:01ORDERVOID' });
    const otherId = other.status === 'authorized' ? other.authorizationId : '';
    await stripe.void({ authorizationId: otherId, idempotencyKey: 'void:01ORDERVOID' });
    expect(must(posts().at(-1)).params).toEqual({ cancellation_reason: 'requested_by_customer' });
    expect(must(fake.intents.get(otherId)).status).toBe('canceled');
    await stripe.void({ authorizationId: otherId, idempotencyKey: 'void:01ORDERVOID:again' });
    // Voiding one with captures is refused.
    await expect(stripe.void({ authorizationId, idempotencyKey: 'void:01ORDERLIM' })).rejects.toMatchObject({ code: 'payment_intent_unexpected_state' });
  });

  it('a wrong secret key is a clear 401, not retried', async () => {
    const wrong = new StripePaymentProvider({ secretKey: async () => 'sk_test_wrong', baseUrl: fake.url, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    await expect(wrong.authorize({ amount: 100, currency: 'usd', paymentMethod: 'pm_card_visa', reference: 'x', idempotencyKey: 'authorize:x' })).rejects.toMatchObject({ status: 401, retryable: false });
    expect(fake.requests).toHaveLength(1);
  });
});
