/**
 * Bench data, prepared once and cached under .bench/ (gitignored):
 * - the full-year Binance BTC 1m set (spot, perp, mark, funding) imported from
 *   ../shared/data/prices/binance_btc_1m_2025_2026/ through the data layer's import API;
 * - the same closes as raw little-endian float64 files (what a numpy notebook reads);
 * - a store of N years made by tiling one 8h-aligned year of that set end to end (prices of each
 *   copy scaled to continue where the previous ended, so no jump; funding kept on the 8h grid).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SeriesKind } from '../src/core/ids.js';
import { readCatalog, storeSeries, type CatalogEntry } from '../src/data/catalog.js';
import { importFile } from '../src/data/import/index.js';
import { KIND_COLUMNS } from '../src/data/schema.js';
import { readSeriesFile, type SeriesColumns } from '../src/data/store.js';
import { BENCH_DIR, ROOT } from './harness.js';

const SOURCE = process.env['PERPCARRY_BENCH_SOURCE'] ?? resolve(ROOT, '..', 'shared', 'data', 'prices', 'binance_btc_1m_2025_2026');
const ORIGIN = 'Klp61/btc-funding-rate-arb @ 237f5777496d15ed59e0bdbea5da9ed2f20ee373 : notebooks/cache/';
const MS_8H = 8 * 3_600_000;
const MS_MIN = 60_000;

interface Step {
  file: string;
  symbol: string;
  kind: SeriesKind;
  valueColumn?: string;
}

const STEPS: Step[] = [
  { file: 'BTCUSDT_spot_1m.parquet', symbol: 'BTC/USDT', kind: 'ohlcv', valueColumn: 'spot_mid' },
  { file: 'BTCUSDT_perp_mid_1m.parquet', symbol: 'BTC/USDT:USDT', kind: 'ohlcv', valueColumn: 'perp_mid' },
  { file: 'BTCUSDT_perp_mark_1m.parquet', symbol: 'BTC/USDT:USDT', kind: 'mark', valueColumn: 'perp_mark' },
  { file: 'BTCUSDT_funding_1m.parquet', symbol: 'BTC/USDT:USDT', kind: 'funding' },
];

/** A prepared store and the window that spans it. */
export interface BenchStore {
  dataDir: string;
  fromMs: number;
  toMs: number;
}

const entryOf = (cat: ReturnType<typeof readCatalog>, s: Step): CatalogEntry | undefined =>
  cat.entries.find((e) => e.symbol === s.symbol && e.kind === s.kind && (s.kind === 'funding' || e.timeframe === '1m'));

/** The full-year set in `.bench/data` (imported on first use); window = first bar open → last bar close. */
export async function yearStore(log: (s: string) => void): Promise<BenchStore> {
  const dataDir = join(BENCH_DIR, 'data');
  for (const s of STEPS) {
    if (entryOf(readCatalog(dataDir), s)) continue;
    const file = join(SOURCE, s.file);
    if (!existsSync(file)) throw new Error(`bench source ${file} is missing (set PERPCARRY_BENCH_SOURCE)`);
    const t0 = performance.now();
    const r = await importFile({
      file,
      dataDir,
      venue: 'binance',
      symbol: s.symbol,
      kind: s.kind,
      ...(s.kind === 'funding' ? { columns: { rate: 'funding_rate' } } : { timeframe: '1m', valueColumn: s.valueColumn }),
      sources: [ORIGIN + s.file],
      method: 'import',
    });
    log(`imported ${s.file} → ${r.entry.path} (${r.entry.rows} rows) in ${(performance.now() - t0).toFixed(0)} ms`);
  }
  const spot = entryOf(readCatalog(dataDir), STEPS[0]!)!;
  return { dataDir, fromMs: spot.firstTs, toMs: spot.lastTs + MS_MIN };
}

/** Raw float64 files of the year (ts, spot/perp/mark close, funding ts/rate) for the notebook. */
export interface RawArrays {
  dir: string;
  bars: number;
  settlements: number;
}

/** Write the year's columns as raw float64 files once (`.bench/raw/<name>.f64`). */
export function rawArrays(store: BenchStore): RawArrays {
  const dir = join(BENCH_DIR, 'raw');
  const meta = join(dir, 'meta.json');
  if (existsSync(meta)) return JSON.parse(readFileSync(meta, 'utf8')) as RawArrays;
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const read = (sym: string, file: string): SeriesColumns => readSeriesFile(join(store.dataDir, 'binance', sym, file));
  const spot = read('BTC-USDT', 'ohlcv-1m.arrow');
  const perp = read('BTC-USDT-USDT', 'ohlcv-1m.arrow');
  const mark = read('BTC-USDT-USDT', 'mark-1m.arrow');
  const fund = read('BTC-USDT-USDT', 'funding.arrow');
  for (const [name, s] of [['perp', perp], ['mark', mark]] as const) {
    if (s.ts.length !== spot.ts.length || s.ts.some((t, i) => t !== spot.ts[i])) throw new Error(`bench: ${name} bars are not on the spot bars' times`);
  }
  const put = (name: string, a: Float64Array): void => writeFileSync(join(tmp, `${name}.f64`), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  put('ts', spot.ts);
  put('spot_close', spot.columns['close']!);
  put('perp_close', perp.columns['close']!);
  put('mark_close', mark.columns['close']!);
  put('funding_ts', fund.ts);
  put('funding_rate', fund.columns['rate']!);
  const out: RawArrays = { dir, bars: spot.ts.length, settlements: fund.ts.length };
  writeFileSync(join(tmp, 'meta.json'), JSON.stringify(out));
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return out;
}

/** Rows of `s` with ts in [from, to). */
function slice(s: SeriesColumns, from: number, to: number): SeriesColumns {
  let a = 0;
  while (a < s.ts.length && s.ts[a]! < from) a++;
  let b = a;
  while (b < s.ts.length && s.ts[b]! < to) b++;
  const columns: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(s.columns)) columns[k] = v.subarray(a, b);
  return { ts: s.ts.subarray(a, b), columns };
}

/**
 * `years` copies of one tile of the year set, end to end, in `.bench/tiled-<years>y` (built once).
 * The tile is the 1,094 whole 8h periods from the first settlement (364 d 16 h: 525,120 bars per
 * series, 1,094 settlements), so copies join on the 1m and the 8h grids with no gap. Copy k's
 * prices are the tile's times r^k, r = the tile's last spot close / first spot open, for every
 * price column alike (basis and funding kept; volume and rates unchanged).
 */
export async function tiledStore(years: number, log: (s: string) => void): Promise<BenchStore & { tileMs: number }> {
  const year = await yearStore(log);
  const dataDir = join(BENCH_DIR, `tiled-${years}y`);
  const read = (sym: string, file: string): SeriesColumns => readSeriesFile(join(year.dataDir, 'binance', sym, file));
  const fund = read('BTC-USDT-USDT', 'funding.arrow');
  const A = Math.ceil(fund.ts[0]! / MS_8H) * MS_8H;
  const tiles = Math.floor((year.toMs - A) / MS_8H);
  const tileMs = tiles * MS_8H;
  const store = { dataDir, fromMs: A, toMs: A + years * tileMs, tileMs };
  if (STEPS.every((s) => entryOf(readCatalog(dataDir), s))) return store;
  const t0 = performance.now();
  const spot = slice(read('BTC-USDT', 'ohlcv-1m.arrow'), A, A + tileMs);
  const r = spot.columns['close']![spot.ts.length - 1]! / spot.columns['open']![0]!;
  const sources: [Step, SeriesColumns][] = [
    [STEPS[0]!, spot],
    [STEPS[1]!, slice(read('BTC-USDT-USDT', 'ohlcv-1m.arrow'), A, A + tileMs)],
    [STEPS[2]!, slice(read('BTC-USDT-USDT', 'mark-1m.arrow'), A, A + tileMs)],
    [STEPS[3]!, slice(fund, A, A + tileMs)],
  ];
  for (const [step, tile] of sources) {
    const n = tile.ts.length;
    if (step.kind !== 'funding' && n !== tileMs / MS_MIN) throw new Error(`bench: ${step.file} has ${n} bars in the tile, expected ${tileMs / MS_MIN} (a gap)`);
    const cols = KIND_COLUMNS[step.kind];
    const ts = new Float64Array(n * years);
    const columns: Record<string, Float64Array> = {};
    for (const c of cols) columns[c] = new Float64Array(n * years);
    for (let k = 0; k < years; k++) {
      const scale = r ** k;
      for (let i = 0; i < n; i++) ts[k * n + i] = tile.ts[i]! + k * tileMs;
      for (const c of cols) {
        const src = tile.columns[c]!;
        const dst = columns[c]!;
        const isPrice = c !== 'volume' && c !== 'rate' && c !== 'interval_hours';
        for (let i = 0; i < n; i++) dst[k * n + i] = isPrice ? src[i]! * scale : src[i]!;
      }
    }
    storeSeries(
      { ts, columns },
      {
        dataDir,
        venue: 'binance',
        symbol: step.symbol,
        kind: step.kind,
        ...(step.kind === 'funding' ? {} : { timeframe: '1m' }),
        merge: false,
        provenance: {
          method: 'import',
          sources: [ORIGIN + step.file],
          notes: [`bench: ${years} copies of ${new Date(A).toISOString()} + ${tileMs / MS_8H} × 8h, copy k prices × ${r.toFixed(6)}^k`],
          updatedAt: new Date().toISOString(),
        },
      },
    );
  }
  log(`built ${dataDir} (${years} × ${tileMs / MS_MIN} bars per series) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return store;
}
