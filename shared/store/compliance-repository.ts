import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ComplianceRequest } from '#shared/domain/compliance.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import type { ComplianceRepository, Page, PageRequest } from '#shared/ports.ts';
import { afterPrefix, decodeCursor, encodeCursor } from './cursor.ts';
import { entityOf } from './items.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

export const COMPLIANCE_ENTITY = 'ComplianceRequest';

/**
 * Compliance requests (Shopify's privacy webhooks), one item per request in
 * the channel's partition `COMPLIANCE#<channelId>`, keyed by a digest of the
 * topic and body. The public webhook function writes the first version
 * (conditional: a redelivery or replay is stored once); its stream records
 * (new, and each page of a shop redaction) feed the compliance queue
 * (infra/topology/pipes.ts). Kept as the record of what was asked and done:
 * ids only, no TTL.
 */
export class DynamoComplianceRepository implements ComplianceRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  #item(request: ComplianceRequest) {
    return { ...keys.complianceRequest(request.channelId, request.requestId), [table.entityAttribute]: COMPLIANCE_ENTITY, ...request };
  }

  async put(request: ComplianceRequest): Promise<'stored' | 'duplicate'> {
    try {
      await this.#db.send(
        new PutCommand({ TableName: this.#tableName, Item: this.#item(request), ConditionExpression: `attribute_not_exists(${table.partitionKey})` }),
      );
      return 'stored';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'duplicate';
      throw error;
    }
  }

  async get(key: { PK: string; SK: string }): Promise<ComplianceRequest | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }));
    if (!Item || Item[table.entityAttribute] !== COMPLIANCE_ENTITY) return undefined;
    return ComplianceRequest.parse(entityOf(Item));
  }

  async save(request: ComplianceRequest, previousVersion: number): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: this.#item(request),
          ConditionExpression: 'version = :previous',
          ExpressionAttributeValues: { ':previous': previousVersion },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new ConcurrentModificationError(`Compliance request ${request.requestId} was changed concurrently`);
      throw error;
    }
  }

  async list(channelId: string, page: PageRequest): Promise<Page<ComplianceRequest>> {
    const partition = keys.compliancePartition(channelId);
    const result = await this.#db.send(
      new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
        ExpressionAttributeValues: { ':pk': partition, ':prefix': keys.complianceRequestPrefix },
        Limit: page.limit,
        ConsistentRead: true,
        ExclusiveStartKey: decodeCursor(page.cursor, {
          attributes: [table.partitionKey, table.sortKey],
          itemKey: ({ SK: sortKey = '' }) => {
            const requestId = afterPrefix(sortKey, keys.complianceRequestPrefix);
            return requestId && /^cr_[0-9a-f]{32}$/.test(requestId) ? { ...keys.complianceRequest(channelId, requestId) } : undefined;
          },
        }),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map((item) => ComplianceRequest.parse(entityOf(item))), ...(nextCursor ? { nextCursor } : {}) };
  }
}
