/**
 * `npm run bench`: the speed benchmark of issue 3. Imports the full-year Binance BTC 1m set from
 * ../shared (spot, perp mid, perp mark, funding) into `.bench/data` once (cached, gitignored) through
 * the data layer's import API, then times `perpcarry backtest` of `delta-neutral` on it as a child
 * process and prints events/s in the engine loop, load time, loop time, wall time and peak RSS:
 * medians of PERPCARRY_BENCH_REPS (default 3) runs each of `--no-report` and of the default run
 * (which also writes report.md and report.html). Targets, for both: ≥ 10M events/s in the loop,
 * ≤ 3 s for the whole process, ≤ 500 MB peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importFile } from '../src/data/import/index.js';
import { readCatalog } from '../src/data/catalog.js';
import type { SeriesKind } from '../src/core/ids.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = process.env.PERPCARRY_BENCH_SOURCE ?? resolve(root, '..', 'shared', 'data', 'prices', 'binance_btc_1m_2025_2026');
const dataDir = join(root, '.bench', 'data');

interface Step {
  file: string;
  symbol: string;
  kind: SeriesKind;
  valueColumn?: string;
}

const steps: Step[] = [
  { file: 'BTCUSDT_spot_1m.parquet', symbol: 'BTC/USDT', kind: 'ohlcv', valueColumn: 'spot_mid' },
  { file: 'BTCUSDT_perp_mid_1m.parquet', symbol: 'BTC/USDT:USDT', kind: 'ohlcv', valueColumn: 'perp_mid' },
  { file: 'BTCUSDT_perp_mark_1m.parquet', symbol: 'BTC/USDT:USDT', kind: 'mark', valueColumn: 'perp_mark' },
  { file: 'BTCUSDT_funding_1m.parquet', symbol: 'BTC/USDT:USDT', kind: 'funding' },
];

async function ensureData(): Promise<void> {
  const cat = readCatalog(dataDir);
  for (const s of steps) {
    const have = cat.entries.some((e) => e.symbol === s.symbol && e.kind === s.kind && (s.kind === 'funding' || e.timeframe === '1m'));
    if (have) continue;
    const file = join(shared, s.file);
    if (!existsSync(file)) throw new Error(`bench source ${file} is missing (set PERPCARRY_BENCH_SOURCE)`);
    const t0 = performance.now();
    const r = await importFile({
      file,
      dataDir,
      venue: 'binance',
      symbol: s.symbol,
      kind: s.kind,
      ...(s.kind === 'funding' ? { columns: { rate: 'funding_rate' } } : { timeframe: '1m', valueColumn: s.valueColumn }),
      sources: [`Klp61/btc-funding-rate-arb @ 237f5777496d15ed59e0bdbea5da9ed2f20ee373 : notebooks/cache/${s.file}`],
      method: 'import',
    });
    console.log(`imported ${s.file} → ${r.entry.path} (${r.entry.rows} rows) in ${(performance.now() - t0).toFixed(0)} ms`);
  }
}

interface Timing {
  loadMs: number;
  loopMs: number;
  totalMs: number;
  events: number;
  eventsPerSec: number;
  peakRssMb?: number;
  loopCpuMs?: number;
  reportMs?: number;
}

function runOnce(extra: string[]): { wallMs: number; timing: Timing; stdout: string } {
  const cat = readCatalog(dataDir);
  const spot = cat.entries.find((e) => e.symbol === 'BTC/USDT' && e.kind === 'ohlcv')!;
  const args = [
    join(root, 'bin', 'perpcarry.mjs'),
    'backtest',
    '--strategy', 'delta-neutral',
    '--venue', 'binance',
    '--symbol', 'BTC/USDT',
    '--timeframe', '1m',
    '--from', String(spot.firstTs),
    '--to', String(spot.lastTs + 60_000),
    '--data-dir', dataDir,
    '--out', join(root, '.bench', 'run'),
    '--json',
    ...extra,
  ];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`backtest failed (exit ${r.status}):\n${r.stderr}`);
  const out = JSON.parse(r.stdout) as { timing: Timing };
  return { wallMs, timing: out.timing, stdout: r.stdout };
}

await ensureData();
const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
console.log(`machine: ${machine}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const variants: [string, string[]][] = [
  ['backtest --no-report (engine + run dir)', ['--no-report']],
  ['backtest (default: with report.md + report.html)', []],
];
const REPS = Number(process.env.PERPCARRY_BENCH_REPS ?? 3);
/** Median of a list of numbers (mean of the middle two for an even count). */
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
let ok = true;
for (const [label, extra] of variants) {
  const runs = Array.from({ length: REPS }, () => runOnce(extra));
  const wall = runs.map((r) => r.wallMs);
  const med = (f: (t: Timing) => number | undefined): number => median(runs.map((r) => f(r.timing) ?? NaN));
  const eps = med((t) => t.eventsPerSec);
  const rssMb = med((t) => t.peakRssMb);
  const loopCpu = med((t) => t.loopCpuMs);
  console.log(`\n${label}: median of ${runs.length} (wall min ${Math.min(...wall).toFixed(0)}, max ${Math.max(...wall).toFixed(0)} ms)`);
  console.log(`  events        ${runs[0]!.timing.events}`);
  console.log(`  engine loop   ${med((t) => t.loopMs).toFixed(1)} ms  →  ${(eps / 1e6).toFixed(1)} M events/s   (target ≥ 10)`);
  console.log(`  load + merge  ${med((t) => t.loadMs).toFixed(1)} ms`);
  console.log(`  process wall  ${median(wall).toFixed(0)} ms   (target ≤ 3000)`);
  console.log(`  peak RSS      ${Number.isNaN(rssMb) ? '?' : rssMb.toFixed(0)} MB   (target ≤ 500)`);
  if (!Number.isNaN(loopCpu)) console.log(`  loop CPU      ${loopCpu.toFixed(1)} ms`);
  const reportMs = med((t) => t.reportMs);
  if (!Number.isNaN(reportMs)) console.log(`  reports       ${reportMs.toFixed(0)} ms (in-process: import, tables, charts, md + html written)`);
  // Issue 3: the whole `perpcarry backtest` process, reports included (the default), within limits.
  ok = ok && eps >= 10e6 && median(wall) <= 3000 && rssMb <= 500;
}
const summary = JSON.parse(readFileSync(join(root, '.bench', 'run', 'summary.json'), 'utf8')) as { metrics: { totalReturn: number } };
console.log(`\nsanity: delta-neutral total return over the year ${(summary.metrics.totalReturn * 100).toFixed(2)}%`);
console.log(ok ? '\nbench: targets met' : '\nbench: TARGETS MISSED');
