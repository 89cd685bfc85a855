import { CfnOutput, Duration, Stack, Tags, type CfnElement, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, type HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, type EventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { eventCatalog } from '#events/catalog.ts';
import { eventJsonSchema } from '#events/json-schema.ts';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke as ScheduleLambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { TimeZone } from 'aws-cdk-lib';
import { acknowledge } from '../nag.ts';
import type { Construct } from 'constructs';
import { routeKeyOf } from '#shared/http/operation.ts';
import { OmsFunction } from '../constructs/oms-function.ts';
import { grantTableAccess } from '../constructs/table-access.ts';
import { functionNames, functions, httpFunctions, type FunctionName, type FunctionSpec } from '../topology/functions.ts';
import { outboxPipe } from '../topology/outbox-pipe.ts';
import { rules } from '../topology/rules.ts';
import { schedules } from '../topology/schedules.ts';
import { WORKFLOW_TAG, workflows, type WorkflowName } from '../topology/workflows.ts';
import { workflowBuilders } from '../workflows/index.ts';

export interface StatelessStackProps extends StackProps {
  table: Table;
  key: IKey;
  bus: EventBus;
  outboxDeadLetters: Queue;
  eventDeadLetters: Queue;
  scheduleDeadLetters: Queue;
  apiToken: Secret;
  alarmTopic: Topic;
  mailFrom: string;
  opsEmail: string;
  logRetention: RetentionDays;
}

/**
 * Everything that can be redeployed freely: functions, the HTTP API, the
 * outbox pipe, bus rules, schedules, state machines and alarms. Built from
 * the topology in infra/topology, which the local runtime reads too.
 */
export class StatelessStack extends Stack {
  readonly functions: Record<FunctionName, IFunction>;
  readonly api: HttpApi;
  readonly stateMachines: Record<WorkflowName, StateMachine>;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const alarmAction = new SnsAction(props.alarmTopic);
    const alarmOn = (alarmId: string, metric: IMetric, description: string) =>
      new Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      }).addAlarmAction(alarmAction);

    // Functions.
    const environment = {
      TABLE_NAME: props.table.tableName,
      OMS_API_TOKEN_SECRET_ID: props.apiToken.secretArn,
      MAIL_FROM: props.mailFrom,
      OPS_EMAIL: props.opsEmail,
    };
    const mailDomain = props.mailFrom.split('@')[1] ?? props.mailFrom;
    this.functions = {} as Record<FunctionName, IFunction>;
    for (const name of functionNames) {
      const spec: FunctionSpec = functions[name];
      const fn = new OmsFunction(this, `Fn-${name}`, { name, spec, environment, logRetention: props.logRetention }).function;
      if (spec.access.includes('table:write')) grantTableAccess(fn, props, 'write');
      else if (spec.access.includes('table:read')) grantTableAccess(fn, props, 'read');
      if (spec.http?.auth === 'bearer') props.apiToken.grantRead(fn);
      if (spec.access.includes('mail:send')) {
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['ses:SendEmail'],
            resources: [
              this.formatArn({ service: 'ses', resource: 'identity', resourceName: mailDomain }),
              this.formatArn({ service: 'ses', resource: 'identity', resourceName: props.mailFrom }),
            ],
          }),
        );
      }
      alarmOn(`Errors-${name}`, fn.metricErrors({ period: Duration.minutes(5) }), `${name} threw errors`);
      this.functions[name] = fn;
    }
    const fn = (name: FunctionName) => this.functions[name];

    // HTTP API: one route per operation, `$default` answers unknown routes with a JSON 404.
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention });
    const routed = httpFunctions();
    const fallback = routed.find(({ operation }) => routeKeyOf(operation) === '$default')?.name;
    this.api = new HttpApi(this, 'Api', {
      description: 'OMS REST API and channel webhooks',
      createDefaultStage: false,
      ...(fallback ? { defaultIntegration: new HttpLambdaIntegration('Integration-default', fn(fallback)) } : {}),
    });
    new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 1000, burstLimit: 2000 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    for (const { name, operation } of routed) {
      if (name === fallback) continue;
      this.api.addRoutes({
        path: operation.path,
        methods: [operation.method as HttpMethod],
        integration: new HttpLambdaIntegration(`Integration-${name}`, fn(name)),
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the OMS API' });
    alarmOn('Api5xx', this.api.metricServerError({ period: Duration.minutes(5) }), 'The API answered 5xx');

    // Workflows.
    this.stateMachines = {} as Record<WorkflowName, StateMachine>;
    for (const [name, workflow] of Object.entries(workflows) as [WorkflowName, (typeof workflows)[WorkflowName]][]) {
      const logs = new LogGroup(this, `WorkflowLogs-${name}`, {
        retention: props.logRetention,
        logGroupName: `/aws/vendedlogs/states/${this.stackName}-${name}`,
      });
      const invoked = new Set<FunctionName>();
      const definition = workflowBuilders[name](this, (task) => (invoked.add(task), fn(task)));
      const machine = new StateMachine(this, `Workflow-${name}`, {
        definitionBody: DefinitionBody.fromChainable(definition),
        stateMachineType: workflow.type === 'EXPRESS' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
        comment: workflow.description,
        tracingEnabled: true,
        logs: { destination: logs, level: LogLevel.ALL, includeExecutionData: true },
        timeout: Duration.minutes(5),
      });
      Tags.of(machine).add(WORKFLOW_TAG, name);
      acknowledge(machine, [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'Log delivery and X-Ray actions of Step Functions support no resource scoping.',
        },
        ...[...invoked].map((task) => ({
          id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(fn(task))}.Arn>:*]`,
          reason: 'Task states may invoke any version or alias of their own function.',
        })),
      ]);
      alarmOn(`WorkflowFailed-${name}`, machine.metricFailed({ period: Duration.minutes(5) }), `${name} executions failed`);
      this.stateMachines[name] = machine;
    }

    // Event contracts in the EventBridge Schema Registry, generated from events/.
    const registry = new CfnRegistry(this, 'EventSchemas', {
      registryName: `${this.stackName}-events`,
      description: 'OMS event contracts (generated from the zod schemas in events/)',
    });
    for (const event of eventCatalog) {
      new CfnSchema(this, `Schema-${event.detailType}-v${event.version}`, {
        registryName: registry.attrRegistryName,
        schemaName: `${event.source}@${event.detailType}`,
        type: 'JSONSchemaDraft4',
        description: event.description,
        content: JSON.stringify(eventJsonSchema(event, 'draft-4')),
      });
    }

    // Bus rules. The dead-letter queue is imported: its policy for EventBridge is set in the stateful stack.
    const eventDeadLetters = Queue.fromQueueArn(this, 'EventDeadLettersRef', props.eventDeadLetters.queueArn);
    for (const rule of rules) {
      const { source, 'detail-type': detailType, detail } = rule.pattern as Record<string, unknown>;
      const delivery = {
        deadLetterQueue: eventDeadLetters,
        retryAttempts: rule.retryAttempts,
        maxEventAge: Duration.seconds(rule.maxEventAgeSeconds),
      };
      new Rule(this, `Rule-${rule.id}`, {
        eventBus: props.bus,
        description: rule.description,
        eventPattern: {
          source: source as string[],
          detailType: detailType as string[],
          ...(detail ? { detail: detail as Record<string, unknown> } : {}),
        },
        targets: [
          'workflow' in rule.target
            ? new SfnStateMachine(this.stateMachines[rule.target.workflow], delivery)
            : new LambdaFunction(fn(rule.target.function), delivery),
        ],
      });
    }
    alarmOn('EventDeadLetters', props.eventDeadLetters.metricApproximateNumberOfMessagesVisible(), 'Events were dead-lettered');

    // The outbox pipe: stream → filter → enrichment → bus.
    const tableStreamArn = props.table.tableStreamArn;
    if (!tableStreamArn) throw new Error('The OMS table must have a stream: the outbox pipe reads it');
    const enrichment = fn(outboxPipe.enrichment);
    const pipeRole = new Role(this, 'OutboxPipeRole', {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com'),
      inlinePolicies: {
        outbox: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [enrichment.functionArn] }),
            new PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }),
          ],
        }),
      },
    });
    props.table.grantStreamRead(pipeRole);
    acknowledge(pipeRole, [
      { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'dynamodb:ListStreams supports no resource scoping.' },
    ]);
    props.outboxDeadLetters.grantSendMessages(pipeRole);
    const pipeLogs = new LogGroup(this, 'OutboxPipeLogs', { retention: props.logRetention });
    pipeLogs.grantWrite(pipeRole);
    new CfnPipe(this, 'OutboxPipe', {
      description: 'Transactional outbox: publishes outbox items from the table stream to the bus',
      roleArn: pipeRole.roleArn,
      source: tableStreamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: outboxPipe.batchSize,
          maximumRetryAttempts: outboxPipe.retryAttempts,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: props.outboxDeadLetters.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(outboxPipe.filter) }] },
      },
      enrichment: enrichment.functionArn,
      target: props.bus.eventBusArn,
      targetParameters: {
        inputTemplate: outboxPipe.target.inputTemplate,
        eventBridgeEventBusParameters: {
          detailType: outboxPipe.target.detailTypePath,
          source: outboxPipe.target.sourcePath,
        },
      },
      logConfiguration: {
        level: 'ERROR',
        cloudwatchLogsLogDestination: { logGroupArn: pipeLogs.logGroupArn },
      },
    });
    alarmOn('OutboxDeadLetters', props.outboxDeadLetters.metricApproximateNumberOfMessagesVisible(), 'Outbox events were dead-lettered');

    // Schedules.
    for (const schedule of schedules) {
      acknowledge(this, [
        {
          id: `AwsSolutions-IAM5[Resource::<${this.logicalIdOf(fn(schedule.target.function))}.Arn>:*]`,
          reason: 'EventBridge Scheduler\'s generated role may invoke any version of the scheduled function.',
        },
      ]);
      new Schedule(this, `Schedule-${schedule.id}`, {
        description: schedule.description,
        schedule: ScheduleExpression.expression(schedule.expression, TimeZone.of(schedule.timezone)),
        target: new ScheduleLambdaInvoke(fn(schedule.target.function), {
          input: ScheduleTargetInput.fromObject(schedule.input),
          deadLetterQueue: props.scheduleDeadLetters,
          retryAttempts: schedule.retryAttempts,
          maxEventAge: Duration.seconds(schedule.maxEventAgeSeconds),
        }),
      });
    }
    alarmOn('ScheduleDeadLetters', props.scheduleDeadLetters.metricApproximateNumberOfMessagesVisible(), 'Scheduled jobs were dead-lettered');

    this.suppressFindings();
  }

  private logicalIdOf(fn: IFunction): string {
    return this.getLogicalId(fn.node.defaultChild as CfnElement);
  }

  /** cdk-nag findings that are decisions for the whole stack, each with its reason. */
  private suppressFindings(): void {
    acknowledge(this, [
      {
        id: 'AwsSolutions-L1',
        reason: 'Node.js 22 is the runtime this project pins (design card); upgrades are a deliberate change.',
      },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Admin routes check the bearer token inside the function (shared/http/auth.ts) so every 401 has the OMS error body; /health and /openapi.json are public; webhooks are authenticated by signature.',
      },
    ]);
  }
}
