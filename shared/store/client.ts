import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from '#shared/adapters/aws-clients.ts';
import { tracer } from '#shared/observability/powertools.ts';

let shared: DynamoDBDocumentClient | undefined;

/**
 * One document client per process (Lambda container or local runtime).
 * Endpoint and region come from the standard SDK environment
 * (`AWS_REGION`, `AWS_ENDPOINT_URL_DYNAMODB` for DynamoDB Local).
 */
export function documentClient(): DynamoDBDocumentClient {
  shared ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(awsClientConfig('dynamodb'))), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return shared;
}
