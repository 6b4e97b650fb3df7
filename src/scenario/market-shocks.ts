/**
 * Apply a scenario's market shocks (basis, funding, price gap) to a run's market data. The result is
 * a new {@link MarketData} whose shocked series are copies; every other column is shared with the
 * input (which may be a read-only prepared market), so the stored data and other runs never see a
 * shock. Shocks apply in file order; a shock that matches nothing in the run is reported, not fatal
 * (one scenario file may describe several venues).
 */
import { isoUtc, type UnixMs } from '../core/time.js';
import type { BarSeries, FundingSeries, MarketData } from '../engine/data.js';
import type { Instrument } from '../venue/instrument.js';
import { describeShock } from './describe.js';
import type { BasisShock, FundingShock, MarketShock, PriceGapShock, Shock } from './types.js';

/** What one shock changed. */
export interface AppliedShock {
  readonly index: number;
  readonly type: Shock['type'];
  /** One line for the terminal and the report. */
  readonly description: string;
  /** Rows (bars or settlements) changed. */
  readonly rowsChanged: number;
}

/** Result of {@link applyMarketShocks}. */
export interface ShockedMarket {
  readonly market: MarketData;
  readonly applied: AppliedShock[];
  /** Shocks that matched nothing, or could not be applied in full: one message each. */
  readonly warnings: string[];
}

function copyBars(b: BarSeries): BarSeries {
  return { ts: b.ts, open: b.open.slice(), high: b.high.slice(), low: b.low.slice(), close: b.close.slice(), volume: b.volume };
}

function copyFunding(f: FundingSeries): FundingSeries {
  return { ts: f.ts, rate: f.rate.slice(), intervalHours: f.intervalHours, markPrice: f.markPrice.slice() };
}

/** Copy-on-write holder of the market's per-instrument series. */
class Series {
  readonly bars: BarSeries[];
  readonly mark: (BarSeries | null)[];
  readonly index: (BarSeries | null)[];
  readonly funding: (FundingSeries | null)[];
  private readonly copied = new Set<object>();
  constructor(m: MarketData) {
    this.bars = [...m.bars];
    this.mark = [...m.mark];
    this.index = [...m.index];
    this.funding = [...m.funding];
  }
  private own<T extends object>(arr: (T | null)[], i: number, copy: (x: T) => T): T | null {
    const x = arr[i];
    if (!x) return null;
    if (this.copied.has(x)) return x;
    const c = copy(x);
    this.copied.add(c);
    arr[i] = c;
    return c;
  }
  ownBars(i: number): BarSeries {
    return this.own(this.bars, i, copyBars)!;
  }
  ownMark(i: number): BarSeries | null {
    return this.own(this.mark, i, copyBars);
  }
  ownIndex(i: number): BarSeries | null {
    return this.own(this.index, i, copyBars);
  }
  ownFunding(i: number): FundingSeries | null {
    return this.own(this.funding, i, copyFunding);
  }
}

/** Weight of a ramped shock at `t`: 0 outside [from, to], linear over `rampMs` at both ends. */
export function rampWeight(t: UnixMs, fromMs: UnixMs, toMs: UnixMs, rampMs: number): number {
  if (t < fromMs || t > toMs) return 0;
  if (rampMs <= 0) return t < toMs ? 1 : 0;
  return Math.max(0, Math.min(1, (t - fromMs) / rampMs, (toMs - t) / rampMs));
}

/** Row of `ts` in a sorted array, or −1. */
function rowOf(ts: Float64Array, t: number, hint: number): number {
  let r = hint;
  if (r < 0 || r >= ts.length || ts[r]! > t) r = 0;
  while (r < ts.length && ts[r]! < t) r++;
  return r < ts.length && ts[r] === t ? r : -1;
}

/**
 * Move bars of `target` toward `ref × (1 + basis)`: each price becomes
 * `p × (1 − w) + refP × (1 + basis) × w`, with `w` the ramp weight at the price's time (open at the
 * bar open, close at the bar close). Returns rows changed and rows skipped (no reference bar).
 */
function blendTowardBasis(target: BarSeries, ref: BarSeries, tfMs: number, s: BasisShock): { changed: number; skipped: number } {
  const k = 1 + s.basisPct / 100;
  let changed = 0;
  let skipped = 0;
  let hint = 0;
  for (let r = 0; r < target.ts.length; r++) {
    const t0 = target.ts[r]!;
    const t1 = t0 + tfMs;
    if (t1 <= s.fromMs || t0 >= s.toMs) continue;
    const wo = rampWeight(t0, s.fromMs, s.toMs, s.rampMs);
    const wc = rampWeight(t1, s.fromMs, s.toMs, s.rampMs);
    if (wo === 0 && wc === 0) continue;
    const q = rowOf(ref.ts, t0, hint);
    if (q < 0) {
      skipped++;
      continue;
    }
    hint = q;
    const blend = (p: number, refP: number, w: number): number => p * (1 - w) + refP * k * w;
    const open = blend(target.open[r]!, ref.open[q]!, wo);
    const close = blend(target.close[r]!, ref.close[q]!, wc);
    const high = Math.max(blend(target.high[r]!, ref.high[q]!, wo), blend(target.high[r]!, ref.high[q]!, wc), open, close);
    const low = Math.min(blend(target.low[r]!, ref.low[q]!, wo), blend(target.low[r]!, ref.low[q]!, wc), open, close);
    target.open[r] = open;
    target.high[r] = high;
    target.low[r] = low;
    target.close[r] = close;
    changed++;
  }
  return { changed, skipped };
}

/** Funding mark prices at settlements moved the same way (reference: the bar closing at the settlement). */
function blendFundingMarks(f: FundingSeries, ref: BarSeries, tfMs: number, s: BasisShock): number {
  const k = 1 + s.basisPct / 100;
  let changed = 0;
  for (let r = 0; r < f.ts.length; r++) {
    const t = f.ts[r]!;
    const w = rampWeight(t, s.fromMs, s.toMs, s.rampMs);
    if (w === 0 || !(f.markPrice[r]! > 0)) continue;
    const q = rowOf(ref.ts, t - tfMs, 0);
    if (q < 0) continue;
    f.markPrice[r] = f.markPrice[r]! * (1 - w) + ref.close[q]! * k * w;
    changed++;
  }
  return changed;
}

function perpsOf(m: MarketData, venue: string, asset: string): Instrument[] {
  return m.instruments.filter((x) => x.type === 'perp' && x.venue === venue && x.base === asset);
}

function applyBasis(m: MarketData, series: Series, s: BasisShock, warnings: string[], where: string): number {
  const perps = perpsOf(m, s.venue, s.asset);
  if (perps.length === 0) {
    warnings.push(`${where}: no ${s.asset} perp on ${s.venue} in this run; shock not applied`);
    return 0;
  }
  let rows = 0;
  for (const p of perps) {
    const spot = m.instruments.find((x) => x.type === 'spot' && x.venue === s.venue && x.base === s.asset && x.quote === p.quote);
    const ref = spot ? m.bars[spot.id]! : m.index[p.id];
    if (!ref) {
      warnings.push(`${where}: ${s.venue} ${p.symbol} has neither a ${p.base}/${p.quote} spot leg nor an index series in this run to set its basis against; shock not applied`);
      continue;
    }
    const { changed, skipped } = blendTowardBasis(series.ownBars(p.id), ref, m.timeframeMs, s);
    rows += changed;
    const mk = series.ownMark(p.id);
    if (mk) rows += blendTowardBasis(mk, ref, m.timeframeMs, s).changed;
    const f = series.ownFunding(p.id);
    if (f) blendFundingMarks(f, ref, m.timeframeMs, s);
    if (skipped > 0) warnings.push(`${where}: ${skipped} ${p.symbol} bars on ${s.venue} had no reference bar at the same time and were left as they are`);
  }
  return rows;
}

function applyFunding(m: MarketData, series: Series, s: FundingShock, warnings: string[], where: string): number {
  const perps = perpsOf(m, s.venue, s.asset).filter((p) => m.funding[p.id]);
  if (perps.length === 0) {
    warnings.push(`${where}: no ${s.asset} perp with funding data on ${s.venue} in this run; shock not applied`);
    return 0;
  }
  let rows = 0;
  for (const p of perps) {
    const f = series.ownFunding(p.id)!;
    let n = 0;
    for (let r = 0; r < f.ts.length && n < s.settlements; r++) {
      const t = f.ts[r]!;
      if (t < s.fromMs || t >= s.toMs) continue;
      const x = (s.ratePer8h * f.intervalHours[r]!) / 8;
      const old = f.rate[r]!;
      f.rate[r] = s.mode === 'override' ? x : s.mode === 'floor' ? Math.max(old, x) : Math.min(old, x);
      n++;
    }
    if (n === 0) warnings.push(`${where}: no ${p.symbol} settlement on ${s.venue} from ${isoUtc(s.fromMs)}; shock not applied`);
    rows += n;
  }
  return rows;
}

/** Scale a bar series from `atMs` on; the bar containing `atMs` opens old and closes new. */
function gapBars(b: BarSeries, tfMs: number, atMs: UnixMs, k: number): number {
  let changed = 0;
  for (let r = 0; r < b.ts.length; r++) {
    const t0 = b.ts[r]!;
    if (t0 + tfMs <= atMs) continue;
    if (t0 >= atMs) {
      b.open[r] = b.open[r]! * k;
      b.high[r] = b.high[r]! * k;
      b.low[r] = b.low[r]! * k;
      b.close[r] = b.close[r]! * k;
    } else {
      b.close[r] = b.close[r]! * k;
      if (k >= 1) b.high[r] = Math.max(b.high[r]! * k, b.close[r]!);
      else b.low[r] = Math.min(b.low[r]! * k, b.close[r]!);
    }
    changed++;
  }
  return changed;
}

function applyPriceGap(m: MarketData, series: Series, s: PriceGapShock, warnings: string[], where: string): number {
  const hit = m.instruments.filter((x) => x.base === s.asset && (s.venues.length === 0 || s.venues.includes(x.venue)));
  if (hit.length === 0) {
    warnings.push(`${where}: no ${s.asset} instrument${s.venues.length ? ` on ${s.venues.join(', ')}` : ''} in this run; shock not applied`);
    return 0;
  }
  const k = 1 + s.pct / 100;
  let rows = 0;
  for (const ins of hit) {
    rows += gapBars(series.ownBars(ins.id), m.timeframeMs, s.atMs, k);
    const mk = series.ownMark(ins.id);
    if (mk) rows += gapBars(mk, m.timeframeMs, s.atMs, k);
    const ix = series.ownIndex(ins.id);
    if (ix) rows += gapBars(ix, m.timeframeMs, s.atMs, k);
    const f = series.ownFunding(ins.id);
    if (f) for (let r = 0; r < f.ts.length; r++) if (f.ts[r]! >= s.atMs) f.markPrice[r] = f.markPrice[r]! * k;
  }
  return rows;
}

/** Whether a shock rewrites market data (as opposed to venue conditions the engine applies). */
export function isMarketShock(s: Shock): s is MarketShock {
  return s.type === 'basis' || s.type === 'funding' || s.type === 'price-gap';
}

/** Apply the market shocks of `shocks` (others are ignored here) to `market`. */
export function applyMarketShocks(market: MarketData, shocks: readonly Shock[]): ShockedMarket {
  const series = new Series(market);
  const applied: AppliedShock[] = [];
  const warnings: string[] = [];
  shocks.forEach((s, index) => {
    if (!isMarketShock(s)) return;
    const where = `shock ${index + 1} (${s.type})`;
    const rowsChanged =
      s.type === 'basis' ? applyBasis(market, series, s, warnings, where) : s.type === 'funding' ? applyFunding(market, series, s, warnings, where) : applyPriceGap(market, series, s, warnings, where);
    applied.push({ index, type: s.type, description: describeShock(s), rowsChanged });
  });
  return { market: { ...market, bars: series.bars, mark: series.mark, index: series.index, funding: series.funding }, applied, warnings };
}
