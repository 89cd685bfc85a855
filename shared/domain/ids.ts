import { monotonicFactory } from 'ulid';
import * as z from 'zod';

const ulid = monotonicFactory();

/** Sortable, unique id (ULID): ids created later sort later, which keeps key ranges time-ordered. */
export function newId(): string {
  return ulid();
}

/**
 * Characters no identifier may hold: controls (Cc), format characters (Cf:
 * zero-width space, joiners, directional marks, embeddings, overrides and
 * isolates, word joiner, invisible operators, BOM, soft hyphen…), line and
 * paragraph separators, and spaces other than U+0020 (no-break, thin,
 * ideographic…). Each would make a string that looks like another one, or
 * that a terminal, a spreadsheet or a label printer shows differently.
 */
const REFUSED_IN_IDENTIFIERS = '\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}\\u00A0\\u1680\\u2000-\\u200A\\u202F\\u205F\\u3000';

/**
 * A caller's or a channel's identifier (SKU, movement id, line id, external
 * order id): text that becomes (part of) a key, so two strings that look the
 * same must be the same key, and a string DynamoDB cannot store as sent
 * (UTF-8 replaces lone surrogates, so `A\ud800` and `A\udc00` would become
 * one key) is refused rather than merged.
 *
 * In order: ill-formed Unicode is refused; the value is normalised to NFC
 * (`é` composed or decomposed is one identifier) and spaces at either end
 * are dropped (`A ` is `A`); then length (in UTF-16
 * code units, after normalisation) and the refused characters are checked,
 * with `also` (e.g. `#`, a key separator) refused too.
 */
export function identifier(options: { max: number; also?: { chars: string; message: string } }) {
  const schema = z
    .string()
    .refine(isWellFormed, {
      message: 'Must be well-formed Unicode: it contains a lone surrogate (an unpaired \\ud800-\\udfff), which cannot be stored as sent',
      abort: true,
    })
    // Spaces at either end are never part of an id ("A" and "A " would look alike): dropped, like the CSV import does.
    .overwrite((value) => value.normalize('NFC').replace(/^ +| +$/g, ''))
    .min(1)
    .max(options.max)
    .regex(
      new RegExp(`^[^${REFUSED_IN_IDENTIFIERS}]*$`, 'u'),
      'Cannot contain control, invisible or bidirectional formatting characters (zero-width space, soft hyphen, BOM, right-to-left override…) or spaces other than U+0020',
    );
  return options.also ? schema.regex(new RegExp(`^[^${escapeClass(options.also.chars)}]*$`, 'u'), options.also.message) : schema;
}

/** String.prototype.isWellFormed (ES2024, Node.js ≥ 20; the project's TypeScript lib is ES2023). */
function isWellFormed(value: string): boolean {
  return (value as string & { isWellFormed(): boolean }).isWellFormed();
}

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}

/** A stock movement's id, chosen by the caller: one per movement (for a purchase order, its number and line: `PO-1042-1`). */
export const MovementId = identifier({ max: 200 });

/** A channel's (or an API caller's) own order id; up to 255 characters, as many as an Idempotency-Key, which it defaults to. */
export const ExternalOrderId = identifier({ max: 255 });

/** A channel's line id. */
export const LineId = identifier({ max: 64 });

/**
 * Identifier chosen by the merchant for configuration resources
 * (locations, channels): lowercase letters, digits, `-` and `_`.
 * It never contains `#`, the key separator of the single-table design.
 */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'Use 1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit');
