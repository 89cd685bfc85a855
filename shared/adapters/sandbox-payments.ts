import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PaymentProviderError } from '#shared/domain/errors.ts';
import { newId } from '#shared/domain/ids.ts';
import { formatMoney } from '#shared/domain/money.ts';
import { conditionFailedAt } from '#shared/store/items.ts';
import { keys, type ItemKey } from '#shared/store/keys.ts';
import { table } from '#shared/store/table.ts';
import type { PaymentProvider } from '#shared/ports.ts';

/**
 * A provider refused the call (amount too large, unknown authorization: a
 * retry gets the same refusal), or could not do it now (`retryable`: another
 * call with the same idempotency key is in progress, or the record kept
 * changing).
 */
export class PaymentRequestError extends PaymentProviderError {
  constructor(code: string, message: string, retryable = false) {
    super(code, message, { retryable });
  }
}

/**
 * Test payment methods, in the style of card networks' sandboxes: the
 * payment method token decides the outcome.
 */
export const SANDBOX_METHODS = {
  pm_card_visa: 'approve',
  pm_card_mastercard: 'approve',
  pm_card_declined: 'card_declined',
  pm_card_insufficient_funds: 'insufficient_funds',
  pm_card_expired: 'expired_card',
} as const;

interface Authorization {
  authorizationId: string;
  amount: number;
  currency: string;
  captured: number;
  refunded: number;
  status: 'authorized' | 'voided';
  reference: string;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What one call does: the writes of its effect, applied in one transaction with the key's answer, and the answer. */
interface Effect<T> {
  writes: TransactItem[];
  response: T;
}

/**
 * The sandbox payment provider. It behaves like a remote provider: its own
 * records (here in the OMS table, under its own keys), idempotency keys
 * that replay the first answer, declines by test method, partial captures
 * up to the authorized amount, voids and refunds. Works the same locally
 * and on AWS, so a demo deployment can take orders end to end.
 *
 * Idempotency is atomic, as at a real provider (Stripe claims the key when a
 * request starts; a concurrent request with the key gets 409
 * `idempotency_key_in_use`): a call first claims its key with a conditional
 * put (`in_progress`, with a lease), then applies its effect and stores its
 * answer in ONE transaction conditional on still holding the claim. A
 * concurrent call with the key waits for the first one's answer (or, after
 * `waitMs`, fails with a retryable `idempotency_key_in_use`); a refusal is
 * stored as the key's answer like a provider stores a 4xx; a call that failed
 * before its effect gives the key back. Of any number of calls with one key,
 * one has an effect.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #leaseMs: number;
  readonly #waitMs: number;

  constructor(db: DynamoDBDocumentClient, tableName: string, options: { leaseMs?: number; waitMs?: number } = {}) {
    this.#db = db;
    this.#tableName = tableName;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 5_000;
  }

  async authorize(request: { amount: number; currency: string; paymentMethod: string; reference: string; idempotencyKey: string }) {
    type Answer = { status: 'authorized'; authorizationId: string; amount: number } | { status: 'declined'; declineCode: string; message: string };
    return this.#once<Answer>(request.idempotencyKey, async () => {
      const behaviour = SANDBOX_METHODS[request.paymentMethod as keyof typeof SANDBOX_METHODS];
      const declined = (declineCode: string, message: string): Effect<Answer> => ({ writes: [], response: { status: 'declined', declineCode, message } });
      if (!behaviour) return declined('invalid_payment_method', `Unknown sandbox payment method ${request.paymentMethod}`);
      if (behaviour !== 'approve') return declined(behaviour, `The card was declined (${behaviour.replaceAll('_', ' ')})`);
      if (request.amount <= 0) return declined('invalid_amount', 'The amount must be positive');
      const authorization: Authorization = {
        authorizationId: `sbx_auth_${newId()}`,
        amount: request.amount,
        currency: request.currency,
        captured: 0,
        refunded: 0,
        status: 'authorized',
        reference: request.reference,
      };
      return {
        writes: [
          {
            Put: {
              TableName: this.#tableName,
              Item: { ...keys.sandboxAuthorization(authorization.authorizationId), [table.entityAttribute]: 'SandboxAuthorization', ...authorization },
              ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
            },
          },
        ],
        response: { status: 'authorized' as const, authorizationId: authorization.authorizationId, amount: authorization.amount },
      };
    });
  }

  async capture(request: { authorizationId: string; amount: number; idempotencyKey: string }) {
    return this.#once(request.idempotencyKey, async () => {
      if (request.amount <= 0) throw new PaymentRequestError('invalid_amount', 'A capture must be positive');
      const authorization = await this.#authorization(request.authorizationId);
      if (authorization.status !== 'authorized') throw new PaymentRequestError('authorization_voided', `Authorization ${request.authorizationId} was voided`);
      if (authorization.captured + request.amount > authorization.amount) {
        const money = (amount: number) => formatMoney(amount, authorization.currency);
        throw new PaymentRequestError('amount_too_large', `Capturing ${money(request.amount)} would exceed the authorized ${money(authorization.amount)} (captured so far ${money(authorization.captured)})`);
      }
      const captureId = `sbx_cap_${newId()}`;
      return {
        writes: [
          {
            // Another capture of the same authorization landing first fails this condition: the call plans again (a real provider serializes them).
            Update: {
              TableName: this.#tableName,
              Key: keys.sandboxAuthorization(request.authorizationId),
              UpdateExpression: 'SET captured = :captured',
              ConditionExpression: 'captured = :before AND #status = :authorized',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':captured': authorization.captured + request.amount, ':before': authorization.captured, ':authorized': 'authorized' },
            },
          },
          {
            Put: {
              TableName: this.#tableName,
              Item: { ...keys.sandboxAuthorization(captureId), [table.entityAttribute]: 'SandboxCapture', captureId, authorizationId: request.authorizationId, amount: request.amount, refunded: 0 },
              ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
            },
          },
        ],
        response: { captureId, amount: request.amount },
      };
    });
  }

  async void(request: { authorizationId: string; idempotencyKey: string }) {
    await this.#once(request.idempotencyKey, async () => {
      const authorization = await this.#authorization(request.authorizationId);
      if (authorization.status === 'voided') return { writes: [], response: { voided: true } };
      if (authorization.captured > 0) throw new PaymentRequestError('already_captured', `Authorization ${request.authorizationId} has captures; refund them instead`);
      return {
        writes: [
          {
            Update: {
              TableName: this.#tableName,
              Key: keys.sandboxAuthorization(request.authorizationId),
              UpdateExpression: 'SET #status = :voided',
              ConditionExpression: '#status = :authorized AND captured = :zero',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':voided': 'voided', ':authorized': 'authorized', ':zero': 0 },
            },
          },
        ],
        response: { voided: true },
      };
    });
  }

  /** Refunds part or all of one capture (refunds of a capture never exceed it: `amount_too_large` otherwise, for good). */
  async refund(request: { captureId: string; amount: number; idempotencyKey: string }) {
    return this.#once(request.idempotencyKey, async () => {
      if (request.amount <= 0) throw new PaymentRequestError('invalid_amount', 'A refund must be positive');
      const capture = (await this.#raw(request.captureId)) as { amount: number; refunded: number; authorizationId: string };
      if (capture.refunded + request.amount > capture.amount) {
        const { currency } = await this.#authorization(capture.authorizationId);
        const money = (amount: number) => formatMoney(amount, currency);
        throw new PaymentRequestError('amount_too_large', `Refunding ${money(request.amount)} would exceed the captured ${money(capture.amount)} (refunded so far ${money(capture.refunded)})`);
      }
      return {
        writes: [
          {
            Update: {
              TableName: this.#tableName,
              Key: keys.sandboxAuthorization(request.captureId),
              UpdateExpression: 'SET refunded = :refunded',
              ConditionExpression: 'refunded = :before',
              ExpressionAttributeValues: { ':refunded': capture.refunded + request.amount, ':before': capture.refunded },
            },
          },
        ],
        response: { refundId: `sbx_ref_${newId()}` },
      };
    });
  }

  /** An authorization or a capture, by id. */
  async #raw(id: string): Promise<Record<string, unknown>> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.sandboxAuthorization(id), ConsistentRead: true }));
    if (!Item) throw new PaymentRequestError('unknown_reference', `No authorization or capture ${id}`);
    return Item;
  }

  async #authorization(authorizationId: string): Promise<Authorization> {
    return (await this.#raw(authorizationId)) as unknown as Authorization;
  }

  /**
   * Runs a call once per idempotency key: claims the key, plans the effect,
   * and writes the effect with the key's answer in one transaction
   * conditional on the claim. Later calls with the key get the first answer
   * (a stored refusal is thrown again); a concurrent one waits for it.
   */
  async #once<T>(idempotencyKey: string, plan: () => Promise<Effect<T>>): Promise<T> {
    const key = keys.sandboxIdempotency(idempotencyKey);
    const token = newId();
    const waitUntil = Date.now() + this.#waitMs;
    for (;;) {
      if (await this.#claim(key, token)) return this.#run(key, token, idempotencyKey, plan);
      const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
      if (Item && Item['state'] !== 'in_progress') return answerOf<T>(Item);
      // Still in progress (or given back, then claimed again next round): wait for its answer, within bounds.
      if (Date.now() >= waitUntil) {
        throw new PaymentRequestError('idempotency_key_in_use', `A call with idempotency key ${idempotencyKey} is still in progress; retry shortly`, true);
      }
      await pause(20 + Math.random() * 30);
    }
  }

  /** Puts the key's claim: only if the key is new, or its claim lapsed (a caller that crashed before its effect). */
  async #claim(key: ItemKey, token: string): Promise<boolean> {
    const now = Date.now();
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...key, [table.entityAttribute]: 'SandboxIdempotency', state: 'in_progress', token, leaseUntil: now + this.#leaseMs },
          ConditionExpression: `attribute_not_exists(${table.partitionKey}) OR (#state = :inProgress AND #leaseUntil < :now)`,
          ExpressionAttributeNames: { '#state': 'state', '#leaseUntil': 'leaseUntil' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #run<T>(key: ItemKey, token: string, idempotencyKey: string, plan: () => Promise<Effect<T>>): Promise<T> {
    for (let attempt = 1; attempt <= 25; attempt++) {
      let effect: Effect<T>;
      try {
        effect = await plan();
      } catch (error) {
        if (error instanceof PaymentRequestError && !error.retryable) {
          // A refusal is the key's answer, as a provider stores a 4xx: the same call again is refused the same way.
          await this.#settle(key, token, [], { error: { code: error.code, message: error.message } }).catch(() => undefined);
        } else await this.#release(key, token);
        throw error;
      }
      try {
        await this.#settle(key, token, effect.writes, { response: effect.response });
        return effect.response;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) {
          await this.#release(key, token);
          throw error;
        }
        if (conditionFailedAt(error, effect.writes.length)) {
          // The claim lapsed and another call took the key over: it has (or will have) the effect, not this one.
          throw new PaymentRequestError('idempotency_key_in_use', `The call with idempotency key ${idempotencyKey} took too long and was taken over; retry to get its answer`, true);
        }
        // Another call changed the authorization or capture first: plan again on what it left.
        await pause(Math.random() * 5 * attempt);
      }
    }
    await this.#release(key, token);
    throw new PaymentRequestError('conflict', `The records of idempotency key ${idempotencyKey} kept changing`, true);
  }

  /** The effect and the key's answer, in one transaction, only while this call holds the key. */
  async #settle(key: ItemKey, token: string, writes: TransactItem[], answer: { response: unknown } | { error: { code: string; message: string } }): Promise<void> {
    await this.#db.send(
      new TransactWriteCommand({
        TransactItems: [
          ...writes,
          {
            Put: {
              TableName: this.#tableName,
              Item: { ...key, [table.entityAttribute]: 'SandboxIdempotency', state: 'completed', ...answer },
              ConditionExpression: '#token = :token',
              ExpressionAttributeNames: { '#token': 'token' },
              ExpressionAttributeValues: { ':token': token },
            },
          },
        ],
      }),
    );
  }

  /** Gives the key back (nothing happened), if this call still holds it. */
  async #release(key: ItemKey, token: string): Promise<void> {
    await this.#db
      .send(new DeleteCommand({ TableName: this.#tableName, Key: key, ConditionExpression: '#token = :token', ExpressionAttributeNames: { '#token': 'token' }, ExpressionAttributeValues: { ':token': token } }))
      .catch((error: unknown) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}

/** The stored answer of a key: its response, or the refusal thrown again. (Records from before the claim hold `response` only.) */
function answerOf<T>(item: Record<string, unknown>): T {
  const refusal = item['error'] as { code: string; message: string } | undefined;
  if (refusal) throw new PaymentRequestError(refusal.code, refusal.message);
  return item['response'] as T;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
