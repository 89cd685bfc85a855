import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConcurrentModificationError, ConflictError, InventoryConflictError, NotFoundError } from '#shared/domain/errors.ts';
import { conflictDelayMs, isInventoryConflict, retryOnConcurrentModification, retryOnConflict } from '#shared/use-cases/retry.ts';

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

  it('`orElse` answers a value after the last lost race instead of throwing, and wins over `exhausted`', async () => {
    let runs = 0;
    const last = new InventoryConflictError('contention');
    const answer = await retryOnConflict(
      async (): Promise<string> => {
        runs++;
        throw runs === 3 ? last : new InventoryConflictError('contention');
      },
      { attempts: 3, retryOn: isInventoryConflict, orElse: (error) => (error === last ? 'kept changing' : 'wrong error'), exhausted: () => new Error('not this') },
    );
    expect(answer).toBe('kept changing');
    expect(runs).toBe(3);
  });

  it('`orElse` is only for lost races: anything else still reaches the caller at once', async () => {
    let runs = 0;
    const bug = new TypeError('bug');
    await expect(retryOnConflict(async () => { runs++; throw bug; }, { attempts: 3, orElse: () => 'never' })).rejects.toBe(bug);
    expect(runs).toBe(1);
  });

  it('a step settles a conflict with an answer by catching it, and runs again on the ones it rethrows', async () => {
    const seen: number[] = [];
    const answer = await retryOnConflict(
      async (attempt) => {
        seen.push(attempt);
        try {
          throw new InventoryConflictError(attempt === 1 ? 'contention' : 'duplicate');
        } catch (error) {
          if (error instanceof InventoryConflictError && error.kind === 'duplicate') return 'the first answer';
          throw error;
        }
      },
      { attempts: 5, retryOn: isInventoryConflict },
    );
    expect(answer).toBe('the first answer');
    expect(seen).toEqual([1, 2]);
  });

  it('isInventoryConflict takes the stock transactions\' conflicts only', () => {
    expect(isInventoryConflict(new InventoryConflictError('position'))).toBe(true);
    expect(isInventoryConflict(new ConcurrentModificationError('x'))).toBe(false);
    expect(isInventoryConflict(new ConflictError('x', 'y'))).toBe(false);
    expect(isInventoryConflict(undefined)).toBe(false);
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

/** Signs of a retry loop written by hand: a counted attempt loop, or a pause made of setTimeout. */
const HAND_WRITTEN_RETRY = [/for\s*\(\s*let\s+\w*attempt/i, /\battempts?\s*(\+\+|\+=)/i, /new Promise\S*\s*\(?\s*\(?resolve\)?\s*=>\s*setTimeout/];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

describe('one retry policy in the use cases', () => {
  it('recognises a hand-written retry loop', () => {
    const loop = `for (let attempt = 1; attempt <= 8; attempt++) {\n  try { await write(); } catch { await new Promise((resolve) => setTimeout(resolve, Math.random() * 8 * attempt)); }\n}`;
    expect(HAND_WRITTEN_RETRY.filter((pattern) => pattern.test(loop))).toHaveLength(3);
    expect(HAND_WRITTEN_RETRY.some((pattern) => pattern.test('let attempts = 0;\nwhile (busy) { attempts += 1; }'))).toBe(true);
  });

  it('no use case retries a lost race with a loop of its own: they all go through retry.ts', () => {
    const dir = join(import.meta.dirname, '../../shared/use-cases');
    const files = sources(dir);
    expect(files.length).toBeGreaterThan(20);
    const found = files
      .filter((file) => !file.endsWith(join('use-cases', 'retry.ts')))
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, index) => (HAND_WRITTEN_RETRY.some((pattern) => pattern.test(line)) ? [`${file.slice(dir.length + 1)}:${index + 1}: ${line.trim()}`] : [])),
      );
    expect(found).toEqual([]);
  });
});
