import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (test files run from source via vitest). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Small real excerpts copied from ../shared/data (see test/fixtures/data/README.md). */
export const FIX = join(ROOT, 'test', 'fixtures', 'data');
/** The shared real-data directory, present beside the repo on dev machines and CI. */
export const SHARED = resolve(ROOT, '..', 'shared', 'data');

export function tmpDir(prefix = 'perpcarry-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const iso = (s: string): number => Date.parse(s);

/** Bytes of a file, or undefined when absent. */
export function bytesOf(p: string): Buffer | undefined {
  try {
    return readFileSync(p);
  } catch {
    return undefined;
  }
}
