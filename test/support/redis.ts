/**
 * A real redis-server on a free loopback port for the BullMQ tests, and `perpcarry worker`
 * processes serving it. Every process started here is recorded in `children` so the test file's
 * afterAll can stop them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'perpcarry.mjs');
const REDIS_BIN = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(existsSync) ?? 'redis-server';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A running redis-server (no persistence) and its `redis://` URL. */
export interface TestRedis {
  url: string;
  stop(): Promise<void>;
}

/** Start redis-server on a free port; resolves once it accepts connections. */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const proc = spawn(REDIS_BIN, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('redis-server did not start')), 15_000);
    proc.stdout.on('data', (d: Buffer) => {
      if (/Ready to accept connections/i.test(d.toString())) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.on('error', (e) => reject(new Error(`redis-server: ${e.message} (install it: apt-get install redis-server)`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** A `perpcarry worker` process; `lines` collects its output lines. */
export interface TestWorker {
  proc: ChildProcess;
  lines: string[];
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Start `perpcarry worker --queue url --data-dir dataDir`; pushed to `children`. */
export function startWorker(url: string, dataDir: string, children: ChildProcess[], extra: string[] = ['--lock-ms', '2000']): TestWorker {
  const proc = spawn(process.execPath, [BIN, 'worker', '--queue', url, '--data-dir', dataDir, ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(proc);
  const lines: string[] = [];
  let buf = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      lines.push(l);
      if (l.includes('worker ready')) onReady();
    }
  });
  proc.stderr.on('data', (d: Buffer) => lines.push(`stderr: ${d.toString()}`));
  return {
    proc,
    lines,
    ready,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/** Kill whatever of `children` still runs (afterAll). */
export function killAll(children: readonly ChildProcess[]): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
