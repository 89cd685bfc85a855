import { readFileSync } from 'node:fs';

/** The real channel payload samples (copied from the shared fixtures into test/fixtures/channels). */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/channels/${name}`, import.meta.url), 'utf8')) as T;
}

export function fixtureText(name: string): string {
  return readFileSync(new URL(`../fixtures/channels/${name}`, import.meta.url), 'utf8');
}
