/**
 * Claiming a run directory before writing it. Two backtests given one `--out` used to write their
 * temp directories side by side and rename them over each other (one run's summary next to the
 * other's report, 2 of 15 trials). A claim is a lock file `.<name>.lock` beside the target (owner
 * pid inside, stale when that pid is dead): the second writer waits for the first, then replaces
 * its run as a whole. While claimed, the run is built in `.<name>.tmp-<pid>`; commit fsyncs every
 * file, renames the temp directory into place and fsyncs the parent. SIGINT/SIGTERM while claimed
 * remove the temp directory and the lock before the process dies; a `kill -9` leaves them for the
 * next writer, which removes the temp directories of dead pids ({@link cleanStaleTemps}).
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cleanStaleTemps, fsyncDir, mkdirDurable } from '../core/fs.js';
import { acquireLock, stderrWait } from '../core/lock.js';

/** A run directory claimed for writing: write into `tmp`, then {@link commit}; always {@link release}. */
export interface RunDirClaim {
  /** The final run directory. */
  readonly outDir: string;
  /** The temp directory to write into (same parent, so the rename is atomic). */
  readonly tmp: string;
  /** Make `tmp` the run directory (replacing any previous run there), durably. */
  commit(): void;
  /** Drop the temp directory (if not committed) and the lock. Idempotent. */
  release(): void;
}

/** Temp directories of live claims, removed if the process exits without releasing them. */
const live = new Set<string>();
process.on('exit', () => {
  for (const d of live) rmSync(d, { recursive: true, force: true });
});

/** The lock file that claims `outDir`. */
export function runDirLockPath(outDir: string): string {
  return join(dirname(outDir), `.${basename(outDir)}.lock`);
}

/**
 * Claim `outDir`: wait for any other writer of it (saying so on stderr after a second), clean the
 * leftovers of dead writers beside it, create a fresh temp directory.
 */
export function claimRunDir(outDir: string): RunDirClaim {
  const parent = dirname(outDir);
  mkdirDurable(parent);
  const tmp = join(parent, `.${basename(outDir)}.tmp-${process.pid}`);
  let releaseLock = (): void => {};
  let done = false;
  const onSignal = (sig: NodeJS.Signals): void => {
    release();
    // Die of the signal as if unhandled (exit status 128 + n), now that nothing is left behind.
    process.kill(process.pid, sig);
  };
  const release = (): void => {
    if (done) return;
    done = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    rmSync(tmp, { recursive: true, force: true });
    live.delete(tmp);
    releaseLock();
  };
  // Listen before the lock and the temp dir exist: a signal that finds neither listener nor
  // leftovers is harmless, one that finds leftovers without a listener would leave them.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    releaseLock = acquireLock(runDirLockPath(outDir), `run directory ${outDir}`, { onWait: stderrWait });
    cleanStaleTemps(parent);
    rmSync(tmp, { recursive: true, force: true });
    live.add(tmp);
    mkdirSync(tmp);
  } catch (e) {
    release();
    throw e;
  }
  const commit = (): void => {
    for (const f of readdirSync(tmp)) fsyncFile(join(tmp, f));
    fsyncDir(tmp);
    let old: string | null = null;
    if (existsSync(outDir)) {
      old = join(parent, `.${basename(outDir)}.old-${process.pid}`);
      rmSync(old, { recursive: true, force: true });
      renameSync(outDir, old);
    }
    renameSync(tmp, outDir);
    live.delete(tmp);
    fsyncDir(parent);
    if (old) rmSync(old, { recursive: true, force: true });
  };
  return { outDir, tmp, commit, release };
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
