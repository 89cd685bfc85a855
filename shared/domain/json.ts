import { MalformedRequestError } from './errors.ts';

/**
 * JSON.parse that keeps integers beyond 2^53 exact, as strings (channel ids
 * are 64-bit integers; a double would silently change them).
 *
 * A `"__proto__"` member stays what JSON.parse makes it: an own data property
 * of that name (it does not set the prototype). Schemas drop such a key
 * silently when they copy an object (zod does, to keep prototypes safe), so
 * the HTTP layer refuses it by name (see `prototypeKeys`) rather than let a
 * field vanish.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text, (_key, value: unknown, context?: { source?: string }) =>
      typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value) && context?.source ? context.source : value,
    );
  } catch (error) {
    throw new MalformedRequestError(`The body is not valid JSON: ${(error as Error).message}`);
  }
}

/** The dotted paths (`channelBuffers.__proto__`, `lines.0.__proto__`) of every own `__proto__` key in a parsed JSON value. */
export function prototypeKeys(value: unknown, path: readonly string[] = []): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => prototypeKeys(item, [...path, String(i)]));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [
    ...(key === '__proto__' ? [[...path, key].join('.')] : []),
    ...prototypeKeys(inner, [...path, key]),
  ]);
}
