import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyClaim, IdempotencyRepository } from '#shared/ports.ts';
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
    if (Item['state'] === 'completed') return { state: 'completed', response: Item['response'] as { status: number; body: unknown } };
    return { state: 'in_progress' };
  }

  async complete(scope: string, key: string, response: { status: number; body: unknown }): Promise<void> {
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.idempotency(scope, key),
        UpdateExpression: 'SET #state = :completed, #response = :response REMOVE claimedUntil',
        ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
        ExpressionAttributeValues: { ':completed': 'completed', ':response': response },
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
