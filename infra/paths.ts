import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: handler entries and the lock file are resolved from here. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
