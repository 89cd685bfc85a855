import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeStore, InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { functions, type FunctionName, type FunctionSpec } from '../topology/functions.ts';
import { repoRoot } from '../paths.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Runs the OMS's Lambda handlers in this process: the same modules Lambda
 * loads (imported once, like a warm container), called with a Lambda-shaped
 * context and the function's timeout. Each invocation runs in its own
 * InvokeStore scope, as on Lambda managed instances, so concurrent
 * invocations keep their own Powertools state (correlation ids, log keys).
 */
export class LambdaHost {
  readonly #handlers = new Map<FunctionName, Promise<Handler>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #invocations = 0;
  readonly #metered = new Map<FunctionName, { invocations: number; milliseconds: number }>();

  /** Number of invocations so far (for diagnostics and benchmarks). */
  get invocations(): number {
    return this.#invocations;
  }

  /** Invocations and their total duration, per function, so far (the benchmarks' cost model bills them). */
  meter(): Record<string, { invocations: number; milliseconds: number }> {
    return Object.fromEntries([...this.#metered].map(([name, m]) => [name, { ...m }]));
  }

  /** Imports every handler now, so configuration errors surface at start, not on first use. */
  async loadAll(): Promise<void> {
    await Promise.all((Object.keys(functions) as FunctionName[]).map((name) => this.#load(name)));
  }

  /** Invocations running now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Resolves when no invocation is running (or after `timeoutMs`). */
  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.#inFlight]), new Promise((resolve) => setTimeout(resolve, deadline - Date.now()))]);
    }
  }

  invoke(name: FunctionName, event: unknown): Promise<unknown> {
    const run = this.#invoke(name, event);
    this.#inFlight.add(run);
    void run.then(
      () => this.#inFlight.delete(run),
      () => this.#inFlight.delete(run),
    );
    return run;
  }

  async #invoke(name: FunctionName, event: unknown): Promise<unknown> {
    const handler = await this.#load(name);
    const spec: FunctionSpec = functions[name];
    const timeoutMs = (spec.timeoutSeconds ?? 10) * 1000;
    const requestId = randomUUID();
    const deadline = Date.now() + timeoutMs;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: `oms-local-${name}`,
      functionVersion: '$LATEST',
      invokedFunctionArn: localFunctionArn(name),
      memoryLimitInMB: String(spec.memoryMb ?? 512),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/oms-local-${name}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    this.#invocations++;
    const store = await InvokeStore.getInstanceAsync(true);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Task timed out after ${timeoutMs / 1000} seconds (${name})`)),
        timeoutMs,
      );
    });
    const started = performance.now();
    try {
      return await Promise.race([
        store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, () => handler(event, context)),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
      const metered = this.#metered.get(name) ?? { invocations: 0, milliseconds: 0 };
      metered.invocations++;
      metered.milliseconds += performance.now() - started;
      this.#metered.set(name, metered);
    }
  }

  #load(name: FunctionName): Promise<Handler> {
    let loaded = this.#handlers.get(name);
    if (!loaded) {
      const spec: FunctionSpec = functions[name];
      loaded = import(pathToFileURL(join(repoRoot, spec.entry)).href).then((module: { handler?: unknown }) => {
        if (typeof module.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
        return module.handler as Handler;
      });
      this.#handlers.set(name, loaded);
    }
    return loaded;
  }
}

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export function localFunctionArn(name: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
}
