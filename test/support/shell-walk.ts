import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs a document's shell examples the way a reader pastes them: one bash
 * session, one command at a time, so variables and functions set by one
 * command are there for the next. Each command can be followed by comment
 * lines starting with `# →` that say what it answers: a JSON fragment that
 * the answer must contain (objects by their keys, arrays by some element),
 * or plain text the output must contain.
 */

export interface ShellStep {
  /** The command as written (continuation lines included). */
  command: string;
  /** 1-based line in the document's code block where the command starts. */
  line: number;
  expectations: string[];
}

/** Bash's own parser decides where a command ends (quotes across lines, `\` continuations, `$(…)`). */
function isComplete(text: string): boolean {
  if (/\\$/.test(text)) return false; // a continuation at the end of what is read so far
  return spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' }).status === 0;
}

export function shellSteps(block: string): ShellStep[] {
  const steps: ShellStep[] = [];
  let buffer: string[] = [];
  let start = 0;
  block.split('\n').forEach((line, index) => {
    const trimmed = line.trim();
    if (buffer.length === 0) {
      if (trimmed === '') return;
      if (trimmed.startsWith('#')) {
        const expectation = /^#\s*→\s*(.+)$/.exec(trimmed)?.[1];
        if (expectation) {
          const last = steps.at(-1);
          if (!last) throw new Error(`Line ${index + 1}: an expectation before any command`);
          last.expectations.push(expectation.trim());
        }
        return;
      }
      start = index + 1;
    }
    buffer.push(line);
    if (isComplete(buffer.join('\n'))) {
      steps.push({ command: buffer.join('\n'), line: start, expectations: [] });
      buffer = [];
    }
  });
  if (buffer.length > 0) throw new Error(`Line ${start}: a command that never ends:\n${buffer.join('\n')}`);
  return steps;
}

/** The fenced ```bash blocks of a Markdown section (from its heading to the next heading of the same or a higher level). */
export function bashBlocks(markdown: string, heading: string): string[] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((line) => line.trim() === heading);
  if (at < 0) throw new Error(`No heading "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const blocks: string[] = [];
  let block: string[] | undefined;
  for (const line of lines.slice(at + 1)) {
    if (block) {
      if (line.startsWith('```')) {
        blocks.push(block.join('\n'));
        block = undefined;
      } else block.push(line);
    } else if (line.startsWith('```bash')) block = [];
    else if (new RegExp(`^#{1,${level}} `).test(line)) break; // a heading, outside any code block
  }
  return blocks;
}

/** `expected` is contained in `actual`: same primitives; every key of an object; every element of an array matched by some element. */
export function contains(actual: unknown, expected: unknown): boolean {
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((e) => actual.some((a) => contains(a, e)));
  if (expected && typeof expected === 'object') {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([key, value]) => contains((actual as Record<string, unknown>)[key], value));
  }
  return Object.is(actual, expected);
}

/** Why `output` does not meet `expectation`, or undefined when it does. */
export function unmet(output: string, expectation: string): string | undefined {
  let expected: unknown;
  try {
    expected = JSON.parse(expectation);
  } catch {
    const squash = (text: string) => text.replace(/\s+/g, ' ');
    return squash(output).includes(squash(expectation)) ? undefined : `the output does not contain "${expectation}"`;
  }
  const answers: unknown[] = [];
  for (const candidate of [output, ...output.split('\n')]) {
    try {
      answers.push(JSON.parse(candidate));
    } catch {
      // Not JSON: another line may be.
    }
  }
  if (answers.length === 0) return 'the output is not JSON';
  return answers.some((answer) => contains(answer, expected)) ? undefined : `the answer does not contain ${expectation}`;
}

export interface StepResult {
  step: ShellStep;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One bash session that runs steps one at a time; `between` runs after each (the test lets the OMS settle, as a reader's pause would). */
export class ShellSession {
  readonly #bash: ChildProcessWithoutNullStreams;
  readonly #dir = mkdtempSync(join(tmpdir(), 'oms-walk-'));
  #stdout = '';
  #count = 0;

  constructor(options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.#bash = spawn('bash', ['--noprofile', '--norc'], { cwd: options.cwd, env: options.env, stdio: 'pipe' });
    this.#bash.stdout.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString()));
  }

  async run(step: ShellStep, timeoutMs = 60_000): Promise<StepResult> {
    const n = ++this.#count;
    const [out, err] = [join(this.#dir, `${n}.out`), join(this.#dir, `${n}.err`)];
    const marker = `__step_${n}_done__`;
    // Braces, not a subshell: what the command sets stays set for the next one.
    this.#bash.stdin.write(`{\n${step.command}\n} > '${out}' 2> '${err}' < /dev/null\necho "${marker} $?"\n`);
    const deadline = Date.now() + timeoutMs;
    let match: RegExpExecArray | null;
    while (!(match = new RegExp(`${marker} (\\d+)`).exec(this.#stdout))) {
      if (this.#bash.exitCode !== null) throw new Error(`bash exited while running line ${step.line}`);
      if (Date.now() > deadline) throw new Error(`Line ${step.line} did not finish in ${timeoutMs} ms:\n${step.command}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { step, exitCode: Number(match[1]), stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  }

  close(): void {
    this.#bash.stdin.end();
    this.#bash.kill();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
