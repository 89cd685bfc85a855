import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FunctionName } from '../topology/functions.ts';
import { asyncInvocation } from '../topology/async-invocations.ts';
import { localFunctionArn } from './lambda-host.ts';
import { runtimeLog as logger } from './log.ts';
import type { RecordLog } from './record-log.ts';
import { errorMessage } from './retry.ts';

/**
 * The record Lambda sends to an on-failure destination when an asynchronous
 * invocation has used up its retries: the original event under
 * `requestPayload`, and why it failed. The same shape lands in the
 * FailedInvocations queue on AWS, so one redrive reads both.
 */
export interface FailedInvocation {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetriesExhausted' | 'EventAgeExceeded';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError: 'Unhandled' };
  responsePayload: { errorType: string; errorMessage: string };
  /** Local only: who invoked (`rule:<id>`, `schedule:<id>`, `invoke`), to read the log by. */
  invokedBy: string;
}

/**
 * Lambda's asynchronous invocation, locally: the event is accepted, the
 * function is tried, retried twice after short delays (Lambda waits about one
 * and then two minutes), and an event that still fails goes to the on-failure
 * destination — never dropped, never retried 185 times.
 */
export class LocalAsyncInvoker {
  readonly #invoke: (fn: FunctionName, payload: unknown) => Promise<unknown>;
  readonly #destination: RecordLog<FailedInvocation>;
  readonly #retryDelaysMs: readonly number[];
  readonly #inFlight = new Set<Promise<boolean>>();

  constructor(options: {
    invoke: (fn: FunctionName, payload: unknown) => Promise<unknown>;
    destination: RecordLog<FailedInvocation>;
    /** Wait before each retry (default 100 ms, then 200 ms). */
    retryDelaysMs?: readonly number[];
  }) {
    this.#invoke = options.invoke;
    this.#destination = options.destination;
    this.#retryDelaysMs = options.retryDelaysMs ?? [100, 200];
  }

  /**
   * Runs one asynchronous invocation to its end: resolves true when an attempt
   * succeeded, false when the event went to the destination. Never rejects —
   * once Lambda has accepted an event, the caller (bus, scheduler) is done.
   */
  invoke(fn: FunctionName, payload: unknown, invokedBy = 'invoke'): Promise<boolean> {
    const run = this.#run(fn, payload, invokedBy);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run));
    return run;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async idle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(Math.max(0, deadline - Date.now()))]);
    }
  }

  async #run(fn: FunctionName, payload: unknown, invokedBy: string): Promise<boolean> {
    const accepted = Date.now();
    const requestId = randomUUID();
    let lastError: unknown;
    let attempts = 0;
    let condition: FailedInvocation['requestContext']['condition'] = 'RetriesExhausted';
    for (let n = 0; n <= asyncInvocation.retryAttempts; n++) {
      if (n > 0) {
        if (Date.now() - accepted > asyncInvocation.maxEventAgeSeconds * 1000) {
          condition = 'EventAgeExceeded';
          break;
        }
        await sleep(this.#retryDelaysMs[n - 1] ?? this.#retryDelaysMs.at(-1) ?? 0);
      }
      attempts++;
      try {
        await this.#invoke(fn, payload);
        return true;
      } catch (error) {
        lastError = error;
      }
    }
    logger.error('Asynchronous invocation failed every retry; sent to the on-failure destination', {
      function: fn,
      invokedBy,
      attempts,
      error: errorMessage(lastError),
    });
    this.#destination.append({
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: { requestId, functionArn: `${localFunctionArn(fn)}:$LATEST`, condition, approximateInvokeCount: attempts },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: lastError instanceof Error ? lastError.name : 'Error',
        errorMessage: lastError instanceof Error ? lastError.message : String(lastError),
      },
      invokedBy,
    });
    return false;
  }
}
