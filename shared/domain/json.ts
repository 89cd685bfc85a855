import { MalformedRequestError } from './errors.ts';

/**
 * JSON.parse that keeps integers beyond 2^53 exact, as strings (channel ids
 * are 64-bit integers; a double would silently change them).
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
