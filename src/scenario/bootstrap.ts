/**
 * Synthetic market paths from real data: a stationary block bootstrap (Politis & Romano 1994,
 * "The Stationary Bootstrap", JASA 89(428)) of the window's bars, joint across every series of the
 * run, with funding drawn from the same source times. A path is a pure function of
 * (market, options, seed, path index): `seedrandom("<seed>:<path>")` drives every draw.
 *
 * How a path is built, bar by bar (j = 1 … n−1; bar 0 is the real first bar):
 *  1. Source index: with probability 1/L (L = mean block length in bars) jump to a uniform random
 *     bar 1 … n−1, else take the next bar after the previous source (wrapping to 1).
 *  2. Per asset, the anchor series (its spot bars if the run has them, else its first perp's bars)
 *     moves by the source bar's returns against the source's previous close:
 *     `o, h, l, c = prevClose × (open, high, low, close)[s] / close[s − 1]`.
 *  3. Every other series of the asset (perp, mark, index) keeps the source bar's ratio to the
 *     anchor, field by field: `x[j] = anchor[j] × x[s] / anchor[s]`. So the basis stays a level seen
 *     in the data (it is mean-reverting in reality) instead of drifting as a random walk.
 *  4. Funding: the settlement at each real settlement time T takes the rate that was in force at the
 *     source of the bar closing at T (the latest real settlement at or before that source bar's
 *     close, history included) — rates travel with the market state they came with. Its interval is
 *     the real one at T (the settlement grid is kept); mark_price is left to the mark series.
 * A regime (e.g. "low volatility and negative funding for 90 days") then rescales log moves around
 * the previous close by `volScale` and overrides the funding rate over its span.
 */
import seedrandom from 'seedrandom';
import { UserError } from '../core/errors.js';
import { lastAtOrBefore } from '../core/search.js';
import { MS_PER_DAY, type UnixMs } from '../core/time.js';
import type { BarSeries, FundingSeries, MarketData } from '../engine/data.js';

/** A forced regime inside a path. */
export interface BootstrapRegime {
  /** Start, as days after the window start. */
  readonly startDay: number;
  /** Length in days. */
  readonly days: number;
  /** Multiplier of every log price move (returns and intra-bar ranges) in the span; 1 = as drawn. */
  readonly volScale: number;
  /** Funding forced to this decimal per 8 h (scaled to each interval) in the span; NaN = as drawn. */
  readonly fundingPer8h: number;
}

/** Options of {@link bootstrapPath}. */
export interface BootstrapOptions {
  /** Mean block length in hours (the stationary bootstrap's 1/p). Default 24. */
  readonly blockHours: number;
  readonly regime: BootstrapRegime | null;
}

/** One synthetic path and the source bar index of each of its bars (for tests and diagnostics). */
export interface BootstrapPath {
  readonly market: MarketData;
  readonly sourceIndex: Int32Array;
}

/** Check that every bar series of the run shares the first instrument's timestamps. */
function checkAligned(m: MarketData): Float64Array {
  const ts = m.bars[0]!.ts;
  const same = (b: BarSeries | null): boolean => !b || (b.ts.length === ts.length && b.ts[0] === ts[0] && b.ts[ts.length - 1] === ts[ts.length - 1]);
  for (const ins of m.instruments) {
    if (!same(m.bars[ins.id]!) || !same(m.mark[ins.id]!) || !same(m.index[ins.id]!)) {
      throw new UserError(`montecarlo: the bars of ${ins.venue} ${ins.symbol} do not share the timestamps of ${m.instruments[0]!.venue} ${m.instruments[0]!.symbol} (gaps or another bar phase); bootstrap a window where every series is complete`);
    }
  }
  if (ts.length < 3) throw new UserError('montecarlo: the window has fewer than 3 bars');
  return ts;
}

/** Source bar indices of a stationary bootstrap of bars 1 … n−1 (index 0 stays 0). */
export function stationaryIndices(n: number, meanBlock: number, rng: () => number): Int32Array {
  const idx = new Int32Array(n);
  const p = 1 / Math.max(1, meanBlock);
  let s = 1 + Math.floor(rng() * (n - 1));
  for (let j = 1; j < n; j++) {
    if (j > 1) {
      if (rng() < p) s = 1 + Math.floor(rng() * (n - 1));
      else s = s + 1 >= n ? 1 : s + 1;
    }
    idx[j] = s;
  }
  return idx;
}

function emptyBars(ts: Float64Array, withVolume: boolean, src: BarSeries): BarSeries {
  const n = ts.length;
  return { ts, open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: withVolume ? new Float64Array(n) : src.volume };
}

/** Regime scale per bar (1 outside the regime). */
function volScales(ts: Float64Array, fromMs: UnixMs, regime: BootstrapRegime | null): Float64Array {
  const k = new Float64Array(ts.length).fill(1);
  if (!regime) return k;
  const r0 = fromMs + regime.startDay * MS_PER_DAY;
  const r1 = r0 + regime.days * MS_PER_DAY;
  for (let j = 0; j < ts.length; j++) if (ts[j]! >= r0 && ts[j]! < r1) k[j] = regime.volScale;
  return k;
}

/** Step 2: the anchor's synthetic bars from the source bars' moves against their previous close. */
function chainAnchor(src: BarSeries, idx: Int32Array, scale: Float64Array): BarSeries {
  const out = emptyBars(src.ts, true, src);
  out.open[0] = src.open[0]!;
  out.high[0] = src.high[0]!;
  out.low[0] = src.low[0]!;
  out.close[0] = src.close[0]!;
  out.volume[0] = src.volume[0]!;
  for (let j = 1; j < idx.length; j++) {
    const s = idx[j]!;
    const prev = out.close[j - 1]!;
    const base = src.close[s - 1]!;
    const k = scale[j]!;
    const move = (x: number): number => prev * Math.exp(k * Math.log(x / base));
    out.open[j] = move(src.open[s]!);
    out.high[j] = move(src.high[s]!);
    out.low[j] = move(src.low[s]!);
    out.close[j] = move(src.close[s]!);
    out.volume[j] = src.volume[s]!;
  }
  return out;
}

/** Step 3: a series that follows the anchor at the source bar's ratio to it. */
function followAnchor(src: BarSeries, anchorSrc: BarSeries, anchorSyn: BarSeries, idx: Int32Array, withVolume: boolean): BarSeries {
  const out = emptyBars(src.ts, withVolume, src);
  for (let j = 0; j < idx.length; j++) {
    const s = idx[j]!;
    const o = anchorSyn.open[j]! * (src.open[s]! / anchorSrc.open[s]!);
    const c = anchorSyn.close[j]! * (src.close[s]! / anchorSrc.close[s]!);
    out.open[j] = o;
    out.close[j] = c;
    out.high[j] = Math.max(anchorSyn.high[j]! * (src.high[s]! / anchorSrc.high[s]!), o, c);
    out.low[j] = Math.min(anchorSyn.low[j]! * (src.low[s]! / anchorSrc.low[s]!), o, c);
    if (withVolume) out.volume[j] = src.volume[s]!;
  }
  return out;
}

/** Step 4: funding rates carried with their source times; regime override on top. */
function resampleFunding(f: FundingSeries, barTs: Float64Array, tfMs: number, idx: Int32Array, m: MarketData, regime: BootstrapRegime | null): FundingSeries {
  const out: FundingSeries = { ts: f.ts, rate: f.rate.slice(), intervalHours: f.intervalHours, markPrice: new Float64Array(f.ts.length).fill(NaN) };
  const r0 = regime ? m.fromMs + regime.startDay * MS_PER_DAY : Infinity;
  const r1 = regime ? r0 + regime.days * MS_PER_DAY : -Infinity;
  for (let r = 0; r < f.ts.length; r++) {
    const t = f.ts[r]!;
    if (t <= m.fromMs) continue; // history before the window stays real
    const j = lastAtOrBefore(barTs, t - tfMs); // the bar closing at or before t
    if (j < 0) continue;
    const srcClose = barTs[idx[j]!]! + tfMs;
    const q = lastAtOrBefore(f.ts, srcClose);
    if (q >= 0) out.rate[r] = (f.rate[q]! * f.intervalHours[r]!) / f.intervalHours[q]!;
    if (regime && Number.isFinite(regime.fundingPer8h) && t >= r0 && t < r1) out.rate[r] = (regime.fundingPer8h * f.intervalHours[r]!) / 8;
  }
  return out;
}

/** Build synthetic path `pathIndex` of `market` (pure: same inputs, same path). */
export function bootstrapPath(market: MarketData, opts: BootstrapOptions, seed: number, pathIndex: number): BootstrapPath {
  const ts = checkAligned(market);
  const rng = seedrandom(`${seed}:${pathIndex}`);
  const meanBlock = Math.max(1, Math.round((opts.blockHours * 3_600_000) / market.timeframeMs));
  const idx = stationaryIndices(ts.length, meanBlock, rng);
  const scale = volScales(ts, market.fromMs, opts.regime);
  const bars: BarSeries[] = [];
  const mark: (BarSeries | null)[] = [];
  const index: (BarSeries | null)[] = [];
  const funding: (FundingSeries | null)[] = [];
  const anchors = new Map<string, { src: BarSeries; syn: BarSeries }>();
  const anchorOf = (base: string): { src: BarSeries; syn: BarSeries } => {
    let a = anchors.get(base);
    if (!a) {
      const ins = market.instruments.find((x) => x.base === base && x.type === 'spot') ?? market.instruments.find((x) => x.base === base)!;
      const src = market.bars[ins.id]!;
      a = { src, syn: chainAnchor(src, idx, scale) };
      anchors.set(base, a);
    }
    return a;
  };
  for (const ins of market.instruments) {
    const a = anchorOf(ins.base);
    const own = market.bars[ins.id]!;
    bars.push(own === a.src ? a.syn : followAnchor(own, a.src, a.syn, idx, true));
    const mk = market.mark[ins.id];
    mark.push(mk ? followAnchor(mk, a.src, a.syn, idx, false) : null);
    const ix = market.index[ins.id];
    index.push(ix ? followAnchor(ix, a.src, a.syn, idx, false) : null);
    const f = market.funding[ins.id];
    funding.push(f ? resampleFunding(f, ts, market.timeframeMs, idx, market, opts.regime) : null);
  }
  return { market: { ...market, bars, mark, index, funding }, sourceIndex: idx };
}
