import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { newId } from '#shared/domain/ids.ts';
import { keys } from '#shared/store/keys.ts';
import { table } from '#shared/store/table.ts';
import type { PaymentProvider } from '#shared/ports.ts';

/** A provider refused the call for a reason a retry will not change (amount too large, unknown authorization). */
export class PaymentRequestError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'PaymentRequestError';
    this.code = code;
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

/**
 * The sandbox payment provider. It behaves like a remote provider: its own
 * records (here in the OMS table, under its own keys), idempotency keys
 * that replay the first answer, declines by test method, partial captures
 * up to the authorized amount, voids and refunds. Works the same locally
 * and on AWS, so a demo deployment can take orders end to end.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async authorize(request: { amount: number; currency: string; paymentMethod: string; reference: string; idempotencyKey: string }) {
    return this.#once(request.idempotencyKey, async () => {
      const behaviour = SANDBOX_METHODS[request.paymentMethod as keyof typeof SANDBOX_METHODS];
      if (!behaviour) return { status: 'declined' as const, declineCode: 'invalid_payment_method', message: `Unknown sandbox payment method ${request.paymentMethod}` };
      if (behaviour !== 'approve') return { status: 'declined' as const, declineCode: behaviour, message: `The card was declined (${behaviour.replaceAll('_', ' ')})` };
      if (request.amount <= 0) return { status: 'declined' as const, declineCode: 'invalid_amount', message: 'The amount must be positive' };
      const authorization: Authorization = {
        authorizationId: `sbx_auth_${newId()}`,
        amount: request.amount,
        currency: request.currency,
        captured: 0,
        refunded: 0,
        status: 'authorized',
        reference: request.reference,
      };
      await this.#db.send(new PutCommand({ TableName: this.#tableName, Item: { ...keys.sandboxAuthorization(authorization.authorizationId), [table.entityAttribute]: 'SandboxAuthorization', ...authorization } }));
      return { status: 'authorized' as const, authorizationId: authorization.authorizationId, amount: authorization.amount };
    });
  }

  async capture(request: { authorizationId: string; amount: number; idempotencyKey: string }) {
    return this.#once(request.idempotencyKey, async () => {
      const authorization = await this.#authorization(request.authorizationId);
      if (authorization.status !== 'authorized') throw new PaymentRequestError('authorization_voided', `Authorization ${request.authorizationId} was voided`);
      if (request.amount <= 0) throw new PaymentRequestError('invalid_amount', 'A capture must be positive');
      try {
        await this.#db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Update: {
                  TableName: this.#tableName,
                  Key: keys.sandboxAuthorization(request.authorizationId),
                  UpdateExpression: 'SET captured = captured + :amount',
                  ConditionExpression: 'captured + :amount <= amount AND #status = :authorized',
                  ExpressionAttributeNames: { '#status': 'status' },
                  ExpressionAttributeValues: { ':amount': request.amount, ':authorized': 'authorized' },
                },
              },
            ],
          }),
        );
      } catch (error) {
        if (error instanceof TransactionCanceledException) {
          throw new PaymentRequestError('amount_too_large', `Capturing ${request.amount} would exceed the authorized ${authorization.amount} (captured so far ${authorization.captured})`);
        }
        throw error;
      }
      return { captureId: `sbx_cap_${newId()}`, amount: request.amount };
    });
  }

  async void(request: { authorizationId: string; idempotencyKey: string }) {
    await this.#once(request.idempotencyKey, async () => {
      await this.#authorization(request.authorizationId);
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...(await this.#raw(request.authorizationId)), status: 'voided' },
        }),
      );
      return { voided: true };
    });
  }

  async refund(request: { captureId: string; amount: number; idempotencyKey: string }) {
    return this.#once(request.idempotencyKey, async () => {
      if (request.amount <= 0) throw new PaymentRequestError('invalid_amount', 'A refund must be positive');
      return { refundId: `sbx_ref_${newId()}` };
    });
  }

  async #raw(authorizationId: string): Promise<Record<string, unknown>> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.sandboxAuthorization(authorizationId), ConsistentRead: true }));
    if (!Item) throw new PaymentRequestError('unknown_authorization', `No authorization ${authorizationId}`);
    return Item;
  }

  async #authorization(authorizationId: string): Promise<Authorization> {
    return (await this.#raw(authorizationId)) as unknown as Authorization;
  }

  /** Runs `call` once per idempotency key; later calls with the key get the first answer. */
  async #once<T>(idempotencyKey: string, call: () => Promise<T>): Promise<T> {
    const key = keys.sandboxIdempotency(idempotencyKey);
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
    if (Item) return Item['response'] as T;
    const response = await call();
    try {
      await this.#db.send(
        new PutCommand({ TableName: this.#tableName, Item: { ...key, [table.entityAttribute]: 'SandboxIdempotency', response }, ConditionExpression: `attribute_not_exists(${table.partitionKey})` }),
      );
      return response;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item: first } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
      return first?.['response'] as T;
    }
  }
}
