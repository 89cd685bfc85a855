import { ConcurrentModificationError, InventoryConflictError } from '#shared/domain/errors.ts';

/**
 * The one optimistic-concurrency retry of the use cases (docs/architecture.md,
 * "Lost races"). A step reads, decides and makes one conditional write; when
 * the write loses a race with another writer the repository throws a
 * conflict, and the step runs again on fresh state after a jittered
 * exponential pause (full jitter, 10 ms doubling up to 640 ms), so writers
 * that collided do not collide again in lockstep.
 *
 * - `attempts`: runs in all, including the first.
 * - `retryOn`: which errors mean "lost a race, read again"; by default a
 *   ConcurrentModificationError (a repository's conditional write or
 *   transaction conflict). Anything else reaches the caller at once.
 * - `exhausted`: the error after the last lost race; by default that race's
 *   own error (a 409 over HTTP).
 * - `orElse`: instead of throwing after the last lost race, answer this
 *   value (a stock movement that kept losing is a `contention` result in a
 *   batch of results, not an error that would drop the others). Takes
 *   precedence over `exhausted`.
 *
 * The step gets its attempt number (1-based). To stop early on a conflict
 * (a caller's If-Match no longer holds), the step throws an error `retryOn`
 * does not take. To settle a conflict with an answer instead of running
 * again (a duplicate movement answers as the first one did; a shortage is
 * final once stock was read fresh), the step catches it around its write and
 * returns that answer; it rethrows the conflicts that mean "read again".
 */
export async function retryOnConflict<T>(
  step: (attempt: number) => Promise<T>,
  options: { attempts: number; retryOn?: (error: unknown) => boolean; exhausted?: (last: unknown) => Error; orElse?: (last: unknown) => T | Promise<T> },
): Promise<T> {
  const retryable = options.retryOn ?? ((error: unknown) => error instanceof ConcurrentModificationError);
  for (let attempt = 1; ; attempt++) {
    try {
      return await step(attempt);
    } catch (error) {
      if (!retryable(error)) throw error;
      if (attempt >= options.attempts) {
        if (options.orElse) return options.orElse(error);
        throw options.exhausted ? options.exhausted(error) : error;
      }
      await conflictPause(attempt);
    }
  }
}

/** `retryOn` for the stock transactions (InventoryRepository.commit): a condition or a transaction that lost to another writer. */
export function isInventoryConflict(error: unknown): error is InventoryConflictError {
  return error instanceof InventoryConflictError;
}

/**
 * Runs of a step whose ONE transaction spans the order, its reservation, its
 * fulfillments and stock positions (cancelling lines, editing an order,
 * releasing or selling reserved units, re-routing a fulfillment): any of
 * those items can move under it, and each move is a lost race, so these get
 * more runs than a single record (3-5).
 */
export const STOCK_TRANSACTION_ATTEMPTS = 8;

/** The pause after lost race number `attempt`: uniformly random up to 10 ms × 2^attempt, at most 640 ms. */
export function conflictPause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, conflictDelayMs(attempt, Math.random())));
}

export function conflictDelayMs(attempt: number, random: number): number {
  return random * 10 * 2 ** Math.min(Math.max(attempt, 1), 6);
}

/** retryOnConflict on ConcurrentModificationError, rethrowing the last one (409) after `attempts` runs. */
export function retryOnConcurrentModification<T>(step: () => Promise<T>, attempts = 3): Promise<T> {
  return retryOnConflict(step, { attempts });
}
