import { Match } from 'aws-cdk-lib/assertions';
import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionNames, functions, type FunctionSpec } from '#infra/topology/functions.ts';
import { rules } from '#infra/topology/rules.ts';
import { schedules } from '#infra/topology/schedules.ts';
import { workflows } from '#infra/topology/workflows.ts';
import { eventCatalog } from '#events/catalog.ts';
import { queues } from '#infra/topology/queues.ts';
import { synthesize, type Synthesized } from './synth.ts';

let synth: Synthesized;
beforeAll(() => {
  synth = synthesize();
});

describe('stateful stack', () => {
  it('has one on-demand table with streams, TTL, PITR, a customer-managed key and three GSIs', () => {
    synth.statefulTemplate.resourceCountIs('AWS::DynamoDB::Table', 1);
    synth.statefulTemplate.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'GSI1' }),
          Match.objectLike({ IndexName: 'GSI2' }),
          Match.objectLike({ IndexName: 'GSI3' }),
        ],
      }),
    });
  });

  it('has the event bus with an archive of every event, and encrypted queues each with a dead-letter queue', () => {
    synth.statefulTemplate.resourceCountIs('AWS::Events::EventBus', 1);
    synth.statefulTemplate.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 90 });
    // pipe, event and schedule dead letters, the failed asynchronous invocations + a work queue and its dead letters per topology queue
    synth.statefulTemplate.resourceCountIs('AWS::SQS::Queue', 4 + 2 * Object.keys(queues).length);
    synth.statefulTemplate.allResourcesProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    synth.statefulTemplate.resourcePropertiesCountIs('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: Match.anyValue() }) }, Object.keys(queues).length);
  });
});

describe('stateless stack', () => {
  it('deploys every function on Node.js 22, arm64, traced, with JSON logs in a retained log group: the routes in the API stack, the rest here', () => {
    const routes = functionNames.filter((name) => (functions[name] as FunctionSpec).http);
    const props = { Runtime: 'nodejs22.x', Architectures: ['arm64'], TracingConfig: { Mode: 'Active' }, LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }) };
    synth.statelessTemplate.resourcePropertiesCountIs('AWS::Lambda::Function', props, functionNames.length - routes.length);
    synth.statelessTemplate.resourceCountIs('AWS::Lambda::Function', functionNames.length - routes.length);
    synth.apiTemplate.resourcePropertiesCountIs('AWS::Lambda::Function', props, routes.length);
    synth.apiTemplate.resourceCountIs('AWS::Lambda::Function', routes.length);
    synth.apiTemplate.resourceCountIs('AWS::ApiGatewayV2::Route', routes.length); // one per operation, $default included
    synth.statelessTemplate.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    synth.apiTemplate.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    // Every function writes to the stateless stack's one log group, the routes included.
    synth.apiTemplate.resourceCountIs('AWS::Logs::LogGroup', 1); // the API's access logs
  });

  it('stays inside the CloudFormation budget of 500 resources per stack, with room to grow', () => {
    for (const template of [synth.statelessTemplate, synth.statefulTemplate, synth.apiTemplate]) {
      const count = Object.keys(template.toJSON().Resources as object).length;
      expect(count).toBeLessThan(450);
    }
    // Functions with the same access share an execution role: far fewer roles than functions.
    const roles = [synth.statelessTemplate, synth.apiTemplate].reduce((sum, template) => sum + Object.keys(template.findResources('AWS::IAM::Role')).length, 0);
    expect(roles).toBeLessThan(functionNames.length / 2);
  });

  it('gives no function the right to scan the table', () => {
    const policies = [synth.statelessJson, synth.apiJson].flatMap((template) => Object.values(template.Resources)).filter((r) => r.Type === 'AWS::IAM::Policy');
    expect(JSON.stringify(policies)).toContain('dynamodb:Query');
    expect(JSON.stringify(policies)).not.toMatch(/dynamodb:Scan|dynamodb:\*/);
  });

  it('wires the inbox pipe from the table stream to the capture queue, keys only', () => {
    synth.statelessTemplate.hasResourceProperties('AWS::Pipes::Pipe', {
      TargetParameters: { InputTemplate: '{"PK": "<$.dynamodb.Keys.PK.S>", "SK": "<$.dynamodb.Keys.SK.S>"}' },
    });
  });

  it('wires the outbox pipe from the table stream through the enrichment function to the bus', () => {
    synth.statelessTemplate.hasResourceProperties('AWS::Pipes::Pipe', {
      SourceParameters: Match.objectLike({
        DynamoDBStreamParameters: Match.objectLike({ StartingPosition: 'TRIM_HORIZON', OnPartialBatchItemFailure: 'AUTOMATIC_BISECT', DeadLetterConfig: Match.anyValue() }),
      }),
      TargetParameters: { InputTemplate: '<$.detail>', EventBridgeEventBusParameters: { DetailType: '$.detailType', Source: '$.source' } },
    });
  });

  it('creates a rule with retries and a dead-letter queue for each topology rule', () => {
    synth.statelessTemplate.resourceCountIs('AWS::Events::Rule', rules.length);
    synth.statelessTemplate.allResourcesProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
  });

  it('lets EventBridge, and only rules of the OMS bus, send to the queues that rules target', () => {
    const targeted = [...new Set(rules.flatMap((rule) => ('queue' in rule.target ? [rule.target.queue] : [])))];
    expect(targeted).toContain('availability');
    const policies = Object.values(synth.statefulTemplate.findResources('AWS::SQS::QueuePolicy')).map((p) => JSON.stringify(p['Properties']));
    for (const name of targeted) {
      const id = `${name.charAt(0).toUpperCase()}${name.slice(1)}Queue`;
      const policy = policies.find((p) => p.includes(`"Queues":[{"Ref":"${id}`));
      expect(policy, name).toContain('"Service":"events.amazonaws.com"');
      expect(policy, name).toContain(':rule/');
    }
  });

  it('creates the workflows with logging and tracing, and the schedules with a dead-letter queue', () => {
    synth.statelessTemplate.resourceCountIs('AWS::StepFunctions::StateMachine', Object.keys(workflows).length);
    synth.statelessTemplate.allResourcesProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
    });
    synth.statelessTemplate.resourceCountIs('AWS::Scheduler::Schedule', schedules.length);
    synth.statelessTemplate.allResourcesProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() }),
    });
  });

  it('publishes every event contract to the schema registry', () => {
    synth.statelessTemplate.resourceCountIs('AWS::EventSchemas::Schema', eventCatalog.length);
  });

  it('has alarms on errors, 5xx and every dead-letter queue, all notifying the alarm topic', () => {
    const alarms = [synth.statelessJson, synth.apiJson].flatMap((template) => Object.values(template.Resources)).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(functionNames.length + 4);
    for (const alarm of alarms) expect(alarm.Properties['AlarmActions']).toHaveLength(1);
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged errors', () => {
    const errors = synth.validationReport.pluginReports.flatMap((report) =>
      report.violations.filter((v) => v.severity === 'error').map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`),
    );
    expect(errors).toEqual([]);
  });

  it('gives a reason for every acknowledged finding', () => {
    const acknowledgements = [synth.stateful, synth.stateless, synth.api].flatMap((stack) =>
      stack.node
        .findAll()
        .flatMap((construct) =>
          construct.node.metadata
            .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
            .flatMap((entry) => Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({ id, reason }))),
        ),
    );
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) expect(reason.length, id).toBeGreaterThan(20);
  });

  it('is live: a non-compliant resource fails the checks', () => {
    const unsafe = synthesize({ extend: ({ stateless }) => void new Queue(stateless, 'UnsafeQueue') });
    const rulesHit = unsafe.validationReport.pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName));
    expect(rulesHit).toEqual(expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']));
  });
});
