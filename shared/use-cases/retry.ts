import { ConcurrentModificationError } from '#shared/domain/errors.ts';

/**
 * Re-runs a read-decide-write step when its conditional write lost a race.
 * The step re-reads, so the retry decides on fresh state; after `attempts`
 * losses the ConcurrentModificationError reaches the caller (409).
 */
export async function retryOnConcurrentModification<T>(step: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof ConcurrentModificationError) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}
