/**
 * Hand-made market scenarios for strategy tests, written as real Arrow files plus catalog.json into
 * a temporary data directory through the same store code a data import uses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Symbol, VenueId } from '../../src/core/ids.js';
import { MS_PER_HOUR } from '../../src/core/time.js';
import { storeSeries } from '../../src/data/catalog.js';
import type { BacktestResult } from '../../src/engine/backtest.js';
import { runBacktest } from '../../src/engine/backtest.js';
import type { ParamValue, StrategyFactory } from '../../src/strategy/types.js';

/** A fresh temporary data directory. */
export function tempDataDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `perpcarry-${tag}-`));
}

const PROV = { method: 'import' as const, sources: ['hand-made test scenario'], updatedAt: '2025-01-01T00:00:00.000Z' };

/**
 * Store flat 1h bars (open = high = low = close = `closes[i]`, so fills at the next open are at a
 * known price) for `venue`/`symbol` starting at `startMs`. `kind` is `ohlcv` or `mark`.
 */
export function writeFlatBars(dataDir: string, venue: VenueId, symbol: Symbol, startMs: number, closes: readonly number[], kind: 'ohlcv' | 'mark' = 'ohlcv'): void {
  const n = closes.length;
  const ts = new Float64Array(n);
  const px = Float64Array.from(closes);
  for (let i = 0; i < n; i++) ts[i] = startMs + i * MS_PER_HOUR;
  const columns: Record<string, Float64Array> = { open: px, high: px.slice(), low: px.slice(), close: px.slice() };
  if (kind === 'ohlcv') columns.volume = new Float64Array(n).fill(1e6);
  storeSeries({ ts, columns }, { dataDir, venue, symbol, kind, timeframe: '1h', provenance: PROV });
}

/** Store funding settlements: `rows` of [ts, rate per interval, intervalHours, markPrice (NaN = none)]. */
export function writeFunding(dataDir: string, venue: VenueId, symbol: Symbol, rows: readonly (readonly [number, number, number, number])[]): void {
  const ts = Float64Array.from(rows.map((r) => r[0]));
  storeSeries(
    {
      ts,
      columns: {
        rate: Float64Array.from(rows.map((r) => r[1])),
        interval_hours: Float64Array.from(rows.map((r) => r[2])),
        mark_price: Float64Array.from(rows.map((r) => r[3])),
      },
    },
    { dataDir, venue, symbol, kind: 'funding', provenance: PROV },
  );
}


/** 2025-01-01T00:00Z: the start of every hand-made scenario. */
export const T0 = Date.UTC(2025, 0, 1);
/** Hours after {@link T0}, ms. */
export const h = (hours: number): number => T0 + hours * MS_PER_HOUR;

/** Run a hand-made scenario in-process: 1h bars, capital 100000, no slippage (fees from the default schedule). */
export function runScenario(opts: {
  strategy: StrategyFactory;
  params: Record<string, ParamValue>;
  venues: string[];
  symbol: string;
  dataDir: string;
  hours: number;
  /** Leave the book open at the end (no close-at-end trades). */
  markToMarketEnd?: boolean;
}): BacktestResult {
  return runBacktest({
    markToMarketEnd: opts.markToMarketEnd,
    strategy: opts.strategy,
    params: opts.params,
    venues: opts.venues,
    symbol: opts.symbol,
    timeframe: '1h',
    fromMs: T0,
    toMs: h(opts.hours),
    capital: 100_000,
    dataDir: opts.dataDir,
    models: { slippage: { name: 'fixed', params: { bps: 0 } } },
  });
}

/** Trades of a run as compact tuples [hours after T0, venue, symbol, side, qty, price, fee]. */
export function tradeRows(r: BacktestResult): [number, string, string, string, number, number, number][] {
  return r.portfolio.trades.map((t) => [(t.ts - T0) / MS_PER_HOUR, t.venue, t.symbol, t.side, t.qty, t.price, t.fee]);
}
