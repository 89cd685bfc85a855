import { Duration } from 'aws-cdk-lib';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { ManagedPolicy, Role, ServicePrincipal, type IRole } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { join } from 'node:path';
import type { FunctionName, FunctionSpec } from '../topology/functions.ts';
import { FUNCTION_ENV } from '../topology/workflows.ts';
import { repoRoot } from '../paths.ts';
import { acknowledge } from '../nag.ts';

export interface OmsFunctionProps {
  name: FunctionName;
  spec: FunctionSpec;
  environment: Record<string, string>;
  /** The execution role, shared by the functions with the same access (see the stateless stack). */
  role: IRole;
  /** The log group all OMS functions write to (JSON lines carrying `function_name`). */
  logGroup: ILogGroup;
}

/**
 * The only way the OMS creates a Lambda function: Node.js 22 on arm64,
 * bundled by esbuild as minified ESM with source maps (AWS SDK v3 comes from
 * the runtime), X-Ray tracing, JSON logs in the OMS functions' log group
 * (one group with a retention period; each line names its function), and
 * the Powertools environment.
 */
export class OmsFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: OmsFunctionProps) {
    super(scope, id);
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(repoRoot, props.spec.entry),
      handler: 'handler',
      description: props.spec.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.spec.memoryMb ?? 512,
      timeout: Duration.seconds(props.spec.timeoutSeconds ?? 10),
      tracing: Tracing.ACTIVE,
      role: props.role,
      logGroup: props.logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      environment: {
        ...props.environment,
        [FUNCTION_ENV]: props.name,
        // A sender's claim is taken over once older than this (docs/operations.md): the handler cannot read its own timeout from Lambda's configuration.
        FUNCTION_TIMEOUT_SECONDS: String(props.spec.timeoutSeconds ?? 10),
        POWERTOOLS_SERVICE_NAME: 'oms',
        POWERTOOLS_METRICS_NAMESPACE: 'OMS',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); give ESM bundles one.
        banner: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);",
        externalModules: ['@aws-sdk/*'],
      },
    });
  }
}

/**
 * One execution role per access profile (the set of `access` entries, and
 * whether the function checks the API token): functions that may do exactly
 * the same things share it. Least privilege is unchanged — a role grants
 * what every function using it needs — and the stack stays far below
 * CloudFormation's 500-resource limit (a role and a policy per function
 * would take two of every five resources).
 */
export function lambdaExecutionRole(scope: Construct, id: string, description: string): Role {
  const role = new Role(scope, id, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description,
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
  acknowledge(role, [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS-maintained minimum for writing the function\'s own logs.',
    },
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords) and SMS (sns:Publish to a phone number) support no resource scoping.',
    },
  ]);
  return role;
}
