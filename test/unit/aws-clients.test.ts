import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ThrottlingException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { describe, expect, it } from 'vitest';
import { awsClientConfig, isTransientAwsError, type AwsService } from '#shared/adapters/aws-clients.ts';
import { ConcurrentModificationError } from '#shared/domain/errors.ts';
import { errorResponse, statusOf } from '#shared/http/error-response.ts';

const $metadata = { httpStatusCode: 400 };
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({ message: 'Transaction cancelled', $metadata, CancellationReasons: codes.map((Code) => ({ Code })) });

describe('awsClientConfig', () => {
  const services: AwsService[] = ['dynamodb', 'sesv2', 'sns', 's3', 'scheduler', 'lambda', 'secrets-manager'];

  it.each(services)('%s: standard retries, a bounded budget and both timeouts', (service) => {
    const config = awsClientConfig(service, {});
    expect(config.retryMode).toBe('standard');
    expect(config.maxAttempts).toBeGreaterThanOrEqual(3);
    expect(config.maxAttempts).toBeLessThanOrEqual(4);
    expect(config.requestHandler.connectionTimeout).toBe(1_000);
    expect(config.requestHandler.requestTimeout).toBeGreaterThan(config.requestHandler.connectionTimeout);
    // Every attempt timing out still ends inside a 29 s API function.
    expect(config.maxAttempts * config.requestHandler.requestTimeout).toBeLessThan(29_000);
  });

  it('DynamoDB: 4 attempts of at most 3 s each', () => {
    expect(awsClientConfig('dynamodb', {})).toEqual({ maxAttempts: 4, retryMode: 'standard', requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 } });
  });

  it('OMS_AWS_REQUEST_TIMEOUT_MS raises the request timeout (local runtime), never lowers it', () => {
    expect(awsClientConfig('dynamodb', { OMS_AWS_REQUEST_TIMEOUT_MS: '30000' }).requestHandler.requestTimeout).toBe(30_000);
    expect(awsClientConfig('dynamodb', { OMS_AWS_REQUEST_TIMEOUT_MS: '10' }).requestHandler.requestTimeout).toBe(3_000);
    expect(awsClientConfig('dynamodb', { OMS_AWS_REQUEST_TIMEOUT_MS: 'soon' }).requestHandler.requestTimeout).toBe(3_000);
  });

  it('is what the SDK clients run with', async () => {
    const dynamo = new DynamoDBClient({ region: 'us-east-1', ...awsClientConfig('dynamodb', {}) });
    expect(await dynamo.config.maxAttempts()).toBe(4);
    expect((await dynamo.config.retryStrategy()) as { mode?: string }).toMatchObject({ mode: 'standard' });
    // The Node handler the SDK made of the options (it resolves them lazily, for the first request).
    const handler = dynamo.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> };
    expect(await handler.configProvider).toMatchObject({ connectionTimeout: 1_000, requestTimeout: 3_000 });
    const ses = new SESv2Client({ region: 'us-east-1', ...awsClientConfig('sesv2', {}) });
    expect(await ses.config.maxAttempts()).toBe(3);
  });

  it('every AWS SDK client built under shared/ is built with awsClientConfig', () => {
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
      });
    const constructions = files('shared').flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/new (\w+Client)\(([^)]*)\)/g)]
        .filter((m) => /^(DynamoDB|SESv2|SNS|S3|Scheduler|Lambda|SecretsManager|EventBridge|SFN|SQS)Client$/.test(m[1] ?? ''))
        .map((m) => ({ file, client: m[1], args: m[2] })),
    );
    expect(constructions.length).toBeGreaterThanOrEqual(8);
    expect(constructions.filter((c) => !c.args?.startsWith('awsClientConfig('))).toEqual([]);
  });
});

describe('isTransientAwsError', () => {
  it.each([
    ['ProvisionedThroughputExceededException', new ProvisionedThroughputExceededException({ message: 'x', $metadata })],
    ['ThrottlingException', new ThrottlingException({ message: 'x', $metadata })],
    ['RequestLimitExceeded', new RequestLimitExceeded({ message: 'x', $metadata })],
    ['InternalServerError (500)', new InternalServerError({ message: 'x', $metadata: { httpStatusCode: 500 } })],
    ['a transaction cancelled by ThrottlingError', cancelled('None', 'ThrottlingError')],
    ['a transaction cancelled by ProvisionedThroughputExceeded', cancelled('ProvisionedThroughputExceeded', 'None')],
    ['a request timeout of the request handler', Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' })],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['an unknown 503 of a service', Object.assign(new Error('ServiceUnavailable'), { name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503 } })],
  ])('%s is transient', (_, error) => {
    expect(isTransientAwsError(error)).toBe(true);
    expect(statusOf(error)).toBe(503);
  });

  it.each([
    ['ConditionalCheckFailedException', new ConditionalCheckFailedException({ message: 'x', $metadata })],
    ['a transaction cancelled by a failed condition', cancelled('ConditionalCheckFailed', 'None')],
    ['a transaction cancelled by a condition and a throttle', cancelled('ConditionalCheckFailed', 'ThrottlingError')],
    ['a transaction conflict', cancelled('TransactionConflict')],
    ['a 409 of the OMS', new ConcurrentModificationError('x')],
    ['a bug', new TypeError('undefined is not a function')],
    ['not an error', 'ThrottlingException'],
  ])('%s is not', (_, error) => {
    expect(isTransientAwsError(error)).toBe(false);
  });
});

describe('errorResponse of a throttle', () => {
  it('503 service_unavailable with Retry-After and the JSON error body, leaking nothing of the SDK error', () => {
    const response = errorResponse(new ProvisionedThroughputExceededException({ message: 'table oms-prod exceeded', $metadata }), 'c-1');
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'retry-after': '2', 'x-correlation-id': 'c-1' });
    const body = JSON.parse(String(response.body)) as { error: { code: string; message: string; details: unknown[]; correlationId: string } };
    expect(body.error).toMatchObject({ code: 'service_unavailable', details: [], correlationId: 'c-1' });
    expect(body.error.message).toMatch(/again after 2 seconds/);
    expect(String(response.body)).not.toContain('oms-prod');
  });
});
