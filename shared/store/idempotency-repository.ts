import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyClaim, IdempotencyRepository, StoredResponse } from '#shared/ports.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

/** Keys are honoured for a day, like the payment APIs merchants know. */
const RETENTION_SECONDS = 24 * 3600;
/** A claim whose request never finished (the function crashed) can be taken over after this. */
const IN_PROGRESS_SECONDS = 60;

/**
 * Idempotency-Key records: a conditional put claims the key with the request's
 * fingerprint; the response is stored when the request completes. The same key
 * with the same body replays the stored response; with another body it is a
 * conflict.
 *
 * The body is stored as the JSON text that was sent: a DynamoDB map does not
 * keep its keys' order, and a replay must be the same bytes as the first
 * answer (clients compare, hash or sign them).
 */
export class DynamoIdempotencyRepository implements IdempotencyRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async claim(scope: string, key: string, fingerprint: string): Promise<IdempotencyClaim> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...keys.idempotency(scope, key),
            [table.entityAttribute]: 'IdempotencyRecord',
            fingerprint,
            state: 'in_progress',
            claimedUntil: now + IN_PROGRESS_SECONDS,
            [table.ttlAttribute]: now + RETENTION_SECONDS,
          },
          // Free, or an abandoned claim of the same request.
          ConditionExpression: `attribute_not_exists(${table.partitionKey}) OR (#state = :inProgress AND claimedUntil < :now AND fingerprint = :fingerprint)`,
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':inProgress': 'in_progress', ':now': now, ':fingerprint': fingerprint },
        }),
      );
      return { state: 'claimed' };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.idempotency(scope, key), ConsistentRead: true }));
    if (!Item) return this.claim(scope, key, fingerprint); // released in between
    if (Item['fingerprint'] !== fingerprint) return { state: 'mismatch' };
    if (Item['state'] === 'completed') return { state: 'completed', response: storedResponse(Item) };
    return { state: 'in_progress' };
  }

  async complete(scope: string, key: string, response: StoredResponse): Promise<void> {
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.idempotency(scope, key),
        UpdateExpression: 'SET #state = :completed, responseStatus = :status, responseJson = :json REMOVE claimedUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':completed': 'completed', ':status': response.status, ':json': response.json },
      }),
    );
  }

  async release(scope: string, key: string): Promise<void> {
    await this.#db.send(
      new DeleteCommand({
        TableName: this.#tableName,
        Key: keys.idempotency(scope, key),
        ConditionExpression: '#state = :inProgress',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':inProgress': 'in_progress' },
      }),
    ).catch((error: unknown) => {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    });
  }
}

/**
 * The stored answer. Records completed before the body was kept as text (for
 * up to a day after the change) hold it as a map under `response`: it is
 * replayed as the same JSON value, in the key order DynamoDB returns.
 */
function storedResponse(item: Record<string, unknown>): StoredResponse {
  if (typeof item['responseJson'] === 'string') return { status: Number(item['responseStatus']), json: item['responseJson'] };
  const legacy = item['response'] as { status: number; body: unknown };
  return { status: legacy.status, json: JSON.stringify(legacy.body) };
}
