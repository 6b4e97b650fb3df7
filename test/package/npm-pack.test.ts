/**
 * perpcarry as a public package, tried as a user would: `npm pack` the project, install the tarball
 * into a fresh folder outside the repo, write a TypeScript strategy there that imports from
 * `perpcarry`, type-check it against the shipped .d.ts (the params type is inferred from the
 * schema: a misuse fails to compile), and run it with `npx perpcarry backtest` on the data bundled
 * in the package. Needs the npm registry (dependencies) and a built dist/ (`npm test` builds first).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'perpcarry-package-'));
const app = join(work, 'app');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

interface Ran {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a command without blocking the test worker (a spawnSync of minutes starves vitest's RPC and
 * fails the file with "Timeout calling onTaskUpdate").
 */
function run(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Ran> {
  // npm and npx must not see the repo's npm settings (PERPCARRY_DATA_DIR would point at the repo's data too).
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('npm_') || k === 'PERPCARRY_DATA_DIR' || k === 'INIT_CWD') delete env[k];
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { cwd, env, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status, signal) => resolveRun({ status, signal, stdout, stderr }));
  });
}
const ok = (r: Ran): string => `exit ${r.status} ${r.signal ?? ''}\n${r.stdout}\n${r.stderr}`;

/** The user's strategy: typed params from the schema, roles resolved in onStart, types from `perpcarry/strategy`. */
const STRATEGY = `import { defineStrategy, integer, number, spotPerp } from 'perpcarry';
import type { Instrument, StrategyContext } from 'perpcarry/strategy';

export default defineStrategy({
  name: 'outside-carry',
  description: 'Long spot / short perp while trailing funding APR > minApr',
  params: {
    minApr: number({ default: 0.05, unit: 'decimal APR', help: 'hold above this trailing APR' }),
    lookback: integer({ default: 3, min: 1, help: 'settlements in the trailing mean' }),
  },
  universe: (input) => spotPerp('outside-carry', input),
  create(p) {
    let spot: Instrument, perp: Instrument;
    const apr = (ctx: StrategyContext): number => ctx.market.trailingFundingApr(perp, p.lookback);
    return {
      onStart(ctx, legs) {
        ({ spot, perp } = legs);
        ctx.transfer({ fromVenue: perp.venue, fromAccount: 'spot', toVenue: perp.venue, toAccount: 'perp', amount: ctx.portfolio.equity() / 3 });
      },
      onBar(ctx, bar) {
        if (bar.instrument.id !== perp.id) return;
        const held = -ctx.portfolio.position(perp);
        if (held === 0 && apr(ctx) > p.minApr) ctx.hedge({ long: spot, short: perp, notional: ctx.portfolio.equity() * 0.66 });
        else if (held > 0 && !(apr(ctx) > p.minApr)) ctx.hedge({ long: perp, short: spot, qty: held });
      },
    };
  },
});
`;

/** The same module misusing its params: `minApr` is a number, `onbar` is not a hook. Must not compile. */
const MISTYPED = `import { defineStrategy, number, spotPerp } from 'perpcarry';
export default defineStrategy({
  name: 'mistyped', description: 'd',
  params: { minApr: number({ default: 0.05, help: 'h' }) },
  universe: (input) => spotPerp('mistyped', input),
  create(p) {
    const s: string = p.minApr;
    return { onbar() { void s; } };
  },
});
`;

const TSCONFIG = JSON.stringify({
  compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] },
});

describe('the npm package, installed outside the repo', () => {
  let tarball = '';
  beforeAll(async () => {
    const packed = await run('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], root, 300_000);
    expect(packed.status, ok(packed)).toBe(0);
    tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    mkdirSync(app);
    // danfojs-node (the report writer's) depends on @tensorflow/tfjs-node, whose install script
    // downloads a native library from storage.googleapis.com; the pure-JS tfjs stands in for it, as
    // in perpcarry's own package.json (docs/strategies.md says so for users).
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', overrides: { '@tensorflow/tfjs-node': 'npm:@tensorflow/tfjs@3.21.0' } }));
    const installed = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], app, 900_000);
    expect(installed.status, ok(installed)).toBe(0);
    writeFileSync(join(app, 'strategy.ts'), STRATEGY);
    writeFileSync(join(app, 'tsconfig.json'), TSCONFIG);
  }, 1_500_000);

  it('ships dist/, the declarations, the built-in strategies and the data, not the tests', () => {
    const pkg = join(app, 'node_modules', 'perpcarry');
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/strategy/index.d.ts', 'dist/strategies/delta-neutral/index.js', 'data/catalog.json', 'bin/perpcarry.mjs']) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
    expect(existsSync(join(pkg, 'test'))).toBe(false);
    expect(readdirSync(join(pkg, 'dist', 'strategies', 'delta-neutral')).filter((f) => f.includes('.test.'))).toEqual([]);
    expect(relative(root, app).startsWith('..')).toBe(true);
  });

  it('a TypeScript strategy importing from perpcarry type-checks; a misuse of its inferred params does not', async () => {
    const good = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 300_000);
    expect(good.status, ok(good)).toBe(0);
    writeFileSync(join(app, 'mistyped.ts'), MISTYPED);
    const bad = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 300_000);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toMatch(/mistyped\.ts\(7,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    // `onbar` is no hook: the returned object does not fit DefinedStrategy.
    expect(bad.stdout).toMatch(/mistyped\.ts\(\d+,\d+\): error TS\d+: [^\n]*onbar/);
  }, 600_000);

  it('npx perpcarry backtest --strategy ./strategy.ts runs on the bundled data', async () => {
    const r = await run('npx', ['perpcarry', 'backtest', '--strategy', './strategy.ts', '--venue', 'binance', '--symbol', 'ETH/USDT', '--window', '2025-02-03', '--json'], app, 300_000);
    expect(r.status, ok(r)).toBe(0);
    const { runDir, summary } = JSON.parse(r.stdout) as { runDir: string; summary: { strategy: string; metrics: { tradeCount: number; finalEquity: number } } };
    expect(summary.strategy).toBe('outside-carry');
    // The README example's logic on the same window: one hedge in and out (4 fills), pinned there too.
    expect(summary.metrics.tradeCount).toBe(4);
    expect(summary.metrics.finalEquity).toBeCloseTo(99829.19, 2);
    expect(runDir.startsWith(join(app, 'reports'))).toBe(true);
  }, 600_000);
});
