import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpStage, LogGroupLogDestination, type HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type ILogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { routeKeyOf } from '#shared/http/operation.ts';
import { createFunctionSet, functionOf, omsAlarm, type CarrierSettings, type DocumentBucket, type MailSettings, type OperationalSettings, type PaymentSettings } from '../constructs/function-set.ts';
import { acknowledge } from '../nag.ts';
import { functions, httpFunctions, type FunctionName, type FunctionSpec } from '../topology/functions.ts';

export interface ApiStackProps extends StackProps {
  table: Table;
  key: IKey;
  /** Seals channel secrets (envelope encryption): usable by functions with `channel:secrets`. */
  channelSecretsKey?: IKey | undefined;
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
  /** The OMS functions' one log group (the stateless stack's). */
  functionLogs: ILogGroup;
  /** The poll function, which the manual-sync route starts (in the stateless stack). */
  pollFunction: IFunction;
  /** The user pool whose access tokens the routes accept besides API keys (docs/security.md). */
  identity?: { userPoolId: string; clientId: string } | undefined;
}

/**
 * The HTTP API: one function per route (the operations of
 * shared/http/operations.ts), the API Gateway HTTP API, its stage and access
 * logs, and their alarms. A stack of its own so that each stack stays well
 * inside CloudFormation's 500 resources as the API grows: a route costs a
 * function, an alarm, an integration, a route and a permission. It depends
 * on the stateful stack (table, secrets) and on the stateless stack (the
 * function log group, the poll function); nothing depends on it.
 */
export class ApiStack extends Stack {
  readonly functions: Partial<Record<FunctionName, IFunction>>;
  readonly api: HttpApi;
  readonly #alarmAction: SnsAction;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    this.#alarmAction = new SnsAction(props.alarmTopic);
    const routed = httpFunctions();
    this.functions = createFunctionSet(
      this,
      routed.map(({ name }) => name),
      { ...props, logGroup: props.functionLogs, alarmAction: this.#alarmAction },
    );
    for (const { name } of routed) {
      const spec: FunctionSpec = functions[name];
      if (spec.access.includes('schedules:manage')) throw new Error(`${name}: routes cannot manage poll schedules; do it in a function of the stateless stack`);
      if (spec.access.includes('poll:start')) {
        const fn = functionOf(this.functions, name, this.stackName) as IFunction & { addEnvironment(key: string, value: string): void };
        fn.addEnvironment('POLL_FUNCTION_ARN', props.pollFunction.functionArn);
        // Unqualified ARN only: the sync route starts the current version.
        fn.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.pollFunction.functionArn] }));
      }
    }
    this.api = this.#createApi(props, routed);
    acknowledge(this, [
      { id: 'AwsSolutions-L1', reason: 'Node.js 22 is the runtime this project pins (design card); upgrades are a deliberate change.' },
      {
        id: 'AwsSolutions-APIG4',
        reason:
          'Admin routes check the bearer token inside the function (shared/http/auth.ts) so every 401 has the OMS error body; /health and /openapi.json are public; webhooks are authenticated by signature.',
      },
    ]);
  }

  #createApi(props: ApiStackProps, routed: ReturnType<typeof httpFunctions>): HttpApi {
    const fn = (name: FunctionName) => functionOf(this.functions, name, this.stackName);
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: props.logRetention });
    const fallback = routed.find(({ operation }) => routeKeyOf(operation) === '$default')?.name;
    const api = new HttpApi(this, 'Api', {
      description: 'OMS REST API and channel webhooks',
      createDefaultStage: false,
      ...(fallback ? { defaultIntegration: new HttpLambdaIntegration('Integration-default', fn(fallback)) } : {}),
    });
    new HttpStage(this, 'ApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 1000, burstLimit: 2000 },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: AccessLogFormat.jsonWithStandardFields() },
    });
    for (const { name, operation } of routed) {
      if (name === fallback) continue;
      api.addRoutes({ path: operation.path, methods: [operation.method as HttpMethod], integration: new HttpLambdaIntegration(`Integration-${name}`, fn(name)) });
    }
    new CfnOutput(this, 'ApiUrl', { value: api.apiEndpoint, description: 'Base URL of the OMS API' });
    omsAlarm(this, 'Api5xx', api.metricServerError({ period: Duration.minutes(5) }), 'The API answered 5xx', this.#alarmAction);
    return api;
  }
}
