/**
 * The event sources of a run, walked instant by instant (src/replay/instants.ts): per instrument its
 * mark, OHLCV and index bars (delivered at open + timeframe) and its funding settlements inside the
 * window. The source kind is the same-timestamp priority: mark → OHLCV → index → funding; sources
 * are listed in that order, so source index order is the merge order.
 */
import type { MergeSource } from '../replay/merge.js';
import type { BarSeries, FundingSeries, MarketData } from './data.js';

/** Source kinds; the numeric value is the same-timestamp priority. */
export const K_MARK = 0;
export const K_OHLCV = 1;
export const K_INDEX = 2;
export const K_FUNDING = 3;

/** The merge inputs plus, per source, its kind, instrument and columns. */
export interface EventSources {
  /** Delivery times per source, in merge order (a run walks them with a fresh {@link InstantWalk}). */
  merge: readonly MergeSource[];
  /** Events in the window (all sources). */
  events: number;
  kind: Uint8Array;
  inst: Int32Array;
  bars: (BarSeries | null)[];
  funding: (FundingSeries | null)[];
  /** First funding row inside the window per instrument (rows before are history). */
  fundingStart: Int32Array;
}

/**
 * Sources of frozen markets (a prepared market: src/engine/backtest.ts preparedFrom). They depend
 * only on the market, and a frozen market's columns are never written, so every run on it (a
 * sweep's points, Monte Carlo re-runs) reuses them and their sample count. The engine only reads
 * an EventSources.
 */
const merged = new WeakMap<MarketData, EventSources>();

/** Build the sources of `market` (reads it, never writes it); cached for a frozen market. */
export function buildEventSources(market: MarketData): EventSources {
  if (!Object.isFrozen(market)) return mergeMarket(market);
  let s = merged.get(market);
  if (!s) {
    s = mergeMarket(market);
    merged.set(market, s);
  }
  return s;
}

function mergeMarket(market: MarketData): EventSources {
  const ni = market.instruments.length;
  const tfMs = market.timeframeMs;
  const sources: MergeSource[] = [];
  const kind: number[] = [];
  const inst: number[] = [];
  const bars: (BarSeries | null)[] = [];
  const funding: (FundingSeries | null)[] = [];
  const fundingStart = new Int32Array(ni);
  const addBars = (k: number, i: number, b: BarSeries | null): void => {
    if (!b) return;
    // Delivered at open + timeframe: the merge adds the offset (no shifted copy of the column).
    sources.push({ deliverTs: b.ts, offsetMs: tfMs, priority: k });
    kind.push(k);
    inst.push(i);
    bars.push(b);
    funding.push(null);
  };
  for (let i = 0; i < ni; i++) addBars(K_MARK, i, market.mark[i]!);
  for (let i = 0; i < ni; i++) addBars(K_OHLCV, i, market.bars[i]!);
  for (let i = 0; i < ni; i++) addBars(K_INDEX, i, market.index[i]!);
  for (let i = 0; i < ni; i++) {
    const f = market.funding[i];
    if (!f) continue;
    // Settlements strictly after the start; those at or before it are history.
    let s0 = 0;
    while (s0 < f.ts.length && f.ts[s0]! <= market.fromMs) s0++;
    fundingStart[i] = s0;
    let s1 = s0;
    while (s1 < f.ts.length && f.ts[s1]! <= market.toMs) s1++;
    sources.push({ deliverTs: f.ts.subarray(s0, s1), priority: K_FUNDING });
    kind.push(K_FUNDING);
    inst.push(i);
    bars.push(null);
    funding.push(f);
  }
  const kinds = Uint8Array.from(kind);
  const events = sources.reduce((n, x) => n + x.deliverTs.length, 0);
  return { merge: sources, events, kind: kinds, inst: Int32Array.from(inst), bars, funding, fundingStart };
}

/**
 * Stands in for a column the replay loop does not read in this run. Reading it is an engine bug
 * (the loop reads a column {@link loopColumns} was not told about): it throws instead of
 * yielding `undefined` and a silently wrong NaN.
 */
const NOT_TAKEN: Float64Array = new Proxy(new Float64Array(0), {
  get(_target, key) {
    throw new Error(`engine bug: the replay loop read column element ${String(key)} that loopColumns did not take for it`);
  },
});

/** What the replay loop of one run reads besides `ts` and `close` (see {@link loopColumns}). */
export interface LoopNeeds {
  /** The slippage model observes every closed OHLCV bar: OHLCV sources need all five columns. */
  observeBars: boolean;
}

/** The columns the replay loop and the equity sampler read, as plain arrays taken once per run. */
export interface LoopColumns {
  /** Per source of {@link EventSources} (null for funding sources). */
  bySource: (BarSeries | null)[];
  /** Per instrument id: its OHLCV bars. */
  ohlcv: BarSeries[];
  /** Per instrument id: its mark bars, or null. */
  mark: (BarSeries | null)[];
  /** Every column taken, once each (series on one bar grid share `ts`). */
  taken: Float64Array[];
}

/**
 * The bar columns a run's replay loop reads (engine.ts absorbBarsAndCheckLiquidations,
 * feedSlippage; the equity sampler), each taken from its BarSeries once — a loaded series reads
 * a column from disk on first access (src/engine/data.ts), so this is where that happens for
 * the loop, and the loop itself reads plain arrays, never a getter:
 * - every source: `ts`; a mark or OHLCV source: `close`;
 * - a mark source: `high`, `low` (liquidation checks on the adverse extreme);
 * - an OHLCV source of a perp without a mark series: `high`, `low` (its bars stand in for the mark);
 * - an OHLCV source when the slippage model observes bars: `open`, `high`, `low`, `volume`.
 * Columns not listed are {@link NOT_TAKEN}. Strategies (market view), the order book and ADL read
 * the BarSeries themselves, so their columns are read only if they ask.
 */
export function loopColumns(market: MarketData, src: EventSources, needs: LoopNeeds): LoopColumns {
  const ni = market.instruments.length;
  const taken = new Set<Float64Array>();
  // Only a column asked for is read (each getter reads from disk): the others are never touched.
  const keep = (c: Float64Array): Float64Array => {
    taken.add(c);
    return c;
  };
  const take = (b: BarSeries, close: boolean, highLow: boolean, all: boolean): BarSeries => ({
    ts: keep(b.ts),
    open: all ? keep(b.open) : NOT_TAKEN,
    high: highLow || all ? keep(b.high) : NOT_TAKEN,
    low: highLow || all ? keep(b.low) : NOT_TAKEN,
    close: close ? keep(b.close) : NOT_TAKEN,
    volume: all ? keep(b.volume) : NOT_TAKEN,
  });
  const ohlcv: BarSeries[] = new Array<BarSeries>(ni);
  const mark: (BarSeries | null)[] = new Array<BarSeries | null>(ni).fill(null);
  const bySource = src.bars.map((b, s) => {
    if (!b) return null;
    const i = src.inst[s]!;
    const kind = src.kind[s]!;
    if (kind === K_MARK) return (mark[i] = take(b, true, true, false));
    if (kind === K_OHLCV) {
      const perpWithoutMark = market.instruments[i]!.type === 'perp' && !market.mark[i];
      return (ohlcv[i] = take(b, true, perpWithoutMark, needs.observeBars));
    }
    // An index source only moves the market cursor; the market view reads its close itself.
    return take(b, false, false, false);
  });
  return { bySource, ohlcv, mark, taken: [...taken] };
}
