import { monotonicFactory } from 'ulid';
import * as z from 'zod';

const ulid = monotonicFactory();

/** Sortable, unique id (ULID): ids created later sort later, which keeps key ranges time-ordered. */
export function newId(): string {
  return ulid();
}

/**
 * Identifier chosen by the merchant for configuration resources
 * (locations, channels): lowercase letters, digits, `-` and `_`.
 * It never contains `#`, the key separator of the single-table design.
 */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'Use 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit');
