/**
 * What is known about each stored file *version*: its sha256 and whether it validated clean.
 * A version is (size, mtime, inode): the store replaces files by rename (new inode) and any
 * in-place edit changes the mtime, so a run hashes and validates only files that changed since
 * the import or `data validate` that recorded them, and hashes nothing twice in one process.
 *
 * Kept in `<dataDir>/.verified.json`, beside the catalog rather than in it: mtimes and inodes are
 * facts of one checkout on one machine, while catalog.json is committed with the bundled data and
 * must stay byte-for-byte reproducible. The file is a cache: unreadable or absent means "verify".
 */
import { readFileSync, statSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { writeFileAtomic } from '../core/fs.js';
import { withLock } from '../core/lock.js';
import type { ValidationReport } from './validate.js';

/** The version of a file on disk. */
export interface FileVersion {
  bytes: number;
  mtimeMs: number;
  ino: number;
}

/** A verified file version: its hash and, once validated, its whole-file error/warning counts. */
export interface FileState extends FileVersion {
  sha256: string;
  /** Validation error classes of the whole file; undefined when not validated. */
  errors?: number;
  warnings?: number;
  checkedAt: string;
}

/** Version of a stat result. */
export function versionOf(st: Stats): FileVersion {
  return { bytes: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.bytes === b.bytes && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Files verified by this process, by absolute path. */
const memo = new Map<string, FileState>();
/** The state file of each data dir as last read, with the mtime it had. */
const loaded = new Map<string, { mtimeMs: number; states: Record<string, FileState> }>();

export function fileStatePath(dataDir: string): string {
  return join(dataDir, '.verified.json');
}

function relKey(dataDir: string, abs: string): string {
  return relative(dataDir, abs).split('\\').join('/');
}

function readStates(dataDir: string): Record<string, FileState> {
  const p = fileStatePath(dataDir);
  let mtimeMs: number;
  try {
    mtimeMs = statSync(p).mtimeMs;
  } catch {
    return {};
  }
  const hit = loaded.get(dataDir);
  if (hit && hit.mtimeMs === mtimeMs) return hit.states;
  let states: Record<string, FileState> = {};
  try {
    const x = JSON.parse(readFileSync(p, 'utf8')) as unknown;
    if (x && typeof x === 'object' && !Array.isArray(x)) states = x as Record<string, FileState>;
  } catch {
    states = {}; // a cache: garbage means verify again
  }
  loaded.set(dataDir, { mtimeMs, states });
  return states;
}

/** The recorded state of `abs` if it is still the same version, else undefined. */
export function knownState(dataDir: string, abs: string, version: FileVersion): FileState | undefined {
  const m = memo.get(abs);
  if (m && sameVersion(m, version)) return m;
  const s = readStates(dataDir)[relKey(dataDir, abs)];
  if (s && typeof s.sha256 === 'string' && sameVersion(s, version)) {
    memo.set(abs, s);
    return s;
  }
  return undefined;
}

/**
 * Record that the current version of `abs` has `sha256` (and, with a report, how it validated).
 * The state file is updated under its own lock, re-read first so parallel writers keep each
 * other's records. Failure to write it (read-only store) is not an error: it is a cache.
 */
export function recordVerified(dataDir: string, abs: string, sha256: string, report?: ValidationReport): FileState {
  const st = statSync(abs);
  const state: FileState = { ...versionOf(st), sha256, checkedAt: new Date().toISOString() };
  if (report) {
    state.errors = report.errors;
    state.warnings = report.warnings;
  } else {
    const prev = knownState(dataDir, abs, state);
    if (prev && prev.sha256 === sha256 && prev.errors !== undefined) {
      state.errors = prev.errors;
      state.warnings = prev.warnings;
    }
  }
  memo.set(abs, state);
  try {
    withLock(join(dataDir, '.verified.lock'), `the verification cache ${fileStatePath(dataDir)}`, () => {
      loaded.delete(dataDir);
      const states = { ...readStates(dataDir) };
      states[relKey(dataDir, abs)] = state;
      writeFileAtomic(fileStatePath(dataDir), JSON.stringify(states) + '\n');
      loaded.delete(dataDir);
    }, { timeoutMs: 10_000 });
  } catch {
    // cache only
  }
  return state;
}

/** Forget what this process verified (tests). */
export function forgetVerified(): void {
  memo.clear();
  loaded.clear();
}
