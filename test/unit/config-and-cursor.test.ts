import { describe, expect, it } from 'vitest';
import { configVars, readConfig } from '#shared/config.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { decodeCursor, encodeCursor } from '#shared/store/cursor.ts';
import { keys } from '#shared/store/keys.ts';

describe('readConfig', () => {
  it('fails with the name of every missing or bad variable', () => {
    expect(() => readConfig({ TABLE_NAME: configVars.TABLE_NAME, MAIL_FROM: configVars.MAIL_FROM }, { MAIL_FROM: 'nope' })).toThrow(
      /TABLE_NAME.*MAIL_FROM|MAIL_FROM.*TABLE_NAME/,
    );
  });

  it('parses lists of addresses', () => {
    expect(readConfig({ OPS_EMAIL: configVars.OPS_EMAIL }, { OPS_EMAIL: 'a@x.test, b@x.test' }).OPS_EMAIL).toEqual(['a@x.test', 'b@x.test']);
  });
});

describe('paging cursors', () => {
  const expected = {
    attributes: ['PK', 'SK', 'GSI1PK', 'GSI1SK'],
    itemKey: (position: Record<string, string>) => ({ ...keys.location(String(position['GSI1SK'])), ...keys.locationList(String(position['GSI1SK'])) }),
  };
  const key = { PK: 'LOCATION#a', SK: 'LOCATION', GSI1PK: 'LOCATIONS', GSI1SK: 'a' };

  it('round-trips a LastEvaluatedKey', () => {
    expect(decodeCursor(encodeCursor(key), expected)).toEqual(key);
  });

  it.each([
    ['garbage', 'not-base64-json'],
    ['another partition', encodeCursor({ ...key, GSI1PK: 'CHANNELS' })],
    ['missing attributes', encodeCursor({ PK: 'LOCATION#a' })],
    ['non-string values', encodeCursor({ ...key, SK: 42 })],
    ['a key of another item kind', encodeCursor({ ...key, SK: 'SECRETS' })],
    ['a table key that does not match the index key', encodeCursor({ ...key, GSI1SK: 'b' })],
    ['extra attributes', encodeCursor({ ...key, extra: 'x' })],
    ['a value over 1024 bytes', encodeCursor({ ...keys.location('é'.repeat(600)), ...keys.locationList('é'.repeat(600)) })],
    ['a lone surrogate', encodeCursor({ ...keys.location('\ud800'), ...keys.locationList('\ud800') })],
    ['a position of a list that fails to rebuild it', encodeCursor({ ...key, GSI1SK: '' })],
  ])('refuses a cursor with %s as a 422 on `cursor`', (_case, cursor) => {
    try {
      decodeCursor(cursor, expected);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).details[0]).toMatchObject({ in: 'query', path: 'cursor' });
    }
  });
});
