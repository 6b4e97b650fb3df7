/**
 * Monte Carlo paths as tasks of the sweep's dispatchers: in-process, `--jobs 2` (tinypool threads
 * sharing the market) and `--queue` on a real redis-server with two `perpcarry worker` processes
 * write byte-identical files, under a bundled scenario. A worker whose copy of a scenario differs
 * from the producer's refuses the job, naming the scenario and both hashes.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { marketRequestOf, prepareMarket, resolveRun, shockMarket, type BacktestConfig } from '../../src/engine/backtest.js';
import type { PathPayload, PathRow } from '../../src/analysis/montecarlo-task.js';
import { marketSpecOf, queueDispatcher } from '../../src/research/queue.js';
import { runSpecOf } from '../../src/research/run-spec.js';
import { resolveScenario } from '../../src/scenario/bundled.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { loadStrategy } from '../../src/strategy/registry.js';
import { killAll, startRedis, startWorker, type TestRedis } from '../support/redis.js';
import { spawnAsync } from '../support/spawn.js';
import { ROOT, tmpDir } from '../support/paths.js';

const bin = join(ROOT, 'bin', 'perpcarry.mjs');
const dataDir = join(ROOT, 'data');
const out = tmpDir('perpcarry-mc-dispatch-');
const children: ChildProcess[] = [];
let redis: TestRedis | undefined;
const files = ['montecarlo.json', 'paths.csv', 'fan.html'];
const run = ['montecarlo', '--strategy', 'delta-neutral', '--venue', 'binance', '--symbol', 'ETH/USDT', '--from', '2025-01-20', '--to', '2025-02-10', '--paths', '8', '--seed', '5', '--scenario', 'feb-2025-eth-discount', '--data-dir', dataDir];

beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist', 'src', 'analysis', 'montecarlo-task.js'))) throw new Error('dist/ is missing: run `npx tsc -p .` (npm test does)');
  redis = await startRedis();
}, 60_000);

afterAll(async () => {
  killAll(children);
  await redis?.stop();
});

describe('perpcarry montecarlo on the dispatchers', () => {
  test('in-process, --jobs 2 and --queue with two workers write the same bytes', async () => {
    const url = redis!.url;
    const workers = [startWorker(url, dataDir, children, []), startWorker(url, dataDir, children, [])];
    await Promise.all(workers.map((w) => w.ready));
    const modes: [string, string[]][] = [['local', []], ['jobs2', ['--jobs', '2']], ['queue', ['--queue', url, '--batch', '2']]];
    for (const [name, extra] of modes) {
      const r = await spawnAsync(process.execPath, [bin, ...run, ...extra, '--out', join(out, name), '--json'], { cwd: ROOT });
      expect(r.code, `${name}: ${r.err}`).toBe(0);
    }
    for (const f of files) {
      const local = readFileSync(join(out, 'local', f));
      for (const name of ['jobs2', 'queue']) expect(readFileSync(join(out, name, f)).equals(local), `${name}/${f}`).toBe(true);
    }
    // The paths ran on the workers: 8 paths in jobs of 2.
    const started = workers.flatMap((w) => w.lines.filter((l) => / job \S+ started \(montecarlo-path\)/.test(l)));
    expect(started.length).toBe(4);
    // The scenario was applied (the real path's basis shock shows in the drawdown) and recorded.
    const j = JSON.parse(readFileSync(join(out, 'queue', 'montecarlo.json'), 'utf8')) as { run: { scenarios: { name: string }[] }; summary: { paths: number } };
    expect(j.run.scenarios.map((s) => s.name)).toEqual(['feb-2025-eth-discount']);
    expect(j.summary.paths).toBe(8);
    await Promise.all(workers.map((w) => w.stop()));
  }, 300_000);

  test('a worker whose bundled scenario differs from the producer\'s refuses the job', async () => {
    const url = redis!.url;
    const w = startWorker(url, dataDir, children, []);
    await w.ready;
    // A producer with another version of the bundled scenario (a deeper discount): consistent in
    // itself (its market key covers its own hash), different from this worker's copy.
    const mine = resolveScenario('feb-2025-eth-discount');
    const doc = JSON.parse(JSON.stringify(mine.doc)) as { shocks: { basisPct?: number }[] };
    doc.shocks[0]!.basisPct = -9;
    const theirs = { ...parseScenario('bundled:feb-2025-eth-discount', doc), source: 'bundled:feb-2025-eth-discount' };
    const { factory } = await loadStrategy('delta-neutral');
    const config: BacktestConfig = { strategy: factory, strategySource: 'delta-neutral', venues: ['binance'], symbol: 'ETH/USDT', timeframe: '1h', fromMs: Date.UTC(2025, 0, 20), toMs: Date.UTC(2025, 1, 10), dataDir, scenarios: [theirs] };
    const market = shockMarket(prepareMarket(marketRequestOf(config, resolveRun(config))), [theirs]);
    const d = await queueDispatcher<PathPayload, PathRow>({ url, task: 'montecarlo-path', market: marketSpecOf(market, dataDir, [theirs]) });
    const payload: PathPayload = { run: runSpecOf(config), dataDir, options: { paths: 1, seed: 1, method: 'block-bootstrap', blockHours: 24, regime: null, fanPoints: 4 }, path: 0, fanTs: [config.fromMs, config.toMs] };
    try {
      await expect(d.run(payload)).rejects.toThrow(/the scenarios here differ from the sweep's .*\n\s+scenario feb-2025-eth-discount \(bundled:feb-2025-eth-discount\): sha256 [0-9a-f]{64} here, [0-9a-f]{64} in the sweep/);
    } finally {
      await d.close();
    }
    await w.stop();
  }, 180_000);
});
