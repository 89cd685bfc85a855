import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '#shared/domain/errors.ts';
import { StoredApiKey } from '#shared/domain/identity.ts';
import type { ApiKeyRepository, Page, PageRequest } from '#shared/ports.ts';
import { entityOf, queryIndexPage } from './items.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

const ENTITY = 'ApiKey';

export class DynamoApiKeyRepository implements ApiKeyRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(keyId: string): Promise<StoredApiKey | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.apiKey(keyId), ConsistentRead: true }));
    return Item ? StoredApiKey.parse(entityOf(Item)) : undefined;
  }

  list(page: PageRequest): Promise<Page<StoredApiKey>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.apiKeyListPartition,
      parse: (entity) => StoredApiKey.parse(entity),
      itemKey: (keyId) => ({ ...keys.apiKey(keyId), ...keys.apiKeyList(keyId) }),
    });
  }

  async create(key: StoredApiKey): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keys.apiKey(key.keyId), ...keys.apiKeyList(key.keyId), [table.entityAttribute]: ENTITY, ...key },
          ConditionExpression: 'attribute_not_exists(PK)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConflictError(`API key ${key.keyId} exists`);
      throw error;
    }
  }

  async revoke(keyId: string, revocation: { at: string; by: string }): Promise<StoredApiKey | undefined> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.apiKey(keyId),
          UpdateExpression: 'SET revokedAt = :at, revokedBy = :by, version = version + :one',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(revokedAt)',
          ExpressionAttributeValues: { ':at': revocation.at, ':by': revocation.by, ':one': 1 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    return this.get(keyId);
  }
}
