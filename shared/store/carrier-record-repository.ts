import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CarrierRecordRepository } from '#shared/ports.ts';
import { keys } from './keys.ts';
import { table } from './table.ts';

/** A label is voided or replaced within weeks; the key → shipment record outlives any retry of the step that bought it. */
const SHIPMENT_RETENTION_SECONDS = 90 * 24 * 3600;
/** EasyPost retries a webhook for about a day; its event ids are remembered for a week. */
const EVENT_RETENTION_SECONDS = 7 * 24 * 3600;

/** The carrier adapter's own records (see CarrierRecordRepository), one small item each, deleted by TTL. */
export class DynamoCarrierRecordRepository implements CarrierRecordRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async shipmentFor(idempotencyKey: string): Promise<string | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.carrierShipment(idempotencyKey), ConsistentRead: true }));
    return typeof Item?.['shipmentId'] === 'string' ? Item['shipmentId'] : undefined;
  }

  async claimShipment(idempotencyKey: string, shipmentId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keys.carrierShipment(idempotencyKey), [table.entityAttribute]: 'CarrierShipment', shipmentId, [table.ttlAttribute]: now + SHIPMENT_RETENTION_SECONDS },
          ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
        }),
      );
      return shipmentId;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      return (await this.shipmentFor(idempotencyKey)) ?? shipmentId;
    }
  }

  async firstDelivery(provider: string, eventId: string): Promise<boolean> {
    const now = Math.floor(Date.now() / 1000);
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keys.carrierEvent(provider, eventId), [table.entityAttribute]: 'CarrierEvent', eventId, [table.ttlAttribute]: now + EVENT_RETENTION_SECONDS },
          ConditionExpression: `attribute_not_exists(${table.partitionKey})`,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async forgetDelivery(provider: string, eventId: string): Promise<void> {
    await this.#db.send(new DeleteCommand({ TableName: this.#tableName, Key: keys.carrierEvent(provider, eventId) }));
  }
}
