import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { isTransientAwsError } from '#shared/adapters/aws-clients.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { Claim, ClaimLedger, StoreCredit } from '#shared/domain/exchange.ts';
import type { TimelineEntry } from '#shared/domain/order.ts';
import type { OutboxEvent } from '#events/define.ts';
import type { ClaimRepository, StoreCreditRepository } from '#shared/ports.ts';
import { entityOf, queryOrderItems, versionCondition } from './items.ts';
import { keys } from './keys.ts';
import { timelinePut } from './order-repository.ts';
import { outboxPut } from './outbox.ts';
import { table } from './table.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Claims (damaged or lost in transit) live in their order's partition
 * (`CLAIM#<claimId>`), written with the order's timeline entries and their
 * events in one transaction, conditional on the claim's version — and, when
 * a claim takes or gives back units, on the order's claims ledger
 * (`CLAIMS`) version.
 */
export class DynamoClaimRepository implements ClaimRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(orderId: string, claimId: string): Promise<Claim | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.claim(orderId, claimId), ConsistentRead: true }));
    return Item ? Claim.parse(entityOf(Item)) : undefined;
  }

  async forOrder(orderId: string): Promise<Claim[]> {
    const items = await queryOrderItems(this.#db, this.#tableName, keys.orderPartition(orderId), keys.claimPrefix);
    return items.map((item) => Claim.parse(entityOf(item))).sort((a, b) => (a.claimId < b.claimId ? -1 : a.claimId > b.claimId ? 1 : 0));
  }

  async ledger(orderId: string): Promise<ClaimLedger | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.claimLedger(orderId), ConsistentRead: true }));
    return Item ? ClaimLedger.parse(entityOf(Item)) : undefined;
  }

  async save(claim: Claim, expectedVersion: number | null, writes: { timeline: TimelineEntry[]; events: OutboxEvent[]; ledger?: { next: ClaimLedger; expectedVersion: number | null } | undefined }): Promise<void> {
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.#tableName,
          Item: { ...keys.claim(claim.orderId, claim.claimId), [table.entityAttribute]: 'Claim', ...claim },
          ...versionCondition(expectedVersion),
        },
      },
      ...(writes.ledger
        ? [
            {
              Put: {
                TableName: this.#tableName,
                Item: { ...keys.claimLedger(claim.orderId), [table.entityAttribute]: 'ClaimLedger', ...writes.ledger.next },
                ...versionCondition(writes.ledger.expectedVersion),
              },
            },
          ]
        : []),
      ...writes.timeline.map((entry) => timelinePut(this.#tableName, claim.orderId, entry)),
      ...writes.events.map((event) => outboxPut(this.#tableName, event)),
    ];
    try {
      await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      // A transaction DynamoDB cancelled for throttling is not a lost race: it goes up as it is (503 / retried by the platform).
      if (error instanceof TransactionCanceledException && !isTransientAwsError(error)) throw new ConcurrentModificationError(`Claim ${claim.claimId} changed while it was written`);
      throw error;
    }
  }
}

/** Store credit by code, and a customer's credits by e-mail (GSI1, hashed address). Written by the refund that issues it. */
export class DynamoStoreCreditRepository implements StoreCreditRepository {
  readonly #db: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(db: DynamoDBDocumentClient, tableName: string) {
    this.#db = db;
    this.#tableName = tableName;
  }

  async get(code: string): Promise<StoreCredit | undefined> {
    const { Item } = await this.#db.send(new GetCommand({ TableName: this.#tableName, Key: keys.storeCredit(code) }));
    return Item ? StoreCredit.parse(entityOf(Item)) : undefined;
  }

  async forEmail(email: string): Promise<StoreCredit[]> {
    const out: StoreCredit[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: 'GSI1',
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': table.indexes.GSI1.partitionKey },
          ExpressionAttributeValues: { ':pk': keys.storeCreditByEmailPartition(email) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const credit = StoreCredit.parse(entityOf(item));
        // The index key is a hash: keep only this address's credits.
        if (credit.email === email.toLowerCase()) out.push(credit);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
