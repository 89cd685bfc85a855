import { describe, expect, it } from 'vitest';
import { ConcurrentModificationError, ConflictError, InventoryConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { conflictDelayMs, retryOnConcurrentModification, retryOnConflict } from '#shared/use-cases/retry.ts';

describe('retryOnConflict', () => {
  it('runs the step again after a lost race, with its attempt number, and answers what the step answers', async () => {
    const seen: number[] = [];
    const answer = await retryOnConflict(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new ConcurrentModificationError('lost');
        return 'written';
      },
      { attempts: 3 },
    );
    expect(answer).toBe('written');
    expect(seen).toEqual([1, 2, 3]);
  });

  it('after `attempts` lost races: the last conflict by default, or the error `exhausted` makes', async () => {
    let runs = 0;
    const last = new ConcurrentModificationError('lost the 4th');
    await expect(retryOnConflict(async () => { runs++; throw runs === 4 ? last : new ConcurrentModificationError('lost'); }, { attempts: 4 })).rejects.toBe(last);
    expect(runs).toBe(4);
    runs = 0;
    await expect(
      retryOnConflict(async () => { runs++; throw new ConcurrentModificationError('lost'); }, { attempts: 2, exhausted: () => new ConcurrentModificationError('Order o-1 kept changing') }),
    ).rejects.toThrow('Order o-1 kept changing');
    expect(runs).toBe(2);
  });

  it('never retries anything else: a 404, a business conflict, a bug go to the caller at once', async () => {
    for (const error of [new NotFoundError('gone'), new ConflictError('not now', 'not_shipped'), new TypeError('bug')]) {
      let runs = 0;
      await expect(retryOnConflict(async () => { runs++; throw error; }, { attempts: 5 })).rejects.toBe(error);
      expect(runs).toBe(1);
    }
  });

  it('retries what `retryOn` takes instead (a repository\'s own conflict errors)', async () => {
    let runs = 0;
    const answer = await retryOnConflict(
      async () => {
        if (++runs < 2) throw new InventoryConflictError('contention');
        return runs;
      },
      { attempts: 5, retryOn: (error) => error instanceof InventoryConflictError },
    );
    expect(answer).toBe(2);
    runs = 0;
    await expect(retryOnConflict(async () => { runs++; throw new ConcurrentModificationError('x'); }, { attempts: 5, retryOn: (e) => e instanceof InventoryConflictError })).rejects.toThrow('x');
    expect(runs).toBe(1);
  });

  it('pauses with full jitter, doubling from 20 ms and capped at 640 ms', () => {
    expect(conflictDelayMs(1, 1)).toBe(20);
    expect(conflictDelayMs(2, 1)).toBe(40);
    expect(conflictDelayMs(6, 1)).toBe(640);
    expect(conflictDelayMs(20, 1)).toBe(640);
    expect(conflictDelayMs(3, 0)).toBe(0);
    expect(conflictDelayMs(3, 0.5)).toBe(40);
  });

  it('retryOnConcurrentModification keeps its contract: 3 runs, then the 409', async () => {
    let runs = 0;
    await expect(retryOnConcurrentModification(async () => { runs++; throw new ConcurrentModificationError('lost'); })).rejects.toBeInstanceOf(ConcurrentModificationError);
    expect(runs).toBe(3);
  });
});
