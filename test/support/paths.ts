import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';

/** Repository root (test files run from source via vitest). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Small real excerpts copied from ../shared/data (see test/fixtures/data/README.md). */
export const FIX = join(ROOT, 'test', 'fixtures', 'data');
/**
 * The shared real-data directory, present beside the repo on dev machines and CI
 * (`PERPCARRY_SHARED_DATA` overrides it, as for `npm run build:data`).
 */
export const SHARED = resolve(process.env['PERPCARRY_SHARED_DATA'] ?? join(ROOT, '..', 'shared', 'data'));

/** True when the test run is CI (`CI=true`, as GitHub Actions and `.ci/run` set it). */
export const IN_CI = process.env['CI'] === 'true' || process.env['CI'] === '1';

/**
 * `it` for a test that reads files under {@link SHARED} (paths relative to it). Where a file is
 * missing the test is skipped on a dev machine, but under `CI=true` it runs and FAILS naming the
 * missing files: a CI without the shared data must not pass by skipping the real-data checks.
 */
export function itWithShared(...relPaths: string[]): SharedTest {
  const missing = relPaths.map((r) => join(SHARED, r)).filter((p) => !existsSync(p));
  if (missing.length === 0) return (name, fn, timeoutMs) => it(name, fn, timeoutMs);
  if (!IN_CI) return (name, fn, timeoutMs) => it.skip(name, fn, timeoutMs);
  return (name) => {
    it(name, () => {
      throw new Error(`shared real data missing (CI=true, so this test fails instead of skipping): ${missing.join(', ')}; put the shared data at ${SHARED} or set PERPCARRY_SHARED_DATA`);
    });
  };
}

/** A test declared by {@link itWithShared}: `it(name, fn, timeoutMs?)`. */
export type SharedTest = (name: string, fn: () => unknown, timeoutMs?: number) => void;

/**
 * The path of a file under {@link SHARED} for a check inside a test that also runs without it:
 * null when missing on a dev machine, an error naming it under `CI=true`.
 */
export function sharedFileOrNull(relPath: string): string | null {
  const p = join(SHARED, relPath);
  if (existsSync(p)) return p;
  if (IN_CI) throw new Error(`shared real data missing (CI=true): ${p}; put the shared data at ${SHARED} or set PERPCARRY_SHARED_DATA`);
  return null;
}

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
