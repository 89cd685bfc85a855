import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback fake of the Stripe API calls the OMS makes (PaymentIntents
 * create / retrieve / capture / cancel, Refunds create), answering with the
 * shapes of the recorded fixtures (test/fixtures/providers/stripe-*.json)
 * and checking what Stripe checks: the Bearer secret key, the pinned
 * Stripe-Version, form encoding, an Idempotency-Key on every POST (a reused
 * key replays the stored answer with `Idempotent-Replayed: true`, or is a
 * 400 `idempotency_error` when the parameters differ), captures within
 * `amount_capturable`, refunds within `amount_received`. A PaymentIntent's
 * card supports multicapture unless `multicapture` is false when it is
 * created. `failNext` injects 429/5xx answers before anything is stored (as
 * Stripe's rate limiter and an outage do).
 */
export interface FakeStripe {
  url: string;
  secretKey: string;
  apiVersion: string;
  /** Whether PaymentIntents created from now on can be captured more than once. */
  multicapture: boolean;
  requests: { method: string; path: string; query: string; headers: Record<string, string | undefined>; params: Record<string, string> }[];
  /** What was wrong with requests the fake refused for a reason Stripe would too (missing key, wrong version, bad form). */
  problems: string[];
  intents: Map<string, FakeIntent>;
  /** Answers the next `n` requests whose path matches with `status` (`Stripe-Should-Retry` as given). */
  failNext(pattern: RegExp, status: number, n?: number, shouldRetry?: 'true' | 'false'): void;
  close(): Promise<void>;
}

export interface FakeIntent {
  id: string;
  amount: number;
  currency: string;
  amountCapturable: number;
  amountReceived: number;
  refunded: number;
  captures: number;
  status: 'requires_capture' | 'succeeded' | 'canceled';
  multicapture: boolean;
  metadata: Record<string, string>;
  paymentMethod: string;
  description: string | undefined;
  canceledAt: number | null;
}

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8')) as Json;
const bodyOf = (name: string, part?: string): Json => {
  const file = fixture(name);
  const exchange = (part ? file[part] : file) as { response: { body: Json } };
  return exchange.response.body;
};

export const STRIPE_TEST_VERSION = '2026-07-29.dahlia';

/** Test payment methods, as Stripe's test mode names them. */
const DECLINES: Record<string, { decline_code: string; message: string }> = {
  pm_card_visa_chargeDeclinedInsufficientFunds: { decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.' },
  pm_card_chargeDeclined: { decline_code: 'generic_decline', message: 'Your card was declined.' },
};

export async function startFakeStripe(options: { secretKey?: string } = {}): Promise<FakeStripe> {
  const secretKey = options.secretKey ?? 'sk_test_FakeOMSKey000000000000000';
  const stored = new Map<string, { fingerprint: string; status: number; body: Json }>();
  const failures: { pattern: RegExp; status: number; remaining: number; shouldRetry: string | undefined }[] = [];
  const intents = new Map<string, FakeIntent>();
  const templates = {
    intent: bodyOf('stripe-payment-intent-create.json'),
    refund: bodyOf('stripe-refund-create.json'),
    decline: bodyOf('stripe-error-card-declined.json'),
    charge: (fixture('stripe-event-charge.refunded.json')['data'] as Json)['object'] as Json,
  };
  let sequence = 0;
  const nextId = (prefix: string) => `${prefix}_3FakeOMS${String(++sequence).padStart(12, '0')}`;

  const fake: FakeStripe = {
    url: '',
    secretKey,
    apiVersion: STRIPE_TEST_VERSION,
    multicapture: true,
    requests: [],
    problems: [],
    intents,
    failNext(pattern, status, n = 1, shouldRetry) {
      failures.push({ pattern, status, remaining: n, shouldRetry });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const error = (status: number, body: Json) => ({ status, body: { error: body } });
  const invalid = (message: string, code?: string, param?: string) => error(400, { type: 'invalid_request_error', message, ...(code ? { code } : {}), ...(param ? { param } : {}) });

  const chargeOf = (intent: FakeIntent): Json => ({
    ...templates.charge,
    id: intent.id.replace(/^pi_/, 'ch_'),
    amount: intent.amount,
    amount_captured: intent.amountReceived,
    amount_refunded: intent.refunded,
    captured: intent.amountReceived > 0,
    currency: intent.currency,
    metadata: intent.metadata,
    payment_intent: intent.id,
    refunded: intent.refunded > 0 && intent.refunded === intent.amountReceived,
    payment_method_details: {
      ...(templates.charge['payment_method_details'] as Json),
      card: { ...((templates.charge['payment_method_details'] as Json)['card'] as Json), amount_authorized: intent.amount, multicapture: { status: intent.multicapture ? 'available' : 'unavailable' } },
    },
  });
  const intentBody = (intent: FakeIntent, expandCharge = false): Json => ({
    ...templates.intent,
    id: intent.id,
    amount: intent.amount,
    amount_capturable: intent.amountCapturable,
    amount_received: intent.amountReceived,
    currency: intent.currency,
    status: intent.status,
    metadata: intent.metadata,
    description: intent.description ?? null,
    client_secret: `${intent.id}_secret_FakeOnly`,
    latest_charge: expandCharge ? chargeOf(intent) : intent.id.replace(/^pi_/, 'ch_'),
    canceled_at: intent.canceledAt,
    cancellation_reason: intent.status === 'canceled' ? 'requested_by_customer' : null,
    customer: null,
    receipt_email: null,
    shipping: null,
  });

  const createIntent = (params: Record<string, string>) => {
    const amount = Number(params['amount']);
    if (!Number.isInteger(amount) || amount < 1) return invalid('This value must be greater than or equal to 1.', 'parameter_invalid_integer', 'amount');
    if (!/^[a-z]{3}$/.test(params['currency'] ?? '')) return invalid('Invalid currency: use a lower-case ISO code.', 'parameter_invalid_string', 'currency');
    if (params['capture_method'] !== 'manual' || params['confirm'] !== 'true') return invalid('The OMS fake only takes manual-capture confirmations.', 'parameter_missing', 'capture_method');
    const method = params['payment_method'] ?? '';
    if (!method.startsWith('pm_')) return invalid(`No such PaymentMethod: '${method}'`, 'resource_missing', 'payment_method');
    const decline = DECLINES[method];
    if (decline) {
      const base = templates.decline['error'] as Json;
      const id = nextId('pi');
      const lastError = { ...(base['payment_intent'] as Json)['last_payment_error'] as Json, code: 'card_declined', ...decline };
      return error(402, {
        ...base,
        ...decline,
        code: 'card_declined',
        charge: id.replace(/^pi_/, 'ch_'),
        payment_intent: { ...(base['payment_intent'] as Json), id, amount, currency: params['currency'], metadata: metadataOf(params), last_payment_error: lastError, status: 'requires_payment_method' },
      });
    }
    const intent: FakeIntent = {
      id: nextId('pi'),
      amount,
      currency: params['currency'] ?? 'usd',
      amountCapturable: amount,
      amountReceived: 0,
      refunded: 0,
      captures: 0,
      status: 'requires_capture',
      // Stripe decides multicapture only when it is asked for (`if_available`).
      multicapture: fake.multicapture && params['payment_method_options[card][request_multicapture]'] === 'if_available',
      metadata: metadataOf(params),
      paymentMethod: method,
      description: params['description'],
      canceledAt: null,
    };
    intents.set(intent.id, intent);
    return { status: 200, body: intentBody(intent) };
  };

  const capture = (intent: FakeIntent, params: Record<string, string>) => {
    if (intent.status !== 'requires_capture') {
      return invalid(`This PaymentIntent could not be captured because it has a status of ${intent.status}.`, 'payment_intent_unexpected_state');
    }
    const amount = params['amount_to_capture'] === undefined ? intent.amountCapturable : Number(params['amount_to_capture']);
    if (!Number.isInteger(amount) || amount < 1) return invalid('Invalid amount_to_capture', 'parameter_invalid_integer', 'amount_to_capture');
    if (amount > intent.amountCapturable) return invalid(`The amount to capture (${amount}) is greater than the amount capturable (${intent.amountCapturable}).`, 'amount_too_large', 'amount_to_capture');
    const finalCapture = params['final_capture'] ?? 'true';
    if (!intent.multicapture && finalCapture === 'false') return invalid('Multicapture is not available for this charge.', 'parameter_invalid_string', 'final_capture');
    if (intent.captures >= 50) return invalid('A PaymentIntent can be captured at most 50 times.', 'parameter_invalid_integer');
    intent.captures++;
    intent.amountReceived += amount;
    intent.amountCapturable -= amount;
    // A final capture (the only one without multicapture) releases what is left.
    if (finalCapture !== 'false' || intent.amountCapturable === 0) {
      intent.amountCapturable = 0;
      intent.status = 'succeeded';
    }
    return { status: 200, body: intentBody(intent) };
  };

  const cancel = (intent: FakeIntent) => {
    if (intent.status !== 'requires_capture' || intent.amountReceived > 0) {
      return invalid(`You cannot cancel this PaymentIntent because it has a status of ${intent.status}.`, 'payment_intent_unexpected_state');
    }
    intent.status = 'canceled';
    intent.amountCapturable = 0;
    intent.canceledAt = Math.floor(Date.now() / 1000);
    return { status: 200, body: intentBody(intent) };
  };

  const refund = (params: Record<string, string>) => {
    const intent = intents.get(params['payment_intent'] ?? '');
    if (!intent) return invalid(`No such payment_intent: '${params['payment_intent'] ?? ''}'`, 'resource_missing', 'payment_intent');
    const amount = params['amount'] === undefined ? intent.amountReceived - intent.refunded : Number(params['amount']);
    if (!Number.isInteger(amount) || amount < 1) return invalid('Invalid amount', 'parameter_invalid_integer', 'amount');
    if (intent.refunded + amount > intent.amountReceived) {
      return invalid(`Refund amount (${amount}) is greater than unrefunded amount on charge (${intent.amountReceived - intent.refunded})`, 'amount_too_large', 'amount');
    }
    intent.refunded += amount;
    return {
      status: 200,
      body: { ...templates.refund, id: nextId('re'), amount, currency: intent.currency, charge: intent.id.replace(/^pi_/, 'ch_'), payment_intent: intent.id, customer: null, metadata: metadataOf(params), reason: null },
    };
  };

  const route = (method: string, path: string, query: URLSearchParams, params: Record<string, string>): { status: number; body: Json } => {
    if (method === 'POST' && path === '/v1/payment_intents') return createIntent(params);
    if (method === 'POST' && path === '/v1/refunds') return refund(params);
    const match = /^\/v1\/payment_intents\/([^/]+)(\/capture|\/cancel)?$/.exec(path);
    const intent = match ? intents.get(decodeURIComponent(match[1] ?? '')) : undefined;
    if (match && !intent) return error(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such payment_intent: '${match[1] ?? ''}'`, param: 'intent' });
    if (intent && method === 'GET' && !match?.[2]) return { status: 200, body: intentBody(intent, query.getAll('expand[]').includes('latest_charge')) };
    if (intent && method === 'POST' && match?.[2] === '/capture') return capture(intent, params);
    if (intent && method === 'POST' && match?.[2] === '/cancel') return cancel(intent);
    return error(404, { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}).` });
  };

  const server: Server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const method = request.method ?? 'GET';
      const headers = request.headers as Record<string, string | undefined>;
      const params = Object.fromEntries(new URLSearchParams(raw));
      fake.requests.push({ method, path: url.pathname, query: url.search, headers, params });
      const send = (status: number, body: Json, extra: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_Fake${String(fake.requests.length).padStart(10, '0')}`, 'stripe-version': STRIPE_TEST_VERSION, ...extra });
        response.end(JSON.stringify(body));
      };
      const refuse = (status: number, problem: string, type = 'invalid_request_error') => {
        fake.problems.push(problem);
        send(status, { error: { type, message: problem } });
      };
      if (headers['authorization'] !== `Bearer ${secretKey}`) return refuse(401, `Invalid API Key provided (${method} ${url.pathname})`);
      if (headers['stripe-version'] !== STRIPE_TEST_VERSION) return refuse(400, `Stripe-Version ${headers['stripe-version'] ?? '(none)'} is not the pinned ${STRIPE_TEST_VERSION}`);
      const failure = failures.find((f) => f.remaining > 0 && f.pattern.test(url.pathname));
      if (failure) {
        failure.remaining--;
        const message = failure.status === 429 ? 'Too many requests hit the API too quickly.' : 'An error occurred with our connection to Stripe.';
        return send(failure.status, { error: { type: failure.status === 429 ? 'invalid_request_error' : 'api_error', message, ...(failure.status === 429 ? { code: 'rate_limit' } : {}) } }, failure.shouldRetry ? { 'stripe-should-retry': failure.shouldRetry } : {});
      }
      if (method !== 'POST') return void send(...Object.values(route(method, url.pathname, url.searchParams, {})) as [number, Json]);
      if (!(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) return refuse(400, `POST ${url.pathname} is not form-encoded (${headers['content-type'] ?? 'no content-type'})`);
      if (raw.includes('{') || raw.includes('"')) return refuse(400, `POST ${url.pathname} body is not form encoding: ${raw.slice(0, 80)}`);
      const key = headers['idempotency-key'];
      if (!key) return refuse(400, `POST ${url.pathname} has no Idempotency-Key`);
      if (key.length > 255) return refuse(400, `Idempotency-Key longer than 255 characters on POST ${url.pathname}`);
      const fingerprint = `${method} ${url.pathname} ${raw}`;
      const previous = stored.get(key);
      if (previous) {
        if (previous.fingerprint !== fingerprint) {
          return send(400, {
            error: {
              type: 'idempotency_error',
              message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
            },
          });
        }
        return send(previous.status, previous.body, { 'idempotent-replayed': 'true' });
      }
      const result = route(method, url.pathname, url.searchParams, params);
      // Requests that fail validation are not stored (Stripe: safe to retry); anything that started executing is.
      if (result.status !== 400) stored.set(key, { fingerprint, ...result });
      send(result.status, result.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

function metadataOf(params: Record<string, string>): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    const match = /^metadata\[(.+)\]$/.exec(key);
    if (match?.[1]) metadata[match[1]] = value;
  }
  return metadata;
}

/** A `Stripe-Signature` header for `rawBody`, as Stripe signs webhook deliveries (t, v1 = hex HMAC-SHA256 of `${t}.${body}`). */
export function stripeSignature(rawBody: string, secret: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** A Stripe event fixture with its object changed by `patch` (ids, amounts, metadata). */
export function stripeEvent(name: string, patch: { id?: string; created?: number; object?: Json } = {}): Json {
  const event = fixture(`stripe-event-${name}.json`);
  const data = event['data'] as Json;
  return { ...event, ...(patch.id ? { id: patch.id } : {}), ...(patch.created ? { created: patch.created } : {}), data: { ...data, object: { ...(data['object'] as Json), ...patch.object } } };
}
