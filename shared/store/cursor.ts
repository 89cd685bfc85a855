import { ValidationError } from '#shared/domain/errors.ts';

/**
 * Paging cursors are DynamoDB's LastEvaluatedKey, base64url-encoded. On the
 * way back in they are checked against the partition the query reads, so a
 * forged cursor can neither read another partition nor reach DynamoDB as a
 * malformed key (which would be a 500 instead of a 422).
 */
export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : undefined;
}

export function decodeCursor(
  cursor: string | undefined,
  expected: { attributes: readonly string[]; partition: Record<string, string> },
): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new ValidationError('The cursor is not valid for this list', [
      { in: 'query', path: 'cursor', message: 'Pass back the nextCursor of the previous page unchanged' },
    ]);
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) throw invalid();
  const entries = Object.entries(decoded as Record<string, unknown>);
  const names = entries.map(([name]) => name).sort();
  if (names.join() !== [...expected.attributes].sort().join()) throw invalid();
  if (entries.some(([, value]) => typeof value !== 'string' || value.length === 0 || value.length > 1024)) throw invalid();
  const key = decoded as Record<string, string>;
  for (const [name, value] of Object.entries(expected.partition)) if (key[name] !== value) throw invalid();
  return key;
}
