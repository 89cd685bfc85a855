import { describe, expect, it } from 'vitest';
import { bashBlocks, contains, shellSteps, unmet } from '../support/shell-walk.ts';

/** The README walk's reader: where a pasted command ends, and what "answers what the README says" means. */
describe('reading shell examples', () => {
  it('splits commands where bash would: quotes across lines, continuations, comments with apostrophes', () => {
    const steps = shellSteps(
      [
        "# the location's queue",
        "api -X PUT $OMS/x -d '{",
        '  "name": "X"',
        "}'",
        '# → {"name":"X"}',
        'curl -sS $OMS/a \\',
        '  -H "X: $(printf %s "$body" | cut -d\' \' -f2)"',
        '# → done',
        '',
        'X=1; echo $X',
      ].join('\n'),
    );
    expect(steps.map((s) => [s.line, s.expectations])).toEqual([
      [2, ['{"name":"X"}']],
      [6, ['done']],
      [10, []],
    ]);
    expect(steps[0]?.command.split('\n')).toHaveLength(3);
  });

  it('refuses an expectation with no command before it, and a command that never ends', () => {
    expect(() => shellSteps('# → {"a":1}')).toThrow(/before any command/);
    expect(() => shellSteps("echo 'open")).toThrow(/never ends/);
  });

  it('takes the bash blocks of one section only, past comment lines that look like headings', () => {
    const markdown = ['## Try it', '```bash', '# 1. a step', 'echo 1', '```', 'text', '```bash', 'echo 2', '```', '## Next', '```bash', 'echo 3', '```'].join('\n');
    expect(bashBlocks(markdown, '## Try it')).toEqual(['# 1. a step\necho 1', 'echo 2']);
  });

  it('matches a JSON fragment by keys and by some array element, on the answer or one of its lines', () => {
    expect(contains({ a: 1, b: { c: [1, 2, { d: 'x', e: 2 }] } }, { b: { c: [{ d: 'x' }] } })).toBe(true);
    expect(contains({ a: [1] }, { a: [2] })).toBe(false);
    expect(contains({ a: { b: 1 } }, { a: [] })).toBe(false);
    expect(unmet('{"a":1}\n{"b":{"c":2}}\n', '{"b":{"c":2}}')).toBeUndefined();
    expect(unmet('{"b":{"c":3}}', '{"b":{"c":2}}')).toMatch(/does not contain/);
    expect(unmet('applied           4\nrejected 0', 'applied 4')).toBeUndefined();
    expect(unmet('plain', '{"a":1}')).toBe('the output is not JSON');
  });
});
