import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvokeStoreBase } from '@aws/lambda-invoke-store';
import type { Context } from 'aws-lambda';
import { functions, type FunctionName, type FunctionSpec } from '../topology/functions.ts';
import { repoRoot } from '../paths.ts';
import type { Faults } from './faults.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

type StoreContext = Record<string | symbol, unknown>;

/**
 * The invocation store of Lambda managed instances (many invocations at once
 * in one process), on AsyncLocalStorage: Powertools keeps each invocation's
 * log keys (function name, request id, correlation id) in it when
 * AWS_LAMBDA_MAX_CONCURRENCY is set.
 *
 * The host brings its own rather than `InvokeStore.getInstanceAsync(true)`:
 * that returns whichever store was created first in the process, and the AWS
 * SDK creates one on its first call (DynamoDB Local's table is created before
 * the handlers' environment is set), a single-context store whose `run`
 * overwrites one process-wide context, so concurrent invocations logged under
 * each other's function name and correlation id.
 */
class ConcurrentInvokeStore extends InvokeStoreBase {
  readonly #contexts = new AsyncLocalStorage<StoreContext>();

  getContext(): StoreContext | undefined {
    return this.#contexts.getStore();
  }

  hasContext(): boolean {
    return this.#contexts.getStore() !== undefined;
  }

  get<T = unknown>(key: string | symbol): T | undefined {
    return this.#contexts.getStore()?.[key] as T | undefined;
  }

  set<T = unknown>(key: string | symbol, value: T): void {
    if (this.isProtectedKey(key)) throw new Error(`Cannot modify protected Lambda context field: ${String(key)}`);
    const context = this.#contexts.getStore();
    if (!context) throw new Error('No invocation context');
    context[key] = value;
  }

  run<T>(context: StoreContext, fn: () => T): T {
    return this.#contexts.run(context, fn);
  }
}

const invocations = new ConcurrentInvokeStore();

/** Makes the host's store the one Powertools reads (`globalThis.awslambda.InvokeStore`), whatever was there. */
function installInvokeStore(): ConcurrentInvokeStore {
  const runtime = ((globalThis as { awslambda?: { InvokeStore?: InvokeStoreBase } }).awslambda ??= {});
  runtime.InvokeStore = invocations;
  return invocations;
}

/**
 * Runs the OMS's Lambda handlers in this process: the same modules Lambda
 * loads (imported once, like a warm container), called with a Lambda-shaped
 * context and the function's timeout. Each invocation runs in its own
 * invocation-store scope, as on Lambda managed instances, so concurrent
 * invocations keep their own Powertools state (correlation ids, log keys).
 */
export class LambdaHost {
  readonly #handlers = new Map<FunctionName, Promise<Handler>>();
  readonly #inFlight = new Set<Promise<unknown>>();
  #invocations = 0;
  readonly #metered = new Map<FunctionName, { invocations: number; milliseconds: number }>();
  /** Injected crashes (the fault campaign); undefined when no faults are configured. */
  readonly #faults: Faults | undefined;

  constructor(options: { faults?: Faults } = {}) {
    this.#faults = options.faults;
  }

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
    const store = installInvokeStore();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Task timed out after ${timeoutMs / 1000} seconds (${name})`)),
        timeoutMs,
      );
    });
    const started = performance.now();
    try {
      const result = await Promise.race([
        store.run({ [InvokeStoreBase.PROTECTED_KEYS.REQUEST_ID]: requestId }, () => handler(event, context)),
        timeout,
      ]);
      this.#faults?.afterHandler(name);
      return result;
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
