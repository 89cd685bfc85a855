import { InternalServerError, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FunctionName } from '../topology/functions.ts';

/**
 * Fault injection for the local runtime (the fault campaign, `npm run chaos`,
 * docs/operations.md "Fault campaign"). Off unless configured: with no
 * faults the runtime installs nothing and every hook below is skipped.
 *
 * Each share is the probability (0..1) that one call, invocation or delivery
 * fails. Failures are the ones AWS produces, thrown where AWS throws them:
 *
 * - `dynamoThrottle`: a DynamoDB call of the handlers fails before it is sent
 *   with the SDK's ProvisionedThroughputExceededException (nothing written);
 * - `dynamoServerError`: a DynamoDB call is SENT, then fails with the SDK's
 *   InternalServerError — the write happened but the caller saw a failure,
 *   the harshest case for idempotency;
 * - `crash`: a function throws after its handler ran (its writes done),
 *   before returning — as a Lambda that runs out of memory or time would;
 * - `deliveryFailure`: the event bus fails one delivery attempt to a target
 *   (the rule's retry policy applies, as on EventBridge).
 *
 * Failures come from a seeded generator so a run's share is reproducible.
 */
export interface FaultOptions {
  dynamoThrottle?: number;
  dynamoServerError?: number;
  crash?: { share: number; functions?: readonly FunctionName[] };
  deliveryFailure?: number;
  seed?: number;
}

/** What the runtime's fault hooks injected so far, per kind. */
export interface FaultCounts {
  dynamoThrottle: number;
  dynamoServerError: number;
  crash: number;
  deliveryFailure: number;
}

export class InjectedCrash extends Error {
  constructor(functionName: string) {
    super(`Injected crash: ${functionName} failed after its handler ran (fault campaign)`);
    this.name = 'InjectedCrash';
  }
}

export class InjectedDeliveryFailure extends Error {
  constructor() {
    super('Injected delivery failure: the bus could not reach the target (fault campaign)');
    this.name = 'InjectedDeliveryFailure';
  }
}

const MIDDLEWARE = 'omsFaultInjection';

/**
 * The faults of one runtime. `enabled` switches them all off and on (the
 * campaign switches them off to read back what the OMS holds).
 */
export class Faults {
  readonly options: FaultOptions;
  readonly counts: FaultCounts = { dynamoThrottle: 0, dynamoServerError: 0, crash: 0, deliveryFailure: 0 };
  enabled = true;
  #state: number;
  readonly #crashFunctions: ReadonlySet<string> | undefined;

  constructor(options: FaultOptions) {
    for (const [name, share] of [
      ['dynamoThrottle', options.dynamoThrottle],
      ['dynamoServerError', options.dynamoServerError],
      ['crash.share', options.crash?.share],
      ['deliveryFailure', options.deliveryFailure],
    ] as const) {
      if (share !== undefined && !(share >= 0 && share <= 1)) throw new Error(`Fault share ${name} must be between 0 and 1, got ${String(share)}`);
    }
    this.options = options;
    this.#state = (options.seed ?? 12) >>> 0;
    this.#crashFunctions = options.crash?.functions ? new Set(options.crash.functions) : undefined;
  }

  /** Mulberry32: small, seeded, good enough to pick a share of calls. */
  #random(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  #hit(share: number | undefined): boolean {
    return this.enabled && share !== undefined && share > 0 && this.#random() < share;
  }

  /** Called by the Lambda host after a handler returned: may throw as if the function crashed before answering. */
  afterHandler(name: FunctionName): void {
    const crash = this.options.crash;
    if (!crash || (this.#crashFunctions && !this.#crashFunctions.has(name))) return;
    if (this.#hit(crash.share)) {
      this.counts.crash++;
      throw new InjectedCrash(name);
    }
  }

  /** Called by the bus before each delivery attempt: may throw as if the target could not be reached. */
  beforeDelivery(): void {
    if (this.#hit(this.options.deliveryFailure)) {
      this.counts.deliveryFailure++;
      throw new InjectedDeliveryFailure();
    }
  }

  /**
   * Adds the DynamoDB faults to a document client (the one the handlers
   * share), above the SDK's own retries so the caller sees them.
   */
  instrument(client: DynamoDBDocumentClient): () => void {
    if (!this.options.dynamoThrottle && !this.options.dynamoServerError) return () => undefined;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = String(context.commandName ?? 'DynamoDB call');
        if (this.#hit(this.options.dynamoThrottle)) {
          this.counts.dynamoThrottle++;
          throw new ProvisionedThroughputExceededException({
            message: `Injected throttling of ${command}: the level of configured provisioned throughput for the table was exceeded (fault campaign)`,
            $metadata: { httpStatusCode: 400 },
          });
        }
        const result = await next(args);
        if (this.#hit(this.options.dynamoServerError)) {
          this.counts.dynamoServerError++;
          throw new InternalServerError({
            message: `Injected internal server error after ${command} was applied (fault campaign)`,
            $metadata: { httpStatusCode: 500 },
          });
        }
        return result;
      },
      { step: 'initialize', name: MIDDLEWARE, override: true },
    );
    return () => void client.middlewareStack.remove(MIDDLEWARE);
  }
}

/**
 * Faults from the environment: `OMS_FAULTS` holds the options as JSON
 * (`npm start` under the campaign, e.g. `{"dynamoThrottle":0.15}`).
 * Undefined when unset or empty.
 */
export function faultsFromEnv(env: NodeJS.ProcessEnv = process.env): FaultOptions | undefined {
  const raw = env['OMS_FAULTS'];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as FaultOptions;
  } catch (error) {
    throw new Error(`OMS_FAULTS is not JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
