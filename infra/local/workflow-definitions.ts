import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildOmsApp } from '../build-app.ts';
import { FUNCTION_ENV, WORKFLOW_TAG, workflows, type WorkflowName } from '../topology/workflows.ts';
import type { FunctionName } from '../topology/functions.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, localFunctionArn } from './lambda-host.ts';

export interface LocalWorkflowDefinition {
  name: WorkflowName;
  /** The Amazon States Language document CDK synthesized, with local ARNs in place of the deploy-time tokens. */
  asl: AslDefinition;
  /** Task state name → the function it invokes. */
  tasks: Record<string, FunctionName>;
  /** Task states that invoke their function asynchronously (`InvocationType: Event`); their input is `{ FunctionName, Payload, InvocationType }`. */
  eventTasks: string[];
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  [key: string]: unknown;
}

interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Branches?: AslDefinition[];
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition;
  [key: string]: unknown;
}

type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };

/**
 * Synthesizes the CDK app (bundling skipped: only the definitions are needed)
 * and returns each state machine's definition ready to run locally. This is
 * the "one definition, two runtimes" seam: the local runtime never has its
 * own copy of a workflow.
 */
export function synthesizeWorkflowDefinitions(): Map<WorkflowName, LocalWorkflowDefinition> {
  const outdir = mkdtempSync(join(tmpdir(), 'oms-synth-'));
  try {
    const { app, stateless } = buildOmsApp({ outdir, skipBundling: true, nag: false });
    const template = app.synth().getStackByName(stateless.stackName).template as Template;
    return workflowsFromTemplate(template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function workflowsFromTemplate(template: Template): Map<WorkflowName, LocalWorkflowDefinition> {
  const functionByLogicalId = new Map<string, FunctionName>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const variables = (resource.Properties?.['Environment'] as { Variables?: Record<string, string> } | undefined)?.Variables;
    const name = variables?.[FUNCTION_ENV];
    if (name) functionByLogicalId.set(logicalId, name as FunctionName);
  }

  const definitions = new Map<WorkflowName, LocalWorkflowDefinition>();
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::StepFunctions::StateMachine') continue;
    const tags = (resource.Properties?.['Tags'] as { Key: string; Value: string }[] | undefined) ?? [];
    const name = tags.find((tag) => tag.Key === WORKFLOW_TAG)?.Value as WorkflowName | undefined;
    if (!name || !(name in workflows)) continue;
    const text = resolveIntrinsics(resource.Properties?.['DefinitionString'], functionByLogicalId);
    const asl = JSON.parse(text) as AslDefinition;
    const tasks: Record<string, FunctionName> = {};
    const eventTasks: string[] = [];
    collectTasks(asl, tasks, eventTasks);
    definitions.set(name, { name, asl, tasks, eventTasks });
  }
  return definitions;
}

function resolveIntrinsics(value: unknown, functionByLogicalId: Map<string, FunctionName>): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => resolveIntrinsics(part, functionByLogicalId)).join(separator);
    }
    if ('Fn::GetAtt' in object) {
      const [logicalId, attribute] = object['Fn::GetAtt'] as [string, string];
      const name = functionByLogicalId.get(logicalId);
      if (name && attribute === 'Arn') return localFunctionArn(name);
      throw new Error(`Cannot run locally: the definition references ${logicalId}.${attribute}`);
    }
    if ('Ref' in object) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': LOCAL_REGION,
        'AWS::AccountId': LOCAL_ACCOUNT,
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const ref = String(object['Ref']);
      const resolved = pseudo[ref];
      if (resolved !== undefined) return resolved;
      throw new Error(`Cannot run locally: the definition references ${ref}`);
    }
  }
  throw new Error(`Cannot run locally: unsupported intrinsic ${JSON.stringify(value)}`);
}

const LAMBDA_ARN = /^arn:aws:lambda:[^:]+:[^:]+:function:([^:]+)/;

function collectTasks(definition: AslDefinition, tasks: Record<string, FunctionName>, eventTasks: string[]): void {
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type === 'Task') {
      const target =
        state.Resource === 'arn:aws:states:::lambda:invoke' ? String(state.Parameters?.['FunctionName'] ?? '') : (state.Resource ?? '');
      const match = LAMBDA_ARN.exec(target);
      if (!match?.[1]) throw new Error(`Cannot run locally: task ${stateName} calls ${target}, not an OMS function`);
      if (tasks[stateName]) throw new Error(`Task state names must be unique within a workflow: ${stateName}`);
      tasks[stateName] = match[1] as FunctionName;
      if (state.Resource === 'arn:aws:states:::lambda:invoke' && state.Parameters?.['InvocationType'] === 'Event') eventTasks.push(stateName);
    }
    for (const branch of state.Branches ?? []) collectTasks(branch, tasks, eventTasks);
    if (state.Iterator) collectTasks(state.Iterator, tasks, eventTasks);
    if (state.ItemProcessor) collectTasks(state.ItemProcessor, tasks, eventTasks);
  }
}
