import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/**
 * The one DynamoDB table, described once. The CDK stateful stack and the local
 * runtime (DynamoDB Local) both build it from this description, and a parity
 * test compares the synthesized template with `createTableInput()`.
 * Key values are built only in keys.ts; see docs/data-model.md.
 */
export const table = {
  partitionKey: 'PK',
  sortKey: 'SK',
  /** Epoch seconds; DynamoDB deletes the item some time after it passes. */
  ttlAttribute: 'expiresAt',
  /** Names the entity type of every item (`Location`, `OutboxEvent`, ...). */
  entityAttribute: 'entity',
  streamView: 'NEW_AND_OLD_IMAGES',
  /**
   * Overloaded global secondary indexes. Each entity that needs another access
   * path writes these attributes; items without them stay out of the index
   * (sparse indexes), e.g. channel secrets are in no index at all.
   */
  indexes: {
    GSI1: { partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
    GSI2: { partitionKey: 'GSI2PK', sortKey: 'GSI2SK' },
    GSI3: { partitionKey: 'GSI3PK', sortKey: 'GSI3SK' },
  },
} as const;

export type IndexName = keyof typeof table.indexes;

/** CreateTable input for DynamoDB Local (tests, `npm start`, benchmarks). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const indexNames = Object.keys(table.indexes) as IndexName[];
  const keyAttributes = [
    table.partitionKey,
    table.sortKey,
    ...indexNames.flatMap((name) => [table.indexes[name].partitionKey, table.indexes[name].sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexNames.map((name) => ({
      IndexName: name,
      KeySchema: [
        { AttributeName: table.indexes[name].partitionKey, KeyType: 'HASH' },
        { AttributeName: table.indexes[name].sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamView },
  };
}
