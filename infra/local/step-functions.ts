import { randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';

/** Execution input and output are JSON (what the library's JSONValue type describes). */
type JsonValue = Parameters<StateMachine['run']>[0];
import { runtimeLog as logger } from './log.ts';
import type { FunctionName } from '../topology/functions.ts';
import type { WorkflowName } from '../topology/workflows.ts';
import type { LambdaHost } from './lambda-host.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda-host.ts';
import { errorMessage } from './retry.ts';
import type { LocalWorkflowDefinition } from './workflow-definitions.ts';

export interface Execution {
  executionArn: string;
  workflow: WorkflowName;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  input: unknown;
  output?: unknown;
  error?: string;
  startDate: string;
  stopDate?: string;
}

/**
 * Runs the synthesized state machines with aws-local-stepfunctions, each
 * Lambda task state mapped to the local handler of its function.
 * `startExecution` returns at once, like StartExecution; the execution runs in
 * the background and is recorded, with its outcome, in `executions`.
 */
export class LocalStepFunctions {
  readonly #machines = new Map<WorkflowName, { machine: StateMachine; definition: LocalWorkflowDefinition }>();
  readonly #lambdas: LambdaHost;
  readonly #invokeAsync: ((fn: FunctionName, payload: unknown, invokedBy: string) => void) | undefined;
  readonly #running = new Map<string, { abort: () => void; done: Promise<unknown> }>();
  readonly executions: Execution[] = [];

  constructor(
    definitions: Map<WorkflowName, LocalWorkflowDefinition>,
    lambdas: LambdaHost,
    /** `InvocationType: Event` tasks: Lambda's asynchronous invocation (retries, then the on-failure destination); run synchronously when absent. */
    invokeAsync?: (fn: FunctionName, payload: unknown, invokedBy: string) => void,
  ) {
    this.#lambdas = lambdas;
    this.#invokeAsync = invokeAsync;
    for (const [name, definition] of definitions) {
      this.#machines.set(name, {
        machine: new StateMachine(definition.asl as ConstructorParameters<typeof StateMachine>[0]),
        definition,
      });
    }
  }

  get workflows(): WorkflowName[] {
    return [...this.#machines.keys()];
  }

  /**
   * `retryWaitMs` replaces the waits of the definition's Retry fields (the same retries, without their wall-clock
   * back-off): the event fuzzer runs thousands of failing executions.
   */
  startExecution(workflow: WorkflowName, input: unknown, options: { retryWaitMs?: number } = {}): Execution {
    const entry = this.#machines.get(workflow);
    if (!entry) throw new Error(`Unknown workflow ${workflow}`);
    const name = randomUUID();
    const executionArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${workflow}:${name}`;
    const execution: Execution = { executionArn, workflow, status: 'RUNNING', input, startDate: new Date().toISOString() };
    this.executions.push(execution);
    const overrides = Object.fromEntries(
      Object.entries(entry.definition.tasks).map(([state, fn]) => [
        state,
        async (taskInput: JsonValue) => {
          if (this.#invokeAsync && entry.definition.eventTasks.includes(state)) {
            // Accepted at once, as Lambda answers an Event invocation: 202 and no payload.
            this.#invokeAsync(fn, (taskInput as { Payload?: unknown } | null)?.Payload ?? {}, `workflow:${workflow}/${state}`);
            return { StatusCode: 202, Payload: '' } as JsonValue;
          }
          return (await this.#lambdas.invoke(fn, taskInput)) as JsonValue;
        },
      ]),
    );
    const run = entry.machine.run(input as JsonValue, {
      overrides: {
        taskResourceLocalHandlers: overrides,
        ...(options.retryWaitMs === undefined ? {} : { retryIntervalOverrides: Object.fromEntries(Object.keys(entry.definition.tasks).map((state) => [state, options.retryWaitMs as number])) }),
      },
      context: {
        Execution: { Id: executionArn, Name: name, Input: input as JsonValue, StartTime: execution.startDate },
        StateMachine: { Id: `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${workflow}`, Name: workflow },
      },
    });
    const done = run.result.then(
      (output: unknown) => {
        Object.assign(execution, { status: 'SUCCEEDED', output, stopDate: new Date().toISOString() });
      },
      (error: unknown) => {
        const aborted = error instanceof Error && error.name === 'ExecutionAbortedError';
        Object.assign(execution, { status: aborted ? 'ABORTED' : 'FAILED', error: errorMessage(error), stopDate: new Date().toISOString() });
        if (!aborted) logger.error('Workflow execution failed', { workflow, executionArn, error: errorMessage(error) });
      },
    );
    this.#running.set(executionArn, { abort: run.abort, done });
    void done.finally(() => this.#running.delete(executionArn));
    return execution;
  }

  /** Resolves when the execution has ended, however it ended (at once for one not running). */
  async finished(executionArn: string): Promise<void> {
    await this.#running.get(executionArn)?.done;
  }

  /** Runs an execution to its end (tests, CLI). */
  async execute(workflow: WorkflowName, input: unknown, options: { retryWaitMs?: number } = {}): Promise<Execution> {
    const execution = this.startExecution(workflow, input, options);
    await this.#running.get(execution.executionArn)?.done;
    return execution;
  }

  /** Waits for running executions; aborts those still running after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const all = Promise.allSettled([...this.#running.values()].map((r) => r.done));
    const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs));
    await Promise.race([all, timer]);
    for (const running of this.#running.values()) running.abort();
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#running.size > 0 && Date.now() < deadline) {
      await Promise.race([
        Promise.allSettled([...this.#running.values()].map((r) => r.done)),
        new Promise((resolve) => setTimeout(resolve, deadline - Date.now())),
      ]);
    }
  }
}
