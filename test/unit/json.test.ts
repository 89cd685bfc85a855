import { describe, expect, it } from 'vitest';
import { parseJson, prototypeKeys } from '#shared/domain/json.ts';

describe('parseJson', () => {
  it('keeps a "__proto__" member as an own data key, leaving the prototype alone', () => {
    const parsed = parseJson('{"a":{"__proto__":{"polluted":true},"b":1}}') as { a: Record<string, unknown> };
    expect(Object.hasOwn(parsed.a, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(parsed.a)).toBe(Object.prototype);
    expect((parsed.a as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('prototypeKeys', () => {
  it('names every own "__proto__" key by its dotted path, in objects and arrays', () => {
    expect(prototypeKeys(parseJson('{"channelBuffers":{"__proto__":5},"lines":[{"x":1},{"__proto__":{"__proto__":1}}]}'))).toEqual([
      'channelBuffers.__proto__',
      'lines.1.__proto__',
      'lines.1.__proto__.__proto__',
    ]);
    expect(prototypeKeys(parseJson('{"constructor":1,"prototype":{"toString":2}}'))).toEqual([]);
    expect(prototypeKeys('text')).toEqual([]);
  });
});
