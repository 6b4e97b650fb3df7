/**
 * Cross-process locks as lock files. A lock is a file created atomically (`link` of a private temp
 * file, which fails if the lock exists) holding its owner `{pid, host, createdAt, what}`. A lock
 * whose owner process is dead (same host, `kill(pid, 0)` says ESRCH) is stale: the next acquirer
 * moves it aside atomically and takes over, so a `kill -9` never wedges the store.
 *
 * Synchronous on purpose: the store's writers are synchronous, and a lock held across a long
 * synchronous section (a 10M-row merge) must not depend on timers refreshing it (mtime-based
 * schemes such as proper-lockfile call a lock stale when its timer could not run).
 */
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { UserError } from './errors.js';

/** Who holds a lock. */
export interface LockOwner {
  pid: number;
  host: string;
  createdAt: string;
  /** What the lock protects, for messages (e.g. `series binance/BTC-USDT/ohlcv-1h.arrow`). */
  what: string;
}

/** Options of {@link withLock}. */
export interface LockOptions {
  /** Give up after this long, ms (default $PERPCARRY_LOCK_TIMEOUT_MS or 120000). */
  timeoutMs?: number;
  /** Called once when the lock is busy for more than ~1 s (the CLI prints it on stderr). */
  onWait?: (message: string) => void;
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Block the thread for `ms` (no busy loop; Atomics.wait on a cell nobody notifies). */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}

/** Whether process `pid` is alive on this host (EPERM: alive, owned by someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | null | 'absent' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
  try {
    const o = JSON.parse(text) as LockOwner;
    return typeof o?.pid === 'number' ? o : null;
  } catch {
    return null;
  }
}

/** A lock is stale when its owner is a dead process on this host (or the file is garbage). */
function isStale(owner: LockOwner | null): boolean {
  if (owner === null) return true; // written by link of a complete file, so garbage means outside damage
  if (owner.host !== hostname()) return false;
  return !pidAlive(owner.pid);
}

let seq = 0;
const held = new Set<string>();

/** Remove locks this process holds when it exits abnormally (SIGINT/SIGTERM handlers call exit). */
process.on('exit', () => {
  for (const p of held) rmSync(p, { force: true });
});

function tryCreate(path: string, what: string): boolean {
  const owner: LockOwner = { pid: process.pid, host: hostname(), createdAt: new Date().toISOString(), what };
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${seq++}.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(owner));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Move a stale lock aside (rename is atomic: of two processes breaking it, one wins). If what we
 * moved turns out to be a live lock taken in between, put it back.
 */
function breakStale(path: string, seen: LockOwner | null): void {
  const aside = `${path}.stale-${process.pid}-${seq++}`;
  try {
    renameSync(path, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readOwner(aside);
  if (moved !== 'absent' && JSON.stringify(moved) !== JSON.stringify(seen) && !isStale(moved)) {
    try {
      linkSync(aside, path);
    } catch {
      // someone else holds the path now; the owner we moved keeps its file under the aside name
    }
  }
  rmSync(aside, { force: true });
}

/**
 * Take the lock file `path` and return the function that releases it. Waits (polling, 10→200 ms)
 * while a live process holds it; a dead owner's lock is taken over. Throws a UserError naming the
 * holder after `timeoutMs`. Not re-entrant: see {@link withLock}.
 */
export function acquireLock(path: string, what: string, opts: LockOptions = {}): () => void {
  mkdirSync(dirname(path), { recursive: true });
  const timeoutMs = opts.timeoutMs ?? Number(process.env['PERPCARRY_LOCK_TIMEOUT_MS'] ?? 120_000);
  const t0 = Date.now();
  let delay = 10;
  let told = false;
  for (;;) {
    if (tryCreate(path, what)) break;
    const owner = readOwner(path);
    if (owner === 'absent') continue;
    if (isStale(owner)) {
      breakStale(path, owner);
      continue;
    }
    const waited = Date.now() - t0;
    const holder = `pid ${owner!.pid}${owner!.host !== hostname() ? ` on ${owner!.host}` : ''} since ${owner!.createdAt}`;
    if (waited > timeoutMs) {
      throw new UserError(`${what} is locked by ${holder} (${path}); waited ${Math.round(waited / 1000)} s. If that process is gone, delete the lock file.`);
    }
    if (!told && waited > 1000) {
      told = true;
      opts.onWait?.(`waiting for ${what}: locked by ${holder}`);
    }
    sleepSync(delay);
    delay = Math.min(200, delay * 2);
  }
  held.add(path);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    held.delete(path);
    rmSync(path, { force: true });
  };
}

/**
 * Run `fn` holding the lock file `path` (see {@link acquireLock}). Re-entrant within one process
 * for the same path.
 */
export function withLock<T>(path: string, what: string, fn: () => T, opts: LockOptions = {}): T {
  if (held.has(path)) return fn();
  const release = acquireLock(path, what, opts);
  try {
    return fn();
  } finally {
    release();
  }
}

/** Default wait message sink: one line on stderr. */
export function stderrWait(message: string): void {
  process.stderr.write(`perpcarry: ${message}\n`);
}
