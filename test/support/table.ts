import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { LOCAL_AWS } from '#infra/local/dynamodb-local.ts';
import { createTableInput } from '#shared/store/table.ts';

export const TEST_TOKEN = 'test-token-0123456789abcdef';

/**
 * A fresh table (from the shared table definition) in the run's DynamoDB
 * Local, and the environment handlers read at module load. Call before
 * importing any handler module.
 *
 * The stream is off unless the test reads it: in DynamoDB Local every table
 * created with a stream after others have written many stream records is
 * several times slower (measured: 30 against 130 transactions per second),
 * and one instance serves the whole run.
 */
export async function useTestTable(options: { stream?: boolean } = {}): Promise<{ tableName: string; db: DynamoDBDocumentClient; endpoint: string }> {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `oms-test-${randomUUID()}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
  const input = createTableInput(tableName);
  await client.send(new CreateTableCommand(options.stream ? input : { ...input, StreamSpecification: undefined }));
  Object.assign(process.env, {
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    TABLE_NAME: tableName,
    OMS_API_TOKEN: TEST_TOKEN,
    MAIL_FROM: 'oms@test.example',
    OPS_EMAIL: 'ops@test.example',
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  return { tableName, db: DynamoDBDocumentClient.from(client), endpoint };
}

/** Every item in a test table (tests may scan; the OMS never does). */
export async function allItems(db: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    items.push(...((page.Items ?? []) as Record<string, unknown>[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
