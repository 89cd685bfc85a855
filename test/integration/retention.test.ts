import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoOrderRepository } from '#shared/store/order-repository.ts';
import { keys } from '#shared/store/keys.ts';
import { table } from '#shared/store/table.ts';
import { reconcileSettingsFrom } from '#shared/use-cases/reconcile.ts';
import { inventoryWorld } from '../support/inventory.ts';
import { useTestTable } from '../support/table.ts';

/**
 * Retention: an order's raw channel payloads expire (DynamoDB TTL) a
 * configurable number of days after they arrived, while the order stays; and
 * the reconciler's waits come from configuration.
 */
let db: DynamoDBDocumentClient;
let tableName: string;

beforeAll(async () => {
  ({ db, tableName } = await useTestTable());
});

async function sourceItems(orderId: string) {
  const result = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
      ExpressionAttributeValues: { ':pk': keys.orderPartition(orderId), ':prefix': keys.sourcePrefix },
    }),
  );
  return result.Items ?? [];
}

describe('raw channel payloads', () => {
  it('expire 400 days after they arrived by default, and after the configured days otherwise; the order itself has no expiry', async () => {
    const world = inventoryWorld(db, tableName);
    const order = await world.order([{ sku: 'RET-1', quantity: 1 }]);
    const [source] = await sourceItems(order.orderId);
    expect(source).toBeDefined();
    const arrived = Math.floor(Date.parse(String(source?.['receivedAt'])) / 1000);
    expect(source?.[table.ttlAttribute]).toBe(arrived + 400 * 86_400);
    const header = (await world.orders.get(order.orderId)) as unknown as Record<string, unknown>;
    expect(header[table.ttlAttribute]).toBeUndefined();

    const shortLived = new DynamoOrderRepository(db, tableName, { sourceRetentionDays: 30 });
    const other = await inventoryWorld(db, tableName).order([{ sku: 'RET-2', quantity: 1 }]);
    const added = await shortLived.addSource(other.orderId, { deliveryId: 'redelivery-1', via: 'webhook', receivedAt: new Date().toISOString(), headers: {}, contentType: 'application/json', body: '{}' });
    expect(added).toBe(true);
    const again = (await sourceItems(other.orderId)).find((item) => item['deliveryId'] === 'redelivery-1');
    expect(again?.[table.ttlAttribute]).toBe(Math.floor(Date.parse(String(again?.['receivedAt'])) / 1000) + 30 * 86_400);
  });
});

describe('the reconciler waits', () => {
  it('come from RECONCILE_STUCK_AFTER_MINUTES and RECONCILE_UNINVOICED_AFTER_MINUTES, the defaults otherwise, and a bad value fails the cold start', () => {
    expect(reconcileSettingsFrom({})).toEqual({});
    expect(reconcileSettingsFrom({ RECONCILE_STUCK_AFTER_MINUTES: '1', RECONCILE_UNINVOICED_AFTER_MINUTES: '2' })).toEqual({ receivedMinutes: 1, reservedMinutes: 1, uninvoicedMinutes: 2 });
    expect(() => reconcileSettingsFrom({ RECONCILE_STUCK_AFTER_MINUTES: '0' })).toThrow(/RECONCILE_STUCK_AFTER_MINUTES/);
  });
});
