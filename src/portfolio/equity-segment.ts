/**
 * The equity columns of a run of rows that share one portfolio snapshot, computed column by column
 * (src/portfolio/equity.ts computes them row by row; this is its fast path).
 *
 * Between two snapshots only prices move: positions, perp wallets and the cumulative attribution
 * are constants, so the attribution and position columns are fills, and each open position adds
 * its value to the exposure and account columns in one tight loop over the rows. Prices are
 * gathered per series into a small scratch (chunks of {@link CHUNK} rows) first.
 *
 * Bit for bit the row-by-row values: every per-row sum adds the same terms in the same order
 * (positions by instrument id, venues by id, starting from the same 0 or cash), and a sum's
 * first two operands may swap (IEEE addition is commutative). test/portfolio/equity-segment.test.ts
 * attacks this on random portfolios. Covers cross-margined accounts whose liquidation prices are
 * fixed by the snapshot; the rows of isolated accounts and of cross accounts with several open
 * perps (their liquidation price moves with the other marks) stay on the row-by-row path.
 */
import { drawdown, marginRatio, positionMaintenance, tradingPnl, unrealizedPnl } from './accounting.js';
import type { TierTable } from '../venue/margin.js';

/** Rows per chunk: the price scratch (one chunk per series in use) stays in the L1/L2 cache. */
const CHUNK = 512;

/** The columns' fixed part: equity, drawdown, gross, net, then the 7 attribution columns. */
const FIXED = 11;

/** What a snapshot fixes, as the segment fill reads it (a subset of the sampler's snapshot). */
export interface SegmentSnapshot {
  qty: Float64Array;
  entry: Float64Array;
  spotCash: Float64Array;
  /** Liquidation price per instrument (NaN when flat). */
  liq: Float64Array;
}

/** The cursor state the fill reads and carries on (see `EquityCursor`). */
export interface SegmentCursor {
  peak: number;
  readonly open: Int32Array;
  nOpen: number;
  readonly wallet: Float64Array;
  /** Cumulative attribution as PnL: funding, realized, fees, slippage, interest, liquidation, ADL. */
  readonly cum: Float64Array;
  readonly prices: SegmentPrices;
}

/** The price walk: gather series `j` (closes 0..n−1, marks n..2n−1) over sample rows. */
export interface SegmentPrices {
  gather(j: number, ts: Float64Array, r0: number, r1: number, dst: Float64Array, off: number): void;
  advance(t: number): void;
}

/** The portfolio's static layout and the equity file's column positions. */
export interface SegmentLayout {
  venues: number;
  venueOf: Int32Array | readonly number[];
  isPerp: Uint8Array | readonly number[];
  tables: readonly (TierTable | null)[];
  /** Index of the first `pos:` column; each perp has `pos:` then `liq_distance:`. */
  perpCol0: number;
  perpIds: Int32Array;
  basisCol0: number;
  /** (perp id, spot id) pairs, flattened. */
  basisPairs: Int32Array;
}

/** Column-by-column fill of snapshot segments for one sampler (holds the price scratch). */
export class SegmentFill {
  private readonly L: SegmentLayout;
  private readonly instruments: number;
  /** Per series: its slot in {@link buf} for the segment being filled, −1 when not needed. */
  private readonly slotOf: Int32Array;
  private readonly series: Int32Array;
  private nSeries = 0;
  private buf: Float64Array;

  constructor(layout: SegmentLayout, instruments: number) {
    this.L = layout;
    this.instruments = instruments;
    this.slotOf = new Int32Array(2 * instruments).fill(-1);
    this.series = new Int32Array(2 * instruments);
    this.buf = new Float64Array(0);
  }

  /**
   * Rows [a, b) of snapshot `s` into `out` (row a at index `o0`), advancing the cursor's prices
   * and running peak as the row-by-row fill does.
   */
  fill(s: SegmentSnapshot, cur: SegmentCursor, ts: Float64Array, a: number, b: number, out: readonly Float64Array[], o0: number): void {
    this.pickSeries(cur);
    for (let c0 = a; c0 < b; c0 += CHUNK) {
      const c1 = Math.min(b, c0 + CHUNK);
      for (let k = 0; k < this.nSeries; k++) cur.prices.gather(this.series[k]!, ts, c0, c1, this.buf, k * CHUNK);
      this.chunk(s, cur, out, o0 + (c0 - a), c1 - c0);
    }
    // The series not gathered catch up (a walk's state depends only on the time reached).
    cur.prices.advance(ts[b - 1]!);
  }

  /** The price series the segment reads: each open position's close (spot) or mark (perp), each basis pair's closes. */
  private pickSeries(cur: SegmentCursor): void {
    const { slotOf, series, L } = this;
    for (let k = 0; k < this.nSeries; k++) slotOf[series[k]!] = -1;
    let n = 0;
    const use = (j: number): void => {
      if (slotOf[j] === -1) {
        slotOf[j] = n;
        series[n++] = j;
      }
    };
    for (let k = 0; k < cur.nOpen; k++) {
      const i = cur.open[k]!;
      use(L.isPerp[i] === 1 ? this.instruments + i : i);
    }
    for (let k = 0; k < L.basisPairs.length; k++) use(L.basisPairs[k]!);
    this.nSeries = n;
    if (this.buf.length < n * CHUNK) this.buf = new Float64Array(n * CHUNK);
  }

  /** Scratch offset of series `j`'s prices for the chunk. */
  private at(j: number): number {
    return this.slotOf[j]! * CHUNK;
  }

  private chunk(s: SegmentSnapshot, cur: SegmentCursor, out: readonly Float64Array[], o: number, len: number): void {
    const L = this.L;
    const P = this.buf;
    const end = o + len;
    const gross = out[2]!;
    const net = out[3]!;
    // pnl_trading holds the inventory value until the realized part is added.
    const inv = out[5]!;
    gross.fill(0, o, end);
    net.fill(0, o, end);
    inv.fill(0, o, end);
    for (let v = 0; v < L.venues; v++) {
      out[FIXED + 3 * v]!.fill(s.spotCash[v]!, o, end);
      out[FIXED + 3 * v + 1]!.fill(0, o, end);
      out[FIXED + 3 * v + 2]!.fill(0, o, end);
    }
    for (let k = 0; k < cur.nOpen; k++) {
      const i = cur.open[k]!;
      const v = L.venueOf[i]!;
      const q = s.qty[i]!;
      if (L.isPerp[i] === 1) addPerp(P, this.at(this.instruments + i), q, s.entry[i]!, L.tables[i]!, out[FIXED + 3 * v + 1]!, out[FIXED + 3 * v + 2]!, inv, gross, net, o, len);
      else addSpot(P, this.at(i), q, out[FIXED + 3 * v]!, inv, gross, net, o, len);
    }
    const eq = out[0]!;
    eq.fill(0, o, end);
    for (let v = 0; v < L.venues; v++) accounts(cur.wallet[v]!, out[FIXED + 3 * v]!, out[FIXED + 3 * v + 1]!, out[FIXED + 3 * v + 2]!, eq, o, end);
    cur.peak = drawdowns(eq, out[1]!, cur.peak, o, end);
    const c = cur.cum;
    for (let r = o; r < end; r++) inv[r] = tradingPnl(c[1]!, inv[r]!);
    out[4]!.fill(c[0]!, o, end);
    for (let x = 2; x < 7; x++) out[4 + x]!.fill(c[x]!, o, end);
    for (let p = 0; p < L.perpIds.length; p++) {
      const i = L.perpIds[p]!;
      const q = s.qty[i]!;
      const col = L.perpCol0 + 2 * p;
      out[col]!.fill(q, o, end);
      if (q === 0) out[col + 1]!.fill(NaN, o, end);
      else liqDistance(P, this.at(this.instruments + i), s.liq[i]!, out[col + 1]!, o, len);
    }
    const bp = L.basisPairs;
    for (let b = 0; b < bp.length; b += 2) basis(P, this.at(bp[b]!), this.at(bp[b + 1]!), out[L.basisCol0 + (b >> 1)]!, o, len);
  }
}

/** A perp's uPnL, maintenance and exposure added to its venue's columns (pe holds uPnL, mm maintenance). */
function addPerp(
  P: Float64Array, at: number, q: number, entry: number, table: TierTable,
  pe: Float64Array, mm: Float64Array, inv: Float64Array, gross: Float64Array, net: Float64Array, o: number, len: number,
): void {
  for (let k = 0; k < len; k++) {
    const mark = P[at + k]!;
    const x = q * mark;
    const u = unrealizedPnl(q, mark, entry);
    const r = o + k;
    pe[r] = pe[r]! + u;
    mm[r] = mm[r]! + positionMaintenance(table, q, mark);
    inv[r] = inv[r]! + u;
    gross[r] = gross[r]! + Math.abs(x);
    net[r] = net[r]! + x;
  }
}

/** A spot holding's value added to its venue's spot equity and the exposures. */
function addSpot(P: Float64Array, at: number, q: number, se: Float64Array, inv: Float64Array, gross: Float64Array, net: Float64Array, o: number, len: number): void {
  for (let k = 0; k < len; k++) {
    const x = q * P[at + k]!;
    const r = o + k;
    se[r] = se[r]! + x;
    inv[r] = inv[r]! + x;
    gross[r] = gross[r]! + Math.abs(x);
    net[r] = net[r]! + x;
  }
}

/** A venue's perp equity (wallet + uPnL), margin ratio (cross), and its share of the total equity. */
function accounts(wallet: number, se: Float64Array, pe: Float64Array, mr: Float64Array, eq: Float64Array, o: number, end: number): void {
  for (let r = o; r < end; r++) {
    const p = wallet + pe[r]!;
    pe[r] = p;
    mr[r] = marginRatio(mr[r]!, p);
    eq[r] = eq[r]! + (se[r]! + p);
  }
}

/** Drawdown against the running peak; returns the peak after the rows. */
function drawdowns(eq: Float64Array, dd: Float64Array, peak: number, o: number, end: number): number {
  for (let r = o; r < end; r++) {
    const e = eq[r]!;
    if (e > peak) peak = e;
    dd[r] = drawdown(e, peak);
  }
  return peak;
}

/** |mark − liquidation price| / mark. */
function liqDistance(P: Float64Array, at: number, lp: number, out: Float64Array, o: number, len: number): void {
  for (let k = 0; k < len; k++) {
    const mark = P[at + k]!;
    out[o + k] = Math.abs(mark - lp) / mark;
  }
}

/** (perp close / spot close − 1) × 1e4. */
function basis(P: Float64Array, atPerp: number, atSpot: number, out: Float64Array, o: number, len: number): void {
  for (let k = 0; k < len; k++) out[o + k] = (P[atPerp + k]! / P[atSpot + k]! - 1) * 1e4;
}
