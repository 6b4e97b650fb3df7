/**
 * The BullMQ path on a real redis-server (started here on a free loopback port, stopped after):
 * two `perpcarry worker` processes, one killed with SIGKILL mid-job; the sweep's files are
 * byte-identical to a local run. A worker whose data differs refuses the job and the sweep fails
 * naming the file.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { killAll, startRedis, startWorker as startQueueWorker, type TestRedis, type TestWorker } from '../support/redis.js';
import { tempDataDir } from '../support/series.js';
import { spawnAsync, type Ran } from '../support/spawn.js';
import { filesOf, writeSweepMarket } from '../support/sweep-market.js';

const root = process.cwd();
const bin = join(root, 'bin', 'perpcarry.mjs');
const data = tempDataDir('perpcarry-queue-data-');
const other = tempDataDir('perpcarry-queue-other-');
const out = tempDataDir('perpcarry-queue-out-');
let redis: TestRedis | undefined;
let url = '';
const children: ChildProcess[] = [];

const base = (dataDir: string): string[] => ['--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'BTC/USDT', '--from', '2024-01-01', '--to', '2024-12-31', '--data-dir', dataDir, '--no-progress'];
const grid = ['--grid', 'leverage=1,2,3', '--grid', 'entryApr=0.02:0.1:0.04', '--grid', 'lookback=3,9'];

const startWorker = (dataDir: string): TestWorker => startQueueWorker(url, dataDir, children);

const runCli = (args: string[]): Promise<Ran> => spawnAsync(process.execPath, [bin, ...args], { cwd: root });

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'commands', 'worker.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
  writeSweepMarket(data, 366);
  writeSweepMarket(other, 366, 25);
  redis = await startRedis();
  url = redis.url;
}, 60_000);

afterAll(async () => {
  killAll(children);
  await redis?.stop();
});

describe('sweep --queue on BullMQ with perpcarry workers', () => {
  test('two workers, one killed mid-job: the stalled job is retried on the other; files identical to a local sweep', async () => {
    const local = spawnSync(process.execPath, [bin, 'sweep', ...base(data), ...grid, '--keep-top', '2', '--out', join(out, 'local')], { cwd: root, encoding: 'utf8' });
    expect(local.status).toBe(0);
    const a = startWorker(data);
    const b = startWorker(data);
    await Promise.all([a.ready, b.ready]);
    const sweep = runCli(['sweep', ...base(data), ...grid, '--keep-top', '2', '--queue', url, '--batch', '3', '--out', join(out, 'queued')]);
    // Kill worker A as soon as it has started a job (its first job also prepares the market).
    let killedJob = '';
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        const started = a.lines.find((l) => / job \S+ started/.test(l));
        if (started) {
          clearInterval(t);
          a.proc.kill('SIGKILL');
          killedJob = / job (\S+) started/.exec(started)![1]!;
          resolve();
        }
      }, 5);
      setTimeout(() => reject(new Error(`worker A took no job: ${a.lines.join(' | ')}`)), 60_000).unref();
    });
    const r = await sweep;
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/18 points \(18 run, 0 already done\)/);
    // A died inside the job (its first: preparing the market, starting a thread, three runs);
    // after its lock expired, B's stalled-job check put the job back and B ran it.
    expect(a.lines.some((l) => l.includes(`job ${killedJob} done`))).toBe(false);
    expect(b.lines.some((l) => l.includes(`job ${killedJob} started`))).toBe(true);
    const idOf = (d: string): string => join(d, readdirSync(d)[0]!);
    const x = filesOf(idOf(join(out, 'local')));
    const y = filesOf(idOf(join(out, 'queued')));
    expect([...y.keys()].sort()).toEqual([...x.keys()].sort());
    for (const [k, v] of x) expect(y.get(k)!.equals(v), k).toBe(true);
    b.proc.kill('SIGTERM');
    await new Promise((res) => b.proc.once('exit', res));
  }, 300_000);

  test('a worker whose data differs refuses the job; the sweep fails naming the file and both hashes', async () => {
    const w = startWorker(other);
    await w.ready;
    const r = await runCli(['sweep', ...base(data), '--grid', 'leverage=1,2', '--queue', url, '--out', join(out, 'refused')]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/failed on a worker: worker .* the data in .* differs from the sweep's:/);
    expect(r.err).toMatch(/binance\/BTC-USDT-USDT\/ohlcv-1h\.arrow: sha256 [0-9a-f]{64} \(8760 rows\) here, [0-9a-f]{64} \(8760 rows\) in the sweep/);
    w.proc.kill('SIGTERM');
    await new Promise((res) => w.proc.once('exit', res));
  }, 180_000);
});
