import { ValidationError } from '#shared/domain/errors.ts';

/**
 * Paging cursors are DynamoDB's LastEvaluatedKey, base64url-encoded. On the
 * way back in they are checked against the list they are passed to, so a
 * cursor from another list or a forged one is a 422 on `cursor` and never
 * reaches DynamoDB (where a key outside the query's key range, of the wrong
 * size or not well-formed Unicode is a ValidationException, i.e. a 500).
 *
 * The check is exact: from the cursor's own values the list rebuilds, with
 * shared/store/keys.ts, the key of the item the cursor would resume after
 * (`itemKey`); the cursor is valid only if it is that key, attribute for
 * attribute. So its partition is the list's, and each sort key has the
 * prefix, shape and range of the list's items.
 */

/** What a list accepts as the position in a cursor. */
export interface CursorShape {
  /** The attributes of the list's LastEvaluatedKey (table key, plus index key for index queries). */
  attributes: readonly string[];
  /**
   * The key (built with keys.ts) of the list item the position names, or
   * undefined when its values cannot name one (wrong prefix, shape, range).
   */
  itemKey: (position: Record<string, string>) => Record<string, string> | undefined;
}

/** DynamoDB's limits on key attribute values (partition keys allow 2048 bytes; no OMS key comes near 1024). */
const MAX_KEY_BYTES = 1024;
/** Half of a surrogate pair on its own: not Unicode, and refused by DynamoDB. */
const LONE_SURROGATE = /\p{Cs}/u;

export function encodeCursor(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey)).toString('base64url') : undefined;
}

/** The 422 every refused cursor answers. */
export function invalidCursor(hint = 'Pass back the nextCursor of the previous page unchanged'): ValidationError {
  return new ValidationError('The cursor is not valid for this list', [{ in: 'query', path: 'cursor', message: hint, code: 'invalid_cursor' }]);
}

/** The JSON a cursor carries (any value); 422 if it is not base64url-encoded JSON. */
export function cursorJson(cursor: string): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
}

export function decodeCursor(cursor: string | undefined, shape: CursorShape): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  return cursorPosition(cursorJson(cursor), shape);
}

/** A position (a LastEvaluatedKey inside a cursor) checked against the list's shape; 422 unless it is one of the list's item keys. */
export function cursorPosition(position: unknown, shape: CursorShape): Record<string, string> {
  if (!position || typeof position !== 'object' || Array.isArray(position)) throw invalidCursor();
  const entries = Object.entries(position);
  if (entries.map(([name]) => name).sort().join() !== [...shape.attributes].sort().join()) throw invalidCursor();
  for (const [, value] of entries) {
    if (typeof value !== 'string' || value.length === 0 || LONE_SURROGATE.test(value) || Buffer.byteLength(value) > MAX_KEY_BYTES) throw invalidCursor();
  }
  const key = Object.fromEntries(entries) as Record<string, string>;
  let rebuilt: Record<string, string> | undefined;
  try {
    rebuilt = shape.itemKey(key);
  } catch {
    rebuilt = undefined;
  }
  if (!rebuilt) throw invalidCursor();
  const names = Object.keys(rebuilt);
  if (names.length !== entries.length || names.some((name) => !Object.hasOwn(key, name) || key[name] !== rebuilt[name])) throw invalidCursor();
  return key;
}

/** `value` without `prefix`, or undefined if it does not start with it. */
export function afterPrefix(value: string, prefix: string): string | undefined {
  return value.startsWith(prefix) ? value.slice(prefix.length) : undefined;
}

/** `a#b#c` → [`a#b`, `c`]: the last `#` separates two key segments (ids never contain `#`). */
export function splitLast(value: string): [string, string] | undefined {
  const at = value.lastIndexOf('#');
  return at > 0 && at < value.length - 1 ? [value.slice(0, at), value.slice(at + 1)] : undefined;
}
