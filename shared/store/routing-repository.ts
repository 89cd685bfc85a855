import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { RuleSet } from '#shared/domain/routing.ts';
import type { Page, PageRequest, RoutingRuleRepository, SaveOptions } from '#shared/ports.ts';
import { conditionFailedAt, entityOf, queryIndexPage, versionCondition } from './items.ts';
import { keys } from './keys.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

export class DynamoRoutingRuleRepository implements RoutingRuleRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(ruleSetId: string): Promise<RuleSet | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.routingRuleSet(ruleSetId), ConsistentRead: true }));
    return Item ? RuleSet.parse(entityOf(Item)) : undefined;
  }

  list(page: PageRequest): Promise<Page<RuleSet>> {
    return queryIndexPage(this.#db, {
      ...page,
      tableName: this.#tableName,
      index: 'GSI1',
      partition: keys.routingRuleSetListPartition,
      parse: (e) => RuleSet.parse(e),
      itemKey: (ruleSetId) => ({ ...keys.routingRuleSet(ruleSetId), ...keys.routingRuleSetList(ruleSetId) }),
    });
  }

  async save(ruleSet: RuleSet, { expectedVersion, events }: SaveOptions): Promise<void> {
    try {
      await this.#db.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.routingRuleSet(ruleSet.ruleSetId), ...keys.routingRuleSetList(ruleSet.ruleSetId), [table.entityAttribute]: 'RoutingRuleSet', ...ruleSet },
                ...versionCondition(expectedVersion),
              },
            },
            ...events.map((event) => outboxPut(this.#tableName, event)),
          ],
        }),
      );
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new ConcurrentModificationError(`Rule set ${ruleSet.ruleSetId} was changed by another request`);
      throw error;
    }
  }
}
