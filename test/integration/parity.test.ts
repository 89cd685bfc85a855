import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { LOCAL_AWS, ensureTable } from '#infra/local/dynamodb-local.ts';
import { localRoutes } from '#infra/local/http-api.ts';
import { synthesizeWorkflowDefinitions } from '#infra/local/workflow-definitions.ts';
import { functions } from '#infra/topology/functions.ts';
import { pipes } from '#infra/topology/pipes.ts';
import { queues } from '#infra/topology/queues.ts';
import { rules } from '#infra/topology/rules.ts';
import { schedules } from '#infra/topology/schedules.ts';
import { FUNCTION_ENV, WORKFLOW_TAG, workflows } from '#infra/topology/workflows.ts';
import { synthesize, type Synthesized } from '../infra/synth.ts';

/**
 * One definition, two runtimes: what the local runtime serves and builds must
 * be what CDK deploys. Each test reads the synthesized template on one side
 * and the local runtime's own structures (or DynamoDB Local itself) on the other.
 */
type Resource = { Type: string; Properties: Record<string, unknown> };
let synth: Synthesized;
let resources: [string, Resource][];

beforeAll(() => {
  synth = synthesize();
  // The HTTP routes and their functions are in the API stack, everything else in the stateless stack (logical ids of functions are unique across both).
  resources = [...Object.entries(synth.statelessJson.Resources), ...Object.entries(synth.apiJson.Resources)];
});

const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
/** The OMS name (function or workflow) of the resource an `Fn::GetAtt`/`Ref` points at. */
function omsNameOf(reference: unknown): string | undefined {
  // Queues live in the stateful stack: the stateless stack imports their ARN (export names carry the logical id).
  const imported = (reference as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  if (imported) {
    const queue = Object.keys(queues).find((name) => imported.includes(`GetAtt${name.charAt(0).toUpperCase()}${name.slice(1)}Queue`));
    return queue ? `queue:${queue}` : undefined;
  }
  const logicalId =
    (reference as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0] ?? (reference as { Ref?: string }).Ref;
  const resource = resources.find(([id]) => id === logicalId)?.[1];
  if (!resource) return undefined;
  if (resource.Type === 'AWS::Lambda::Function') {
    return (resource.Properties['Environment'] as { Variables: Record<string, string> }).Variables[FUNCTION_ENV];
  }
  return (resource.Properties['Tags'] as { Key: string; Value: string }[] | undefined)?.find((t) => t.Key === WORKFLOW_TAG)?.Value;
}

describe('parity between the local runtime and the CDK app', () => {
  it('serves exactly the API routes the HTTP API deploys, each to the same function', () => {
    const deployed = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => {
      const integration = resources.find(([id]) => id === ((route.Properties['Target'] as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1][1] as { Ref: string }).Ref)?.[1];
      return `${route.Properties['RouteKey'] as string} -> ${omsNameOf(integration?.Properties['IntegrationUri']) ?? '?'}`;
    });
    const local = localRoutes().map((r) => `${r.routeKey} -> ${r.functionName}`);
    expect(deployed.sort()).toEqual(local.sort());
  });

  it('creates the same table in DynamoDB Local as the stateful stack declares', async () => {
    const endpoint = inject('dynamoEndpoint');
    const tableName = `parity-${randomUUID()}`;
    await ensureTable(endpoint, tableName);
    const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    client.destroy();

    const deployed = Object.values(synth.statefulTemplate.findResources('AWS::DynamoDB::Table'))[0]?.['Properties'] as Record<string, unknown>;
    const byName = <T extends { AttributeName?: string; IndexName?: string }>(list: T[]) =>
      [...list].sort((a, b) => String(a.AttributeName ?? a.IndexName).localeCompare(String(b.AttributeName ?? b.IndexName)));

    expect(byName(Table?.AttributeDefinitions ?? [])).toEqual(byName(deployed['AttributeDefinitions'] as { AttributeName: string }[]));
    expect(Table?.KeySchema).toEqual(deployed['KeySchema']);
    expect(
      byName(Table?.GlobalSecondaryIndexes ?? []).map((i) => ({ IndexName: i.IndexName, KeySchema: i.KeySchema, Projection: i.Projection })),
    ).toEqual(byName(deployed['GlobalSecondaryIndexes'] as { IndexName: string }[]));
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, ...(deployed['StreamSpecification'] as object) });
    expect(Table?.BillingModeSummary?.BillingMode).toBe(deployed['BillingMode']);
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe((deployed['TimeToLiveSpecification'] as { AttributeName: string }).AttributeName);
  });

  it('applies the same rules (pattern, target, retry budget) on the local bus as the deployed bus', () => {
    const deployed = ofType('AWS::Events::Rule').map(([, rule]) => {
      const [target] = rule.Properties['Targets'] as { Arn: unknown; InputPath?: string; RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number } }[];
      return {
        pattern: rule.Properties['EventPattern'],
        target: omsNameOf(target?.Arn),
        input: target?.InputPath ?? 'event',
        retryAttempts: target?.RetryPolicy.MaximumRetryAttempts,
        maxEventAgeSeconds: target?.RetryPolicy.MaximumEventAgeInSeconds,
      };
    });
    const local = rules.map((rule) => ({
      pattern: rule.pattern,
      target: 'workflow' in rule.target ? rule.target.workflow : 'queue' in rule.target ? `queue:${rule.target.queue}` : rule.target.function,
      // The local bus sends a queue the event's detail, and functions and workflows the whole event.
      input: 'queue' in rule.target ? (rule.target.message === 'event' ? '$' : '$.detail') : 'event',
      retryAttempts: rule.retryAttempts,
      maxEventAgeSeconds: rule.maxEventAgeSeconds,
    }));
    expect(deployed).toEqual(local);
  });

  it('filters, batches, enriches, transforms and retries the stream like the deployed pipes', () => {
    const deployed = ofType('AWS::Pipes::Pipe').map(([, pipe]) => {
      const source = pipe.Properties['SourceParameters'] as {
        FilterCriteria: { Filters: { Pattern: string }[] };
        DynamoDBStreamParameters: { BatchSize: number; MaximumRetryAttempts: number };
      };
      const target = pipe.Properties['TargetParameters'] as { InputTemplate: string; EventBridgeEventBusParameters?: { DetailType: string; Source: string } };
      return {
        filter: source.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern) as unknown),
        batchSize: source.DynamoDBStreamParameters.BatchSize,
        retryAttempts: source.DynamoDBStreamParameters.MaximumRetryAttempts,
        enrichment: pipe.Properties['Enrichment'] ? omsNameOf(pipe.Properties['Enrichment']) : undefined,
        inputTemplate: target.InputTemplate,
        bus: target.EventBridgeEventBusParameters ?? null,
      };
    });
    const local = Object.values(pipes).map((pipe) => ({
      filter: [pipe.filter],
      batchSize: pipe.batchSize,
      retryAttempts: pipe.retryAttempts,
      enrichment: 'enrichment' in pipe ? pipe.enrichment : undefined,
      inputTemplate: pipe.target.inputTemplate,
      bus: 'bus' in pipe.target ? { DetailType: pipe.target.detailTypePath, Source: pipe.target.sourcePath } : null,
    }));
    expect(deployed).toEqual(local);
  });

  it('consumes the same queues with the same batch size, concurrency and receive count', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').map(([, mapping]) => ({
      consumer: omsNameOf(mapping.Properties['FunctionName']),
      batchSize: mapping.Properties['BatchSize'],
      maxConcurrency: (mapping.Properties['ScalingConfig'] as { MaximumConcurrency: number }).MaximumConcurrency,
      partialFailures: mapping.Properties['FunctionResponseTypes'],
      batchingWindow: mapping.Properties['MaximumBatchingWindowInSeconds'] ?? 0,
    }));
    // The template lists event source mappings in the order of their functions, queues.ts in its own order.
    const byConsumer = (a: { consumer: unknown }, b: { consumer: unknown }) => String(a.consumer).localeCompare(String(b.consumer));
    expect(mappings.sort(byConsumer)).toEqual(
      Object.values(queues).map((q) => ({
        consumer: q.consumer,
        batchSize: q.batchSize,
        maxConcurrency: q.maxConcurrency,
        partialFailures: ['ReportBatchItemFailures'],
        batchingWindow: q.maxBatchingWindowSeconds,
      })).sort(byConsumer),
    );
    const deployedQueues = Object.values(synth.statefulTemplate.findResources('AWS::SQS::Queue')).filter((q) => (q['Properties'] as Record<string, unknown>)['RedrivePolicy']);
    expect(deployedQueues.map((q) => (q['Properties'] as { RedrivePolicy: { maxReceiveCount: number } }).RedrivePolicy.maxReceiveCount)).toEqual(
      Object.values(queues).map((q) => q.maxReceiveCount),
    );
  });

  it('fires the same schedules with the same input', () => {
    const deployed = ofType('AWS::Scheduler::Schedule').map(([, schedule]) => {
      const target = schedule.Properties['Target'] as { Arn: unknown; Input: string; RetryPolicy: { MaximumRetryAttempts: number } };
      return {
        expression: schedule.Properties['ScheduleExpression'],
        timezone: schedule.Properties['ScheduleExpressionTimezone'],
        target: omsNameOf(target.Arn),
        input: JSON.parse(target.Input) as unknown,
        retryAttempts: target.RetryPolicy.MaximumRetryAttempts,
      };
    });
    expect(deployed).toEqual(
      schedules.map((s) => ({ expression: s.expression, timezone: s.timezone, target: s.target.function, input: s.input, retryAttempts: s.retryAttempts })),
    );
  });

  it('runs every synthesized state machine locally, each task mapped to a known function', () => {
    const definitions = synthesizeWorkflowDefinitions();
    expect([...definitions.keys()].sort()).toEqual(Object.keys(workflows).sort());
    for (const definition of definitions.values()) {
      expect(Object.keys(definition.tasks).length).toBeGreaterThan(0);
      for (const fn of Object.values(definition.tasks)) expect(functions).toHaveProperty(fn);
    }
  });
});
