/**
 * Issue 14: a 100-point delta-neutral sweep (leverage 1…5.5 step 0.5 × entryApr 0.02…0.2 step
 * 0.02) over the full-year Binance BTC 1m set (1.57M events a point): points/s with `--jobs 1`
 * (in-process) and `--jobs 2` (two worker threads sharing the market), and through BullMQ on a
 * local redis-server with two `perpcarry worker` processes. Targets: ≥ 10 points/s with --jobs 2,
 * --jobs 2 at least 1.7× --jobs 1 (near-linear on 2 cores), ≤ 2 MB written per point (no kept runs).
 * Points/s is measured over the run phase (after the one-off market preparation) from the sweep's
 * own --json timing; CPU ms per point (all threads of the sweep process) is printed too, as a
 * figure that a busy machine distorts less.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { yearStore } from '../fixtures.js';
import { BENCH_DIR, ROOT, measureProcess, type BenchSection } from '../harness.js';

interface SweepJson {
  points: number;
  ran: number;
  timing: { prepareMs: number; runMs: number; writeMs: number; pointsPerSec: number; bytesWritten: number; runCpuMs: number };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function waitFor(proc: ChildProcess, re: RegExp, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not start`)), 30_000);
    proc.stdout!.on('data', (d: Buffer) => {
      if (re.test(d.toString())) {
        clearTimeout(t);
        resolve();
      }
    });
    proc.on('exit', (c) => reject(new Error(`${what} exited ${c}`)));
  });
}

const section: BenchSection = {
  name: 'sweep',
  title: '100-point delta-neutral sweep over the full-year BTC 1m set: --jobs 1, --jobs 2, BullMQ with 2 workers',
  async run(report) {
    const store = await yearStore((s) => report.note(s));
    const bin = join(ROOT, 'bin', 'perpcarry.mjs');
    const base = [
      bin, 'sweep', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'BTC/USDT', '--timeframe', '1m',
      '--from', new Date(store.fromMs).toISOString(), '--to', new Date(store.toMs).toISOString(), '--data-dir', store.dataDir,
      '--grid', 'leverage=1:5.5:0.5', '--grid', 'entryApr=0.02:0.2:0.02', '--keep-top', '0', '--json', '--no-progress',
    ];
    const sweep = (label: string, extra: string[]): SweepJson => {
      const out = join(BENCH_DIR, `sweep-${label}`);
      rmSync(out, { recursive: true, force: true });
      const m = measureProcess(process.execPath, [...base, '--out', out, ...extra], { cwd: ROOT });
      const j = JSON.parse(m.stdout) as SweepJson;
      if (j.ran !== 100) throw new Error(`${label}: ${j.ran} points ran, expected 100`);
      const t = j.timing;
      report.figure(`${label}: points/s (run phase)`, t.pointsPerSec, 'points/s', `${j.ran} points in ${(t.runMs / 1000).toFixed(1)} s; prepare ${t.prepareMs.toFixed(0)} ms; process wall ${(m.wallMs / 1000).toFixed(1)} s`);
      report.figure(`${label}: sweep-process CPU per point`, t.runCpuMs / j.ran, 'ms', 'user + system of all threads of the sweep process (queue: the producer only)');
      report.figure(`${label}: bytes written per point`, t.bytesWritten / j.points / 1e6, 'MB', `${(t.bytesWritten / 1e6).toFixed(2)} MB in the sweep dir, no kept runs`);
      return j;
    };
    const one = sweep('jobs-1', ['--jobs', '1']);
    const two = sweep('jobs-2', ['--jobs', '2']);
    report.target('--jobs 2 points/s', two.timing.pointsPerSec, 'points/s', '>=', 10);
    report.target('--jobs 2 / --jobs 1 speed-up', two.timing.pointsPerSec / one.timing.pointsPerSec, '×', '>=', 1.7);
    report.target('bytes written per point (--jobs 2)', two.timing.bytesWritten / two.points / 1e6, 'MB', '<=', 2);
    const redisBin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find(existsSync);
    if (!redisBin) {
      report.target('BullMQ path ran (redis-server installed)', 0, '', '>=', 1);
      return;
    }
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const procs: ChildProcess[] = [];
    try {
      const redis = spawn(redisBin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'ignore'] });
      procs.push(redis);
      await waitFor(redis, /Ready to accept connections/i, 'redis-server');
      for (let w = 0; w < 2; w++) {
        const p = spawn(process.execPath, [bin, 'worker', '--queue', url, '--data-dir', store.dataDir, '--jobs', '1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
        procs.push(p);
        await waitFor(p, /worker ready/, `worker ${w + 1}`);
      }
      const q = sweep('queue, 2 workers', ['--queue', url, '--batch', '5']);
      report.figure('queue / --jobs 2 points/s', q.timing.pointsPerSec / two.timing.pointsPerSec, '×', 'includes each worker preparing the market on its first job');
    } finally {
      for (const p of procs.reverse()) if (p.exitCode === null) p.kill('SIGTERM');
    }
  },
};

export default section;
