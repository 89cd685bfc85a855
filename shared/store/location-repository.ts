import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Location, type LocationReadiness } from '#shared/domain/location.ts';
import type { LocationRepository, Page, PageRequest, SaveOptions } from '#shared/ports.ts';
import { conditionFailedAt, entityOf, queryIndexPage, versionCondition } from './items.ts';
import { keys } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

const ENTITY = 'Location';

export class DynamoLocationRepository implements LocationRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(locationId: string): Promise<Location | undefined> {
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#tableName, Key: keys.location(locationId), ConsistentRead: true }),
    );
    return Item ? Location.parse(entityOf(Item)) : undefined;
  }

  list(page: PageRequest): Promise<Page<Location>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.locationListPartition,
      parse: (entity) => Location.parse(entity),
      itemKey: (locationId) => ({ ...keys.location(locationId), ...keys.locationList(locationId) }),
    });
  }


  async save(location: Location, { expectedVersion, events }: SaveOptions): Promise<void> {
    const condition = versionCondition(expectedVersion);
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: {
                  ...keys.location(location.locationId),
                  ...keys.locationList(location.locationId),
                  [table.entityAttribute]: ENTITY,
                  ...location,
                },
                ...condition,
              },
            },
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) {
        throw new ConcurrentModificationError(`Location ${location.locationId} was changed by another request`);
      }
      throw error;
    }
  }

  async recordReadiness(locationId: string, readiness: LocationReadiness): Promise<boolean> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keys.location(locationId),
          UpdateExpression: 'SET readiness = :readiness',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':readiness': readiness, ':version': readiness.checkedVersion },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
