import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { PaymentProviderError } from '#shared/domain/errors.ts';
import type { PaymentProvider } from '#shared/ports.ts';
import type { RetryPolicy } from './http-client.ts';

/** The Stripe API version every request pins (`Stripe-Version`): answers keep this shape whatever the account's default is. */
export const STRIPE_API_VERSION = '2026-07-29.dahlia';
export const STRIPE_API_BASE_URL = 'https://api.stripe.com';

/** Defaults for Stripe: a few quick retries inside one call; the OMS's own retries (workflow, refund sweep) reuse the same idempotency keys. */
export const STRIPE_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

/**
 * Stripe answered with an error. `type` and `code` are Stripe's
 * (`card_error`/`card_declined`, `invalid_request_error`/`amount_too_large`,
 * `idempotency_error`); `retryable` when another call with the same
 * idempotency key may succeed (rate limited, Stripe unavailable, the key
 * in use by a concurrent call).
 */
export class StripeError extends PaymentProviderError {
  readonly status: number;
  readonly type: string;
  readonly declineCode: string | undefined;
  readonly param: string | undefined;
  constructor(options: { status: number; type: string; code: string; message: string; declineCode?: string | undefined; param?: string | undefined; retryable: boolean }) {
    super(options.code, options.message, { retryable: options.retryable });
    this.name = 'StripeError';
    this.status = options.status;
    this.type = options.type;
    this.declineCode = options.declineCode;
    this.param = options.param;
  }
}

/**
 * Stripe's form encoding: nested objects as `a[b]=`, arrays as `a[]=`,
 * booleans as `true`/`false`; keys in the order given (the idempotency
 * fingerprint of a retried call is then byte-identical).
 */
export function formEncode(params: Record<string, unknown>): string {
  const pairs: string[] = [];
  const add = (key: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) add(`${key}[]`, item);
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) add(`${key}[${encodeURIComponent(k)}]`, v);
    } else pairs.push(`${key}=${encodeURIComponent(String(value as string | number | boolean))}`);
  };
  for (const [key, value] of Object.entries(params)) add(encodeURIComponent(key), value);
  return pairs.join('&');
}

/**
 * The Idempotency-Key sent to Stripe for one OMS call: the OMS's own key
 * (`authorize:<orderId>`, `capture:<orderId>:<shipmentId>`, …), so every
 * retry of the step sends the same one; a key beyond Stripe's 255
 * characters is replaced by its SHA-256.
 */
export function stripeIdempotencyKey(omsKey: string): string {
  return /^[!-~]{1,255}$/.test(omsKey) ? omsKey : `sha256-${createHash('sha256').update(omsKey).digest('hex')}`;
}

const StripeErrorBody = z.object({
  error: z.looseObject({
    type: z.string().optional(),
    code: z.string().optional(),
    decline_code: z.string().optional(),
    message: z.string().optional(),
    param: z.string().optional(),
  }),
});

const Charge = z.looseObject({
  id: z.string(),
  payment_method_details: z
    .looseObject({ card: z.looseObject({ multicapture: z.looseObject({ status: z.string() }).nullish() }).nullish() })
    .nullish(),
});

const PaymentIntent = z.looseObject({
  id: z.string(),
  object: z.literal('payment_intent'),
  amount: z.number().int(),
  amount_capturable: z.number().int(),
  amount_received: z.number().int(),
  currency: z.string(),
  status: z.string(),
  latest_charge: z.union([z.string(), Charge]).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  last_payment_error: z.looseObject({ code: z.string().nullish(), decline_code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});
export type StripePaymentIntent = z.infer<typeof PaymentIntent>;

const Refund = z.looseObject({ id: z.string(), object: z.literal('refund'), amount: z.number().int(), status: z.string().nullish(), failure_reason: z.string().nullish() });

export interface StripeOptions {
  /** The secret key (`sk_live_…`, `sk_test_…`, or a restricted `rk_…`), read when needed so a rotation takes effect. */
  secretKey: () => Promise<string>;
  /** Default https://api.stripe.com; tests point it at a fake. */
  baseUrl?: string | undefined;
  retry?: RetryPolicy | undefined;
}

/**
 * The Stripe payment provider (PaymentIntents, manual capture). An OMS
 * authorization is a PaymentIntent confirmed with `capture_method=manual`
 * (its id is the `authorizationId`); each shipment captures its share, with
 * `final_capture=false` until the last one where the card supports
 * multicapture; a card that can be captured only once is captured for all
 * the order still owes at its first shipment (the port's `amount` answer
 * says so). Refunds name the PaymentIntent. Every POST carries an
 * Idempotency-Key derived from the OMS's key, so a retried step replays
 * Stripe's first answer instead of charging twice. See docs/payments.md.
 */
export class StripePaymentProvider implements PaymentProvider {
  readonly #secretKey: () => Promise<string>;
  readonly #baseUrl: string;
  readonly #retry: RetryPolicy;
  /** Multicapture availability per PaymentIntent: a property of its charge that never changes. */
  readonly #multicapture = new Map<string, boolean>();

  constructor(options: StripeOptions) {
    this.#secretKey = options.secretKey;
    this.#baseUrl = (options.baseUrl ?? STRIPE_API_BASE_URL).replace(/\/+$/, '');
    this.#retry = options.retry ?? STRIPE_RETRY;
  }

  async authorize(request: { amount: number; currency: string; paymentMethod: string; reference: string; idempotencyKey: string }) {
    type Answer = { status: 'authorized'; authorizationId: string; amount: number } | { status: 'declined'; declineCode: string; message: string };
    let intent: StripePaymentIntent;
    try {
      intent = PaymentIntent.parse(
        await this.#request('POST', '/v1/payment_intents', {
          params: {
            amount: request.amount,
            currency: request.currency.toLowerCase(),
            capture_method: 'manual',
            confirm: true,
            payment_method: request.paymentMethod,
            payment_method_types: ['card'],
            payment_method_options: { card: { request_multicapture: 'if_available' } },
            description: `OMS order ${request.reference}`,
            metadata: { oms_order_id: request.reference },
          },
          idempotencyKey: request.idempotencyKey,
        }),
      );
    } catch (error) {
      if (error instanceof StripeError && error.type === 'card_error') {
        return { status: 'declined', declineCode: error.declineCode ?? error.code, message: error.message } satisfies Answer;
      }
      if (error instanceof StripeError && !error.retryable && (error.param === 'payment_method' || error.code === 'payment_intent_payment_attempt_failed')) {
        // A payment method Stripe does not know (or cannot use): the order cannot be charged with it, like a decline.
        return { status: 'declined', declineCode: 'invalid_payment_method', message: error.message } satisfies Answer;
      }
      throw error;
    }
    if (intent.status === 'requires_capture') return { status: 'authorized', authorizationId: intent.id, amount: intent.amount_capturable } satisfies Answer;
    const why = intent.last_payment_error;
    return {
      status: 'declined',
      declineCode: why?.decline_code ?? why?.code ?? intent.status,
      message:
        why?.message ??
        (intent.status === 'requires_action'
          ? `PaymentIntent ${intent.id} needs the customer to authenticate (3-D Secure): confirm it with the customer before sending the order`
          : `PaymentIntent ${intent.id} is ${intent.status}, not authorized`),
    } satisfies Answer;
  }

  /**
   * Captures one shipment's share. With multicapture, `final` (default true)
   * decides `final_capture`; without it, a share that is not final captures
   * `upTo` (all the order still owes) at once, final — the answer's `amount`
   * is then more than asked. Parameters depend only on the request and the
   * charge, so a retry sends the very same request under the same key.
   */
  async capture(request: { authorizationId: string; amount: number; idempotencyKey: string; final?: boolean | undefined; upTo?: number | undefined }) {
    const final = request.final ?? true;
    const multicapture = await this.#supportsMulticapture(request.authorizationId);
    const amount = multicapture || final ? request.amount : Math.max(request.amount, request.upTo ?? request.amount);
    const params = multicapture ? { amount_to_capture: amount, final_capture: final } : { amount_to_capture: amount };
    const intent = PaymentIntent.parse(
      await this.#request('POST', `/v1/payment_intents/${encodeURIComponent(request.authorizationId)}/capture`, { params, idempotencyKey: request.idempotencyKey }),
    );
    // The running total received makes each capture's id unique within its PaymentIntent (Stripe has no capture object).
    return { captureId: `${intent.id}@${intent.amount_received}`, amount };
  }

  async void(request: { authorizationId: string; idempotencyKey: string }) {
    const path = `/v1/payment_intents/${encodeURIComponent(request.authorizationId)}`;
    try {
      await this.#request('POST', `${path}/cancel`, { params: { cancellation_reason: 'requested_by_customer' }, idempotencyKey: request.idempotencyKey });
    } catch (error) {
      // Cancelled already (by another key, or in the Dashboard): the authorization is void, which is what was asked.
      if (!(error instanceof StripeError) || error.code !== 'payment_intent_unexpected_state') throw error;
      const intent = await this.paymentIntent(request.authorizationId);
      if (intent.status !== 'canceled') throw error;
    }
  }

  /** Refunds part of one capture: Stripe refunds the PaymentIntent (named in the capture id), never more than it received. */
  async refund(request: { captureId: string; amount: number; idempotencyKey: string }) {
    const paymentIntent = request.captureId.split('@')[0] ?? request.captureId;
    const refund = Refund.parse(
      await this.#request('POST', '/v1/refunds', {
        params: { payment_intent: paymentIntent, amount: request.amount, metadata: { oms_capture_id: request.captureId } },
        idempotencyKey: request.idempotencyKey,
      }),
    );
    if (refund.status === 'failed' || refund.status === 'canceled') {
      throw new StripeError({ status: 200, type: 'refund', code: `refund_${refund.status}`, message: `Stripe refund ${refund.id} ${refund.status}${refund.failure_reason ? ` (${refund.failure_reason})` : ''}`, retryable: false });
    }
    return { refundId: refund.id };
  }

  /** A PaymentIntent with its latest charge expanded (a GET: no idempotency key). */
  async paymentIntent(id: string): Promise<StripePaymentIntent> {
    return PaymentIntent.parse(await this.#request('GET', `/v1/payment_intents/${encodeURIComponent(id)}`, { query: 'expand[]=latest_charge' }));
  }

  async #supportsMulticapture(paymentIntentId: string): Promise<boolean> {
    const known = this.#multicapture.get(paymentIntentId);
    if (known !== undefined) return known;
    const intent = await this.paymentIntent(paymentIntentId);
    const charge = typeof intent.latest_charge === 'object' ? intent.latest_charge : undefined;
    const available = charge?.payment_method_details?.card?.multicapture?.status === 'available';
    this.#multicapture.set(paymentIntentId, available);
    return available;
  }

  /**
   * One call to Stripe: retried with back-off on network errors, 429, 5xx
   * and 409 `idempotency_key_in_use` (same key, so at most one takes
   * effect), unless Stripe says `Stripe-Should-Retry: false`; other errors
   * are thrown as StripeError at once.
   */
  async #request(method: 'GET' | 'POST', path: string, options: { params?: Record<string, unknown>; idempotencyKey?: string; query?: string }): Promise<unknown> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${await this.#secretKey()}`,
      'stripe-version': STRIPE_API_VERSION,
      accept: 'application/json',
    };
    let body: string | undefined;
    if (method === 'POST') {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['idempotency-key'] = stripeIdempotencyKey(options.idempotencyKey ?? '');
      body = formEncode(options.params ?? {});
    }
    const url = `${this.#baseUrl}${path}${options.query ? `?${options.query}` : ''}`;
    let last: StripeError | undefined;
    for (let attempt = 1; attempt <= this.#retry.attempts; attempt++) {
      let response: Response | undefined;
      let text = '';
      try {
        response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(30_000) });
        text = await response.text();
      } catch (error) {
        last = new StripeError({ status: 0, type: 'api_connection_error', code: 'network_error', message: `Stripe could not be reached: ${(error as Error).message}`, retryable: true });
      }
      if (response) {
        if (response.ok) return text ? JSON.parse(text) : {};
        last = stripeError(response.status, text, response.headers.get('stripe-should-retry'));
        if (!last.retryable) throw last;
      }
      if (attempt < this.#retry.attempts) {
        const backoff = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
        await sleep(backoff / 2 + Math.random() * (backoff / 2));
      }
    }
    throw new StripeError({
      status: last?.status ?? 0,
      type: last?.type ?? 'api_error',
      code: last?.code ?? 'stripe_unavailable',
      message: `Stripe ${method} ${path} still failing after ${this.#retry.attempts} attempts: ${last?.message ?? 'no answer'}`,
      retryable: true,
    });
  }
}

/** Stripe's error answer as a StripeError: retryable as `Stripe-Should-Retry` says, else for 429, 5xx and a key in use by a concurrent call. */
function stripeError(status: number, text: string, shouldRetry: string | null): StripeError {
  let parsed: z.infer<typeof StripeErrorBody>['error'] | undefined;
  try {
    parsed = StripeErrorBody.parse(JSON.parse(text)).error;
  } catch {
    parsed = undefined;
  }
  const type = parsed?.type ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const code = parsed?.code ?? (type === 'idempotency_error' ? 'idempotency_error' : status === 429 ? 'rate_limited' : `http_${status}`);
  const retryable = shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : status === 429 || status >= 500 || code === 'idempotency_key_in_use';
  return new StripeError({
    status,
    type,
    code,
    message: parsed?.message ?? `Stripe answered HTTP ${status}`,
    declineCode: parsed?.decline_code,
    param: parsed?.param,
    retryable,
  });
}
