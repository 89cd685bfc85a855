import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { newId } from '#shared/domain/ids.ts';
import { formatMoney } from '#shared/domain/money.ts';
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
      if (request.amount <= 0) throw new PaymentRequestError('invalid_amount', 'A capture must be positive');
      for (let attempt = 1; attempt <= 25; attempt++) {
        const authorization = await this.#authorization(request.authorizationId);
        if (authorization.status !== 'authorized') throw new PaymentRequestError('authorization_voided', `Authorization ${request.authorizationId} was voided`);
        if (authorization.captured + request.amount > authorization.amount) {
          const money = (amount: number) => formatMoney(amount, authorization.currency);
          throw new PaymentRequestError('amount_too_large', `Capturing ${money(request.amount)} would exceed the authorized ${money(authorization.amount)} (captured so far ${money(authorization.captured)})`);
        }
        try {
          await this.#db.send(
            new UpdateCommand({
              TableName: this.#tableName,
              Key: keys.sandboxAuthorization(request.authorizationId),
              UpdateExpression: 'SET captured = :captured',
              ConditionExpression: 'captured = :before AND #status = :authorized',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':captured': authorization.captured + request.amount, ':before': authorization.captured, ':authorized': 'authorized' },
            }),
          );
          const captureId = `sbx_cap_${newId()}`;
          await this.#db.send(
            new PutCommand({
              TableName: this.#tableName,
              Item: { ...keys.sandboxAuthorization(captureId), [table.entityAttribute]: 'SandboxCapture', captureId, authorizationId: request.authorizationId, amount: request.amount, refunded: 0 },
            }),
          );
          return { captureId, amount: request.amount };
        } catch (error) {
          // Another capture of the same authorization landed first: read again (a real provider serializes them).
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
        }
      }
      throw new PaymentRequestError('conflict', `Authorization ${request.authorizationId} kept changing`);
    });
  }

  async void(request: { authorizationId: string; idempotencyKey: string }) {
    await this.#once(request.idempotencyKey, async () => {
      try {
        await this.#db.send(
          new UpdateCommand({
            TableName: this.#tableName,
            Key: keys.sandboxAuthorization(request.authorizationId),
            UpdateExpression: 'SET #status = :voided',
            ConditionExpression: '#status = :authorized AND captured = :zero',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':voided': 'voided', ':authorized': 'authorized', ':zero': 0 },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        const authorization = await this.#authorization(request.authorizationId);
        if (authorization.status !== 'voided') throw new PaymentRequestError('already_captured', `Authorization ${request.authorizationId} has captures; refund them instead`);
      }
      return { voided: true };
    });
  }

  /** Refunds part or all of one capture (refunds of a capture never exceed it). */
  async refund(request: { captureId: string; amount: number; idempotencyKey: string }) {
    return this.#once(request.idempotencyKey, async () => {
      if (request.amount <= 0) throw new PaymentRequestError('invalid_amount', 'A refund must be positive');
      for (let attempt = 1; attempt <= 5; attempt++) {
        const capture = (await this.#raw(request.captureId)) as { amount: number; refunded: number; authorizationId: string };
        if (capture.refunded + request.amount > capture.amount) {
          const { currency } = await this.#authorization(capture.authorizationId);
          const money = (amount: number) => formatMoney(amount, currency);
          throw new PaymentRequestError('amount_too_large', `Refunding ${money(request.amount)} would exceed the captured ${money(capture.amount)} (refunded so far ${money(capture.refunded)})`);
        }
        try {
          await this.#db.send(
            new UpdateCommand({
              TableName: this.#tableName,
              Key: keys.sandboxAuthorization(request.captureId),
              UpdateExpression: 'SET refunded = :refunded',
              ConditionExpression: 'refunded = :before',
              ExpressionAttributeValues: { ':refunded': capture.refunded + request.amount, ':before': capture.refunded },
            }),
          );
          return { refundId: `sbx_ref_${newId()}` };
        } catch (error) {
          if (!(error instanceof ConditionalCheckFailedException)) throw error;
        }
      }
      throw new PaymentRequestError('conflict', `Capture ${request.captureId} kept changing`);
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
