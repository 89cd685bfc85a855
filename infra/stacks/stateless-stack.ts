import { Duration, RemovalPolicy, Stack, Tags, TimeZone, type CfnElement, type StackProps } from 'aws-cdk-lib';
import { Metric, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Schedule, ScheduleExpression, ScheduleTargetInput, type ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke as ScheduleLambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { eventCatalog } from '#events/catalog.ts';
import { eventJsonSchema } from '#events/json-schema.ts';
import { createFunctionSet, functionOf, omsAlarm, type CarrierSettings, type DocumentBucket, type MailSettings, type OperationalSettings, type PaymentSettings } from '../constructs/function-set.ts';
import { acknowledge } from '../nag.ts';
import { OMS_PUBLISHER_TAG } from '../constructs/identity.ts';
import { functionNames, functions, type FunctionName, type FunctionSpec } from '../topology/functions.ts';
import { pipes, type PipeName, type PipeSpec } from '../topology/pipes.ts';
import { queues, type QueueName } from '../topology/queues.ts';
import { rules } from '../topology/rules.ts';
import { schedules } from '../topology/schedules.ts';
import { asyncInvocation, asynchronousFunctions } from '../topology/async-invocations.ts';
import { WORKFLOW_TAG, workflows, type WorkflowName } from '../topology/workflows.ts';
import { workflowBuilders } from '../workflows/index.ts';

export interface StatelessStackProps extends StackProps {
  table: Table;
  key: IKey;
  /** Seals channel secrets (envelope encryption): usable by functions with `channel:secrets`. */
  channelSecretsKey?: IKey | undefined;
  bus: EventBus;
  pipeDeadLetters: Queue;
  eventDeadLetters: Queue;
  scheduleDeadLetters: Queue;
  /** On-failure destination of the asynchronously invoked functions. */
  failedInvocations: Queue;
  queues: Record<QueueName, { queue: Queue; deadLetters: Queue }>;
  pollSchedules: ScheduleGroup;
  apiToken: Secret;
  carrierWebhookSecret: Secret;
  alarmTopic: Topic;
  mailFrom: string;
  opsEmail: string;
  mail?: MailSettings | undefined;
  settings?: OperationalSettings | undefined;
  payments?: PaymentSettings | undefined;
  carriers?: CarrierSettings | undefined;
  /** The document bucket of the stateful stack (label files). */
  documents?: DocumentBucket | undefined;
  logRetention: RetentionDays;
  /** Name of the Shopify EventBridge partner event source, when the merchant set one up. */
  shopifyEventSource?: string | undefined;
}

/**
 * Everything that can be redeployed freely, except the HTTP API (its own
 * stack, infra/stacks/api-stack.ts): the functions that are not routes, the
 * pipes, queue consumers, bus rules, schedules, state machines and alarms.
 * Built from the topology in infra/topology, which the local runtime reads too.
 */
export class StatelessStack extends Stack {
  /** The functions this stack deploys: every one that is not an HTTP route (those are in the API stack). */
  readonly functions: Partial<Record<FunctionName, IFunction>>;
  /** The one log group of every OMS function, in this stack and in the API stack. */
  readonly functionLogs: LogGroup;
  readonly stateMachines: Record<WorkflowName, StateMachine>;
  readonly #alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    this.#alarmAction = new SnsAction(props.alarmTopic);

    // One log group for every function: JSON lines carry `function_name` (Logs Insights filters on it),
    // and the stacks save a resource per function against CloudFormation's 500.
    this.functionLogs = new LogGroup(this, 'FunctionLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    this.functions = createFunctionSet(
      this,
      functionNames.filter((name) => !(functions[name] as FunctionSpec).http),
      { ...props, logGroup: this.functionLogs, alarmAction: this.#alarmAction },
    );
    this.#wireCrossFunctionAccess(props, this.functions);
    this.#configureAsyncInvocations(props);
    const fn = (name: FunctionName) => functionOf(this.functions, name, this.stackName);

    this.stateMachines = this.#createWorkflows(props);
    this.#createSchemaRegistry();

    // Bus rules. The dead-letter queue is imported: its policy for EventBridge is set in the stateful stack.
    const eventDeadLetters = Queue.fromQueueArn(this, 'EventDeadLettersRef', props.eventDeadLetters.queueArn);
    // Queues that rules target are imported too: the stateful stack grants EventBridge (scoped to this bus's rules).
    const imported = new Map<QueueName, ReturnType<typeof Queue.fromQueueArn>>();
    const queueRefs = (name: QueueName) => {
      if (!imported.has(name)) imported.set(name, Queue.fromQueueArn(this, `RuleTargetQueue-${name}`, props.queues[name].queue.queueArn));
      return imported.get(name) as ReturnType<typeof Queue.fromQueueArn>;
    };
    for (const rule of rules) {
      const { source, 'detail-type': detailType, detail } = rule.pattern as Record<string, unknown>;
      const delivery = { deadLetterQueue: eventDeadLetters, retryAttempts: rule.retryAttempts, maxEventAge: Duration.seconds(rule.maxEventAgeSeconds) };
      new Rule(this, `Rule-${rule.id}`, {
        eventBus: props.bus,
        description: rule.description,
        eventPattern: { source: source as string[], detailType: detailType as string[], ...(detail ? { detail: detail as Record<string, unknown> } : {}) },
        targets: [
          'workflow' in rule.target
            ? new SfnStateMachine(this.stateMachines[rule.target.workflow], delivery)
            : 'queue' in rule.target
              ? new SqsQueue(queueRefs(rule.target.queue), { ...delivery, message: RuleTargetInput.fromEventPath(rule.target.message === 'event' ? '$' : '$.detail') })
              : new LambdaFunction(fn(rule.target.function), delivery),
        ],
      });
    }
    this.#alarm('EventDeadLetters', props.eventDeadLetters.metricApproximateNumberOfMessagesVisible(), 'Events were dead-lettered');

    // Shopify's EventBridge partner event source (optional): same inbox as the webhook route.
    if (props.shopifyEventSource) {
      new Rule(this, 'Rule-ShopifyPartnerEvents', {
        eventBus: EventBus.fromEventBusName(this, 'ShopifyPartnerBus', props.shopifyEventSource),
        description: 'Shopify order webhooks delivered through the EventBridge partner event source',
        eventPattern: { source: [{ prefix: 'aws.partner/shopify.com' }] as unknown as string[] },
        targets: [new LambdaFunction(fn('receiveShopifyEvent'), { deadLetterQueue: eventDeadLetters, retryAttempts: 8 })],
      });
    }

    // Pipes from the table stream: the outbox to the bus, the inbox to the capture queue.
    for (const [name, spec] of Object.entries(pipes) as [PipeName, PipeSpec][]) this.#createPipe(name, spec, props);
    this.#alarm('PipeDeadLetters', props.pipeDeadLetters.metricApproximateNumberOfMessagesVisible(), 'A pipe dead-lettered stream records');

    // Queue consumers.
    for (const [name, spec] of Object.entries(queues) as [QueueName, (typeof queues)[QueueName]][]) {
      const { queue, deadLetters } = props.queues[name];
      fn(spec.consumer).addEventSource(
        new SqsEventSource(queue, {
          batchSize: spec.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: spec.maxConcurrency,
          ...(spec.maxBatchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(spec.maxBatchingWindowSeconds) } : {}),
        }),
      );
      this.#alarm(`QueueDeadLetters-${name}`, deadLetters.metricApproximateNumberOfMessagesVisible(), `${name} messages were dead-lettered`);
      this.#alarm(
        `QueueBacklog-${name}`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) }),
        `${name} messages waited more than 5 minutes`,
        300,
      );
    }

    // A write-back the channel refused, or that kept failing until its last delivery (functions/channels/write-back.ts).
    this.#alarm(
      'ChannelSyncFailed',
      new Metric({ namespace: 'OMS', metricName: 'ChannelSyncFailed', dimensionsMap: { service: 'oms' }, statistic: 'Sum', period: Duration.minutes(5) }),
      'A shipment, cancellation or refund could not be written back to its channel (GET /v1/orders?channelSync=failed)',
    );

    // Static schedules.
    for (const schedule of schedules) {
      acknowledge(this, [
        {
          id: `AwsSolutions-IAM5[Resource::<${this.#logicalIdOf(fn(schedule.target.function))}.Arn>:*]`,
          reason: "EventBridge Scheduler's generated role may invoke any version of the scheduled function.",
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
    this.#alarm('ScheduleDeadLetters', props.scheduleDeadLetters.metricApproximateNumberOfMessagesVisible(), 'Scheduled jobs were dead-lettered');

    this.#suppressFindings();
  }

  /**
   * Lambda retries an asynchronous invocation twice and then drops it unless the function has an on-failure
   * destination: every function a rule, a schedule or `InvocationType: Event` starts sends what still fails to the
   * FailedInvocations queue (the original event under requestPayload, redrivable: docs/operations.md).
   */
  #configureAsyncInvocations(props: StatelessStackProps): void {
    const destination = new SqsDestination(Queue.fromQueueArn(this, 'FailedInvocationsRef', props.failedInvocations.queueArn));
    for (const name of asynchronousFunctions()) {
      const fn = this.functions[name];
      if (!fn) continue;
      fn.configureAsyncInvoke({
        retryAttempts: asyncInvocation.retryAttempts,
        maxEventAge: Duration.seconds(asyncInvocation.maxEventAgeSeconds),
        onFailure: destination,
      });
    }
    this.#alarm('FailedInvocations', props.failedInvocations.metricApproximateNumberOfMessagesVisible(), 'An asynchronous invocation failed every retry (redrive: docs/operations.md)');
  }

  #wireCrossFunctionAccess(props: StatelessStackProps, created: Partial<Record<FunctionName, IFunction>>): void {
    // Access that names other functions is wired once they all exist.
    const poll = functionOf(created, 'pollChannel', this.stackName);
    const schedulerRole = new Role(this, 'PollSchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Assumed by the per-channel poll schedules to start the poll function',
    });
    // Unqualified ARN only: schedules and the sync route start the current version.
    const invokePoll = new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [poll.functionArn] });
    schedulerRole.addToPolicy(invokePoll);
    props.scheduleDeadLetters.grantSendMessages(schedulerRole);
    for (const name of Object.keys(created) as FunctionName[]) {
      const spec: FunctionSpec = functions[name];
      const fn = functionOf(created, name, this.stackName) as IFunction & { addEnvironment(key: string, value: string): void };
      if (spec.access.includes('capture:deadLetters')) {
        // The reconciler captures again what the capture queue dead-lettered, and deletes it (docs/operations.md).
        fn.addEnvironment('CAPTURE_DLQ_URL', props.queues.capture.deadLetters.queueUrl);
        fn.addToRolePolicy(new PolicyStatement({ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'], resources: [props.queues.capture.deadLetters.queueArn] }));
      }
      if (spec.access.includes('poll:start') || spec.access.includes('schedules:manage')) fn.addEnvironment('POLL_FUNCTION_ARN', poll.functionArn);
      if (spec.access.includes('poll:start')) fn.addToRolePolicy(invokePoll);
      if (spec.access.includes('schedules:manage')) {
        fn.addEnvironment('SCHEDULER_ROLE_ARN', schedulerRole.roleArn);
        fn.addEnvironment('SCHEDULE_GROUP', props.pollSchedules.scheduleGroupName);
        fn.addEnvironment('SCHEDULE_DLQ_ARN', props.scheduleDeadLetters.queueArn);
        fn.addToRolePolicy(
          new PolicyStatement({
            actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
            resources: [
              this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${props.pollSchedules.scheduleGroupName}/oms-poll-*` }),
            ],
          }),
        );
        fn.addToRolePolicy(new PolicyStatement({ actions: ['iam:PassRole'], resources: [schedulerRole.roleArn] }));
        acknowledge(fn.role ?? fn, [
          {
            id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${String(this.resolve(props.pollSchedules.scheduleGroupName))}/oms-poll-*]`,
            reason: 'Poll schedules are named after channels created at run time (oms-poll-<channelId>); the wildcard stays inside the OMS schedule group.',
          },
        ]);
      }
    }
  }

  #createWorkflows(props: StatelessStackProps): Record<WorkflowName, StateMachine> {
    const machines = {} as Record<WorkflowName, StateMachine>;
    for (const [name, workflow] of Object.entries(workflows) as [WorkflowName, (typeof workflows)[WorkflowName]][]) {
      const logs = new LogGroup(this, `WorkflowLogs-${name}`, { retention: props.logRetention, logGroupName: `/aws/vendedlogs/states/${this.stackName}-${name}` });
      const invoked = new Set<FunctionName>();
      const definition = workflowBuilders[name](this, (task) => (invoked.add(task), functionOf(this.functions, task, this.stackName)));
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
        { id: 'AwsSolutions-IAM5[Resource::*]', reason: 'Log delivery and X-Ray actions of Step Functions support no resource scoping.' },
        ...[...invoked].map((task) => ({
          id: `AwsSolutions-IAM5[Resource::<${this.#logicalIdOf(functionOf(this.functions, task, this.stackName))}.Arn>:*]`,
          reason: 'Task states may invoke any version or alias of their own function.',
        })),
      ]);
      this.#alarm(`WorkflowFailed-${name}`, machine.metricFailed({ period: Duration.minutes(5) }), `${name} executions failed`);
      machines[name] = machine;
    }
    return machines;
  }

  /** Event contracts in the EventBridge Schema Registry, generated from events/. */
  #createSchemaRegistry(): void {
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
  }

  #createPipe(name: PipeName, spec: PipeSpec, props: StatelessStackProps): void {
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('The OMS table must have a stream: the pipes read it');
    const id = name.charAt(0).toUpperCase() + name.slice(1);
    const statements: PolicyStatement[] = [];
    if (spec.enrichment) statements.push(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [functionOf(this.functions, spec.enrichment, this.stackName).functionArn] }));
    const targetArn = 'bus' in spec.target ? props.bus.eventBusArn : props.queues[spec.target.queue].queue.queueArn;
    if ('bus' in spec.target) statements.push(new PolicyStatement({ actions: ['events:PutEvents'], resources: [targetArn] }));
    const role = new Role(this, `${id}PipeRole`, {
      assumedBy: new ServicePrincipal('pipes.amazonaws.com'),
      ...(statements.length ? { inlinePolicies: { pipe: new PolicyDocument({ statements }) } } : {}),
    });
    // The bus refuses oms.* events from principals without this tag (infra/constructs/identity.ts).
    if ('bus' in spec.target) Tags.of(role).add(OMS_PUBLISHER_TAG.key, OMS_PUBLISHER_TAG.value);
    if ('queue' in spec.target) props.queues[spec.target.queue].queue.grantSendMessages(role);
    props.table.grantStreamRead(role);
    props.pipeDeadLetters.grantSendMessages(role);
    acknowledge(role, [{ id: 'AwsSolutions-IAM5[Resource::*]', reason: 'dynamodb:ListStreams supports no resource scoping.' }]);
    const logs = new LogGroup(this, `${id}PipeLogs`, { retention: props.logRetention });
    logs.grantWrite(role);
    new CfnPipe(this, `${id}Pipe`, {
      description: spec.description,
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: spec.batchSize,
          maximumRetryAttempts: spec.retryAttempts,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          deadLetterConfig: { arn: props.pipeDeadLetters.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(spec.filter) }] },
      },
      ...(spec.enrichment ? { enrichment: functionOf(this.functions, spec.enrichment, this.stackName).functionArn } : {}),
      target: targetArn,
      targetParameters: {
        inputTemplate: spec.target.inputTemplate,
        ...('bus' in spec.target
          ? { eventBridgeEventBusParameters: { detailType: spec.target.detailTypePath, source: spec.target.sourcePath } }
          : {}),
      },
      logConfiguration: { level: 'ERROR', cloudwatchLogsLogDestination: { logGroupArn: logs.logGroupArn } },
    });
  }

  #alarm(id: string, metric: IMetric, description: string, threshold = 1): void {
    omsAlarm(this, id, metric, description, this.#alarmAction, threshold);
  }

  #logicalIdOf(fn: IFunction): string {
    return this.getLogicalId(fn.node.defaultChild as CfnElement);
  }

  /** cdk-nag findings that are decisions for the whole stack, each with its reason. */
  #suppressFindings(): void {
    acknowledge(this, [
      { id: 'AwsSolutions-L1', reason: 'Node.js 22 is the runtime this project pins (design card); upgrades are a deliberate change.' },
    ]);
  }
}
