import { close, closeSync, fdatasync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { pidAlive } from './lock.js';

/**
 * fsync a directory, so that a rename or create inside it survives a power loss. Platforms that
 * cannot open a directory for sync (EISDIR/EPERM/EINVAL on some filesystems) are skipped.
 */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR' && code !== 'EBADF') throw e;
  } finally {
    closeSync(fd);
  }
}

/**
 * Start writing a file's data to disk in the background (an `fdatasync` on libuv's thread pool,
 * on a descriptor of its own that the callback closes), so that the `fsync` that makes it durable
 * later finds little left to write while the caller computes meanwhile. A hint only: it never
 * replaces that `fsync`, and its errors are ignored (the `fsync` reports them). Queued at once,
 * whether or not the caller returns to the event loop; skipped while {@link MAX_WRITEBACKS} are
 * pending (their descriptors are closed only when the event loop runs, and a caller writing run
 * after run synchronously must not run out of descriptors).
 */
export function startWriteback(path: string): void {
  if (pendingWritebacks >= MAX_WRITEBACKS) return;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  pendingWritebacks++;
  fdatasync(fd, () =>
    close(fd, () => {
      pendingWritebacks--;
    }),
  );
}

/** Background writebacks pending at most (each holds a descriptor until its callback runs). */
export const MAX_WRITEBACKS = 32;
let pendingWritebacks = 0;

/** mkdir -p (same errors as `mkdirSync(dir, {recursive: true})`), fsyncing the parent of every directory it creates. */
export function mkdirDurable(dir: string): void {
  const first = mkdirSync(dir, { recursive: true });
  if (first === undefined) return;
  // Created `first` … `dir`: each new entry lives in its parent's directory listing.
  for (let d = dir; ; d = dirname(d)) {
    fsyncDir(dirname(d));
    if (d === first || dirname(d) === d) break;
  }
}

/** Write all of `buf[0, len)` to `fd`. */
export function writeAllSync(fd: number, buf: Uint8Array, len = buf.byteLength): void {
  let off = 0;
  while (off < len) off += writeSync(fd, buf, off, len - off);
}

let tmpCounter = 0;

/** The temp name {@link writeFileAtomic} uses for `path`: `.name.<pid>.<n>.tmp` beside it. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
}

/**
 * Write a file atomically and durably: `write(fd)` fills `.name.<pid>.<n>.tmp` in the same
 * directory, then fsync file, rename over `path`, fsync the directory. A crash at any point leaves
 * either the old file or the new one, never half of either; a kill leaves at most the temp file,
 * which {@link cleanStaleTemps} removes once its pid is dead. Returns what `write` returned.
 */
export function writeFileAtomicWith<T = void>(path: string, write: (fd: number) => T): T {
  const dir = dirname(path);
  mkdirDurable(dir);
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  let result: T;
  try {
    result = write(fd);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
  return result;
}

/** {@link writeFileAtomicWith} for data already in memory. */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeFileAtomicWith(path, (fd) => writeAllSync(fd, buf));
}

/**
 * Temp names a writer of this project leaves when killed, with the pid that made them:
 * `.name.<pid>.<n>.tmp` (atomic file writes, lock files), `.name.tmp-<pid>` / `.name.old-<pid>`
 * (run directories), `name.lock.stale-<pid>-<n>` (broken locks).
 */
const TEMP_PATTERNS = [/^\..+\.(\d+)\.\d+\.tmp$/, /^\..+\.(?:tmp|old)-(\d+)$/, /\.lock\.stale-(\d+)-\d+$/];

/** The pid in a temp name written by this project, or undefined for any other name. */
export function tempOwnerPid(name: string): number | undefined {
  for (const re of TEMP_PATTERNS) {
    const m = re.exec(name);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/** Leftover temp files/dirs in `dir` (not recursive) whose writer process is dead. */
export function staleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    const pid = tempOwnerPid(n);
    if (pid !== undefined && !pidAlive(pid)) out.push(join(dir, n));
  }
  return out;
}

/** Remove the leftovers of dead writers in `dir`; returns what was removed. */
export function cleanStaleTemps(dir: string): string[] {
  const gone = staleTemps(dir);
  for (const p of gone) rmSync(p, { recursive: true, force: true });
  return gone;
}
