import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

/** Stripe's default tolerance between a delivery's signed timestamp and now. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * Checks a `Stripe-Signature` header (`t=<unix seconds>,v1=<hex>[,v1=…]`):
 * some `v1` must equal the hex HMAC-SHA256 of `${t}.${rawBody}` under the
 * endpoint secret (several during a secret roll; other schemes such as `v0`
 * are ignored), compared in constant time, and `t` must be within the
 * tolerance of `now` either way. The problem, or undefined when it is valid.
 */
export function stripeSignatureProblem(rawBody: Buffer, header: string | undefined, secret: string, now: Date, toleranceSeconds = STRIPE_SIGNATURE_TOLERANCE_SECONDS): string | undefined {
  if (!header) return 'Missing Stripe-Signature header';
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.trim().split('=', 2) as [string, string | undefined];
    if (key === 't') timestamp = value;
    else if (key === 'v1' && value && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, 'hex'));
  }
  if (!timestamp || !/^\d{1,12}$/.test(timestamp)) return 'Stripe-Signature has no timestamp (t=)';
  if (signatures.length === 0) return 'Stripe-Signature has no v1 signature';
  const expected = createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
  // Every candidate is compared (no early exit), each in constant time.
  let matches = false;
  for (const signature of signatures) matches = timingSafeEqual(signature, expected) || matches;
  if (!matches) return 'Stripe-Signature does not match the body under the endpoint secret';
  const age = Math.floor(now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > toleranceSeconds) return `Stripe-Signature timestamp is ${Math.abs(age)} s ${age >= 0 ? 'old' : 'ahead'}; at most ${toleranceSeconds} s is accepted`;
  return undefined;
}

const Metadata = z.record(z.string(), z.string()).nullish();

/** The fields of a Stripe event the OMS reads (API version 2026-07-29.dahlia); everything else is kept but ignored. */
export const StripeEvent = z.looseObject({
  id: z.string().min(1).max(255),
  object: z.literal('event'),
  type: z.string().min(1).max(200),
  created: z.number().int(),
  data: z.looseObject({ object: z.looseObject({ id: z.string().min(1).max(255), object: z.string() }) }),
});
export type StripeEvent = z.infer<typeof StripeEvent>;

export const StripePaymentIntentObject = z.looseObject({
  id: z.string(),
  object: z.literal('payment_intent'),
  amount: z.number().int(),
  amount_capturable: z.number().int(),
  amount_received: z.number().int(),
  currency: z.string(),
  status: z.string(),
  metadata: Metadata,
  last_payment_error: z.looseObject({ code: z.string().nullish(), decline_code: z.string().nullish(), message: z.string().nullish() }).nullish(),
});

export const StripeChargeObject = z.looseObject({
  id: z.string(),
  object: z.literal('charge'),
  amount_captured: z.number().int(),
  amount_refunded: z.number().int(),
  currency: z.string(),
  payment_intent: z.string().nullish(),
  metadata: Metadata,
});

export const StripeDisputeObject = z.looseObject({
  id: z.string(),
  object: z.literal('dispute'),
  amount: z.number().int(),
  currency: z.string(),
  charge: z.string().nullish(),
  payment_intent: z.string().nullish(),
  reason: z.string(),
  status: z.string(),
  evidence_details: z.looseObject({ due_by: z.number().int().nullish() }).nullish(),
  metadata: Metadata,
});

/** The event types the OMS applies; Stripe may send others to the endpoint, which are acknowledged and ignored. */
export const STRIPE_EVENT_TYPES = [
  'payment_intent.amount_capturable_updated',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
] as const;
