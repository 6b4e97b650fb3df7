/**
 * Quiet stretches replayed in bulk. While the strategy sleeps (`ctx.sleep`, or it has no `onBar`)
 * and nothing is pending — no order, resting order, transfer in flight, scenario condition,
 * stateful slippage model or per-sample callback — an instant changes nothing but the latest
 * prices, the market cursor, the run's closest approach to liquidation and the equity sample
 * times. {@link QuietSkip.skip} does exactly that for every instant before the first one where
 * anything else could happen:
 *  - the horizon: the sleep's `untilMs`, the next timer, the next UTC hour (interest is booked
 *    hourly) and the next funding settlement;
 *  - the first bar that reaches a wake level of the sleep;
 *  - the first mark bar whose adverse extreme reaches a position's liquidation price (fixed while
 *    nothing changes: isolated, or the only open perp of a cross account; else no skip).
 * Those instants and all after them are replayed one by one as usual. The bulk step scans the
 * typed columns between (a comparison per row) and jumps the instant walk over them, so a year of
 * minutes with a sleeping strategy costs a few milliseconds instead of half a million instants.
 * Same results as stepping (test/engine/quiet-skip.test.ts compares `skip`, `step` and `ignore`
 * on real data, output files byte for byte).
 */
import type { UnixMs } from '../core/time.js';
import type { Portfolio } from '../portfolio/portfolio.js';
import type { PriceStore } from '../portfolio/prices.js';
import type { EquitySampler } from '../portfolio/equity.js';
import type { InstantJumps, InstantWalk } from '../replay/instants.js';
import type { MarketCursor } from './market-view.js';
import { K_INDEX, K_MARK, K_OHLCV, type EventSources } from './sources.js';
import type { BarSeries } from './data.js';
import type { TimerQueue } from './timers.js';
import { WAKE_MARK, type SleepState } from './sleep.js';
import type { Clock } from './context.js';

/** What a skip reads and moves. */
export interface QuietSkipDeps {
  walk: InstantWalk;
  jumps: InstantJumps;
  /** Positions before this in the walk's order are bar sources; from it on, funding. */
  barSources: number;
  src: EventSources;
  /** Per source, the columns the replay loop reads (sources.ts loopColumns): a skip reads no other. */
  loopBars: readonly (BarSeries | null)[];
  prices: PriceStore;
  cursor: MarketCursor;
  /** Per instrument: 1 when it has a mark series. */
  hasMark: Uint8Array;
  portfolio: Portfolio;
  samples: EquitySampler;
  timers: TimerQueue;
  sleep: SleepState;
  /** The engine's clock: left at the last skipped instant, as stepping through them leaves it. */
  clock: Clock;
}

/** Bulk replay of quiet stretches; see the module doc. */
export class QuietSkip {
  /** Bar events replayed in bulk so far. */
  events = 0;
  private readonly d: QuietSkipDeps;
  /** Per walk position: kind, instrument, delivery times and offset, closes/highs/lows. */
  private readonly kind: Uint8Array;
  private readonly inst: Int32Array;
  private readonly times: Float64Array[];
  private readonly offset: Float64Array;
  private readonly close: Float64Array[];
  private readonly high: Float64Array[];
  private readonly low: Float64Array[];
  /** Per instrument: walk position of its OHLCV and mark series (−1 if none). */
  private readonly ohlcvPos: Int32Array;
  private readonly markPos: Int32Array;
  /** Walk positions of the OHLCV series (equity samples are taken at their bar times). */
  private readonly ohlcvPositions: Int32Array;
  /** Per bar position: first row not skipped (scratch). */
  private readonly end: Uint32Array;
  private readonly row: Uint32Array;
  private readonly scratch: Uint32Array;
  /** The closest approach carried through a row scan. */
  private readonly acc = new Float64Array(1);

  constructor(d: QuietSkipDeps) {
    this.d = d;
    const n = d.barSources;
    const order = d.walk.order;
    const empty = new Float64Array(0);
    this.kind = Uint8Array.from({ length: n }, (_, p) => d.src.kind[order[p]!]!);
    this.inst = Int32Array.from({ length: n }, (_, p) => d.src.inst[order[p]!]!);
    this.times = Array.from({ length: n }, (_, p) => d.src.merge[order[p]!]!.deliverTs);
    this.offset = Float64Array.from({ length: n }, (_, p) => d.src.merge[order[p]!]!.offsetMs ?? 0);
    // References only: a column the loop did not take is a throwing stand-in, read here only where
    // the loop reads it too (closes of mark and OHLCV sources, extremes of liquidation sources).
    this.close = Array.from({ length: n }, (_, p) => d.loopBars[order[p]!]?.close ?? empty);
    this.high = Array.from({ length: n }, (_, p) => d.loopBars[order[p]!]?.high ?? empty);
    this.low = Array.from({ length: n }, (_, p) => d.loopBars[order[p]!]?.low ?? empty);
    const ni = d.portfolio.instruments.length;
    this.ohlcvPos = new Int32Array(ni).fill(-1);
    this.markPos = new Int32Array(ni).fill(-1);
    const ohlcv: number[] = [];
    for (let p = 0; p < n; p++) {
      if (this.kind[p] === K_OHLCV) {
        this.ohlcvPos[this.inst[p]!] = p;
        ohlcv.push(p);
      } else if (this.kind[p] === K_MARK) this.markPos[this.inst[p]!] = p;
    }
    this.ohlcvPositions = Int32Array.from(ohlcv);
    this.end = new Uint32Array(n);
    this.row = new Uint32Array(n);
    this.scratch = new Uint32Array(n);
  }

  /**
   * Replay in bulk every instant after the current one that is quiet (see the module doc); the
   * walk then continues at the first instant that is not. Call only when nothing is pending.
   */
  skip(): void {
    if (!this.liquidationPricesFixed()) return;
    const horizon = this.horizon();
    const now = this.d.walk.now;
    if (!(horizon > now)) return;
    this.rowsBefore(horizon);
    if (!this.oneSourceScan()) {
      const stop = this.scanPerps(this.firstWake(horizon), false);
      if (stop < horizon) this.rowsBefore(stop);
      this.scanPerps(Infinity, true);
    }
    this.sampleTimes();
    this.movePricesAndCursor();
    this.passTime();
    this.jump();
  }

  /**
   * The clock and the interest clock at the last skipped instant, as stepping through them leaves
   * them (accruing books nothing: the horizon stops at the next hour unless interest is idle).
   */
  private passTime(): void {
    let last = -Infinity;
    for (let p = 0; p < this.end.length; p++) {
      const r1 = this.end[p]!;
      if (r1 > this.row[p]!) last = Math.max(last, this.times[p]![r1 - 1]! + this.offset[p]!);
    }
    if (last === -Infinity) return;
    this.d.clock.now = last;
    this.d.portfolio.accrueInterest(last);
  }

  /** Whether every open perp's liquidation price stays put while only prices move. */
  private liquidationPricesFixed(): boolean {
    const pf = this.d.portfolio;
    const qty = pf.qty;
    for (let i = 0; i < qty.length; i++) if (qty[i] !== 0 && pf.isPerp[i] === 1 && !pf.liquidationPriceFixed(i)) return false;
    return true;
  }

  /** The earliest of: sleep end, next timer, next hour (interest), next settlement. */
  private horizon(): UnixMs {
    const { sleep, timers, portfolio, jumps, barSources, walk } = this.d;
    let h = sleep.active ? sleep.untilMs : Infinity;
    if (timers.size > 0) h = Math.min(h, timers.nextAt());
    // Hours pass unnoticed when no balance earns or owes interest; else stop at the next one.
    if (!portfolio.interestIdle()) h = Math.min(h, portfolio.nextInterestAtMs());
    for (let p = barSources; p < walk.order.length; p++) h = Math.min(h, jumps.headTime(p));
    return h;
  }

  /** `end[p]`: first row of each bar source delivered at or after `t`. */
  private rowsBefore(t: UnixMs): void {
    const { jumps } = this.d;
    for (let p = 0; p < this.end.length; p++) {
      this.row[p] = jumps.nextRow(p);
      this.end[p] = jumps.rowAt(p, t);
    }
  }

  /**
   * The common case in one pass: one open perp, and at most one wake level, on the bars its
   * liquidation is checked on (delta-neutral's short and its top-up level). Row by row up to the
   * horizon: the liquidation trigger, the wake level, else the closest approach — the same stop
   * and the same minimum as {@link firstWake} and {@link scanPerps} in their passes. False (nothing done) when the case does not apply.
   */
  private oneSourceScan(): boolean {
    const { sleep, portfolio: pf } = this.d;
    const qty = pf.qty;
    let i = -1;
    for (let j = 0; j < qty.length; j++) {
      if (qty[j] === 0 || pf.isPerp[j] !== 1) continue;
      if (i >= 0) return false;
      i = j;
    }
    if (i < 0) return false;
    const p = this.liquidationSource(i);
    const levels = sleep.active ? sleep.count : 0;
    if (p < 0 || levels > 1) return false;
    let above = Infinity;
    let below = -Infinity;
    if (levels === 1) {
      if (this.levelSource(0) !== p) return false;
      above = sleep.above[0]!;
      below = sleep.below[0]!;
    }
    const r = this.scanPerp(i, p, above, below);
    if (r < this.end[p]!) this.rowsBefore(this.times[p]![r]! + this.offset[p]!);
    // Rows of this source sharing the stop row's time belong to the stop instant: rescan exactly.
    if (this.end[p] === r) pf.minAdverseLiqDistance = this.acc[0]!;
    else this.scanPerps(Infinity, true);
    return true;
  }

  /** The delivery time of the first row (before `stop`) that reaches a wake level, else `stop`. */
  private firstWake(stop: UnixMs): UnixMs {
    const { sleep } = this.d;
    if (!sleep.active) return stop;
    for (let k = 0; k < sleep.count; k++) {
      const p = this.levelSource(k);
      if (p < 0) continue;
      const c = this.close[p]!;
      const above = sleep.above[k]!;
      const below = sleep.below[k]!;
      const r1 = this.end[p]!;
      for (let r = this.row[p]!; r < r1; r++) {
        const px = c[r]!;
        if (px >= above || px <= below) {
          stop = Math.min(stop, this.times[p]![r]! + this.offset[p]!);
          break;
        }
      }
    }
    return stop;
  }

  /**
   * Each open perp over its liquidation rows [row, end): the delivery time of the first one whose
   * adverse extreme reaches the liquidation price (the earliest of them and `stop`); with `record`,
   * also the closest approach over the rows before it (as checkLiquidation tracks it). Called with
   * `record` once the rows end at the stop, so it then covers every skipped row.
   */
  private scanPerps(stop: UnixMs, record: boolean): UnixMs {
    const pf = this.d.portfolio;
    const qty = pf.qty;
    for (let i = 0; i < qty.length; i++) {
      if (qty[i] === 0 || pf.isPerp[i] !== 1) continue;
      const p = this.liquidationSource(i);
      if (p < 0) continue;
      // No wake bounds here (±Infinity): the levels are firstWake's.
      const r = this.scanPerp(i, p, Infinity, -Infinity);
      if (r < this.end[p]!) stop = Math.min(stop, this.times[p]![r]! + this.offset[p]!);
      if (record) pf.minAdverseLiqDistance = this.acc[0]!;
    }
    return stop;
  }

  /**
   * Open perp `i` over rows [row, end) of its liquidation source `p`, with wake bounds on that
   * source's closes: the first row that triggers or wakes (see scanShortRows), the closest
   * approach before it from the run's so far into `acc[0]`.
   */
  private scanPerp(i: number, p: number, above: number, below: number): number {
    const pf = this.d.portfolio;
    const acc = this.acc;
    acc[0] = pf.minAdverseLiqDistance;
    const liq = pf.liquidationPrice(i);
    const r0 = this.row[p]!;
    const r1 = this.end[p]!;
    return pf.qty[i]! < 0 ? scanShortRows(this.high[p]!, this.close[p]!, r0, r1, liq, above, below, acc) : scanLongRows(this.low[p]!, this.close[p]!, r0, r1, liq, above, below, acc);
  }

  /** Walk position of the bars a perp's liquidation is checked on: its mark series, else its own bars. */
  private liquidationSource(i: number): number {
    return this.d.hasMark[i] === 1 ? this.markPos[i]! : this.ohlcvPos[i]!;
  }

  /** Walk position of the bars wake level `k` of the sleep reads: as ctx.market.mark() / close() would. */
  private levelSource(k: number): number {
    const i = this.d.sleep.inst[k]!;
    return this.d.sleep.kind[k] === WAKE_MARK ? this.liquidationSource(i) : this.ohlcvPos[i]!;
  }

  /** One equity sample per skipped instant with an OHLCV bar: the union of their bar times. */
  private sampleTimes(): void {
    const ps = this.ohlcvPositions;
    if (ps.length === 0) return;
    const p0 = ps[0]!;
    if (this.sameTimes(ps)) {
      this.d.samples.sampleQuiet(this.times[p0]!, this.row[p0]!, this.end[p0]!, this.offset[p0]!);
      return;
    }
    this.mergeTimes(ps);
  }

  /** Whether every OHLCV source delivers exactly the same times as the first over the skipped rows. */
  private sameTimes(ps: Int32Array): boolean {
    const p0 = ps[0]!;
    const d0 = this.times[p0]!;
    const r0 = this.row[p0]!;
    const n = this.end[p0]! - r0;
    for (let k = 1; k < ps.length; k++) {
      const p = ps[k]!;
      if (this.end[p]! - this.row[p]! !== n) return false;
      const d = this.times[p]!;
      // Series on one bar grid share their ts column (src/engine/data.ts): nothing to compare.
      if (d === d0 && this.row[p] === r0 && this.offset[p] === this.offset[p0]) continue;
      const shift = this.row[p]! - r0;
      const off = this.offset[p]!;
      const off0 = this.offset[p0]!;
      for (let r = r0; r < r0 + n; r++) if (d[r + shift]! + off !== d0[r]! + off0) return false;
    }
    return true;
  }

  /** Series at other phases: sample at the union of their times, instant by instant. */
  private mergeTimes(ps: Int32Array): void {
    const samples = this.d.samples;
    const row = this.scratch;
    for (let k = 0; k < ps.length; k++) row[k] = this.row[ps[k]!]!;
    for (;;) {
      let t = Infinity;
      for (let k = 0; k < ps.length; k++) {
        const p = ps[k]!;
        if (row[k]! < this.end[p]!) t = Math.min(t, this.times[p]![row[k]!]! + this.offset[p]!);
      }
      if (t === Infinity) return;
      samples.sample(t);
      for (let k = 0; k < ps.length; k++) {
        const p = ps[k]!;
        while (row[k]! < this.end[p]! && this.times[p]![row[k]!]! + this.offset[p]! === t) row[k]!++;
      }
    }
  }

  /**
   * Cursor rows and latest prices of each source's last skipped row, as absorbing each bar leaves
   * them. Every source's, also of one that delivers again at the very next instant: absorbing that
   * instant reads other instruments' prices before their own bars there (a liquidation values the
   * account), so none may be left for that instant to set.
   */
  private movePricesAndCursor(): void {
    const { prices, cursor, hasMark, portfolio } = this.d;
    for (let p = 0; p < this.end.length; p++) {
      const r1 = this.end[p]!;
      if (r1 <= this.row[p]!) continue;
      const r = r1 - 1;
      const i = this.inst[p]!;
      const kind = this.kind[p]!;
      if (kind === K_OHLCV) {
        cursor.bar[i] = r;
        prices.setClose(i, this.close[p]![r]!);
        if (hasMark[i] === 0 && portfolio.isPerp[i] === 1) prices.setMark(i, this.close[p]![r]!);
      } else if (kind === K_MARK) {
        cursor.mark[i] = r;
        prices.setMark(i, this.close[p]![r]!);
      } else if (kind === K_INDEX) cursor.index[i] = r;
    }
  }

  private jump(): void {
    const { jumps } = this.d;
    for (let p = 0; p < this.end.length; p++) {
      const r0 = this.row[p]!;
      const r1 = this.end[p]!;
      if (r1 > r0) this.events += r1 - r0;
      jumps.jump(p, r1);
    }
  }
}

/*
 * The row scans of {@link QuietSkip} as small functions of typed arrays and numbers: V8 optimizes
 * them after a few calls and compiles each in about a millisecond. Inside the class method they
 * took ~20 ms to compile on a background thread, and the first year of a cold run scanned its
 * rows in the interpreter meanwhile (~40 ms of a 1m year's replay).
 */

/**
 * A short: the first row of [r0, r1) whose high reaches `liq` (the liquidation trigger) or whose
 * close reaches a wake bound; `acc[0]` takes the closest approach (liq − high) / high of the rows
 * before it. That row's instant is replayed as usual and counts its own distance.
 */
function scanShortRows(high: Float64Array, close: Float64Array, r0: number, r1: number, liq: number, above: number, below: number, acc: Float64Array): number {
  let min = acc[0]!;
  let r = r0;
  for (; r < r1; r++) {
    const h = high[r]!;
    if (h >= liq) break;
    const px = close[r]!;
    if (px >= above || px <= below) break;
    const dist = (liq - h) / h;
    if (dist < min) min = dist;
  }
  acc[0] = min;
  return r;
}

/** A long: as {@link scanShortRows} with the low (low ≤ liq triggers; distance (low − liq) / low). */
function scanLongRows(low: Float64Array, close: Float64Array, r0: number, r1: number, liq: number, above: number, below: number, acc: Float64Array): number {
  let min = acc[0]!;
  let r = r0;
  for (; r < r1; r++) {
    const l = low[r]!;
    if (l <= liq) break;
    const px = close[r]!;
    if (px >= above || px <= below) break;
    const dist = (l - liq) / l;
    if (dist < min) min = dist;
  }
  acc[0] = min;
  return r;
}
