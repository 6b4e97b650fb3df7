/**
 * Equity sampling: one row per instant with a bar of the finest series. Columns follow
 * docs/RUN_FORMAT.md `equity.arrow`.
 *
 * In the replay loop a sample records only what moves every bar: the time, each instrument's
 * latest close and mark, and the index of the portfolio state snapshot in force (a snapshot of
 * positions, cash and cumulative attribution is copied only when the portfolio changed, i.e. at
 * trades, settlements, transfers and interest postings). The columns (equity, drawdown = equity /
 * running peak − 1 with the peak starting at the initial capital, exposures,
 * PnL attribution, per-account equity, margin ratio, liquidation distance, basis) are computed
 * from these in one pass afterwards, with the same formulas the portfolio uses. This keeps the
 * per-bar cost to a handful of stores.
 */
import type { UnixMs } from '../core/time.js';
import type { Portfolio } from './portfolio.js';
import { costAsPnl, drawdown, marginRatio, positionMaintenance, tradingPnl, unrealizedPnl } from './accounting.js';
import { liquidationPrice } from '../venue/liquidation.js';

/** Names of the fixed columns after `ts`, in file order. */
export const FIXED_EQUITY_COLUMNS = [
  'equity',
  'drawdown',
  'gross_exposure',
  'net_exposure',
  'pnl_funding',
  'pnl_trading',
  'pnl_fees',
  'pnl_slippage',
  'pnl_interest',
  'pnl_liquidation',
  'pnl_adl',
] as const;

/**
 * Names of the per-venue, per-perp and per-basis columns that follow the fixed ones
 * (docs/RUN_FORMAT.md; src/analysis/run-format.ts lists them for the run directory's readers).
 */
export const EQUITY_COLUMN_NAMES = {
  /** Spot account equity of a venue, quote. */
  spotEquity: (venue: string): string => `equity_spot:${venue}`,
  /** Perp margin balance incl. unrealized PnL of a venue, quote. */
  perpEquity: (venue: string): string => `equity_perp:${venue}`,
  /** Maintenance margin / margin balance of a venue's perp account (0 when flat). */
  marginRatio: (venue: string): string => `margin_ratio:${venue}`,
  /** Signed base qty of a perp. */
  position: (venue: string, symbol: string): string => `pos:${venue}:${symbol}`,
  /** |mark − liquidation price| / mark of a perp (NaN when flat). */
  liqDistance: (venue: string, symbol: string): string => `liq_distance:${venue}:${symbol}`,
  /** (perp close / spot close − 1) × 1e4 of a venue and base asset, bps. */
  basisBps: (venue: string, base: string): string => `basis_bps:${venue}:${base}`,
} as const;

/** A copy of the portfolio state that the columns depend on. */
interface Snapshot {
  qty: Float64Array;
  entry: Float64Array;
  isoMargin: Float64Array;
  spotCash: Float64Array;
  perpFree: Float64Array;
  isolated: Uint8Array;
  /** Liquidation price per instrument when it depends on the state only (NaN otherwise / flat). */
  liq: Float64Array;
  /** 1 when `liq` must be recomputed per sample (cross account with several open perps). */
  liqPerSample: Uint8Array;
  cum: Float64Array; // funding, realized, fees, slippage, interest, liqFee, adl
}

/** Where a streamed {@link EquitySampler.fillColumns} pass is: next row, running equity peak. */
export interface EquityCursor {
  nextRow: number;
  peak: number;
}

/** One row of positions.csv: a position as it stands after a change (see {@link EquitySampler.positionChanges}). */
export interface PositionChange {
  ts: UnixMs;
  /** Instrument id (index into the portfolio's instruments). */
  instrument: number;
  /** Signed base qty after the change (0 = closed). */
  qty: number;
  /** Perp average entry price; NaN for spot and when flat. */
  entryPrice: number;
  /** Close (spot) or mark (perp) at the sample. */
  price: number;
  /** qty × price, signed quote units. */
  notional: number;
  /** Isolated margin held for the perp (0 in cross mode); NaN for spot. */
  isolatedMargin: number;
  /** Liquidation price at the sample; NaN for spot or flat. */
  liquidationPrice: number;
}

/** Column positions and scratch arrays of one sampler's fill. */
interface Layout {
  names: string[];
  /** Index of the first `pos:` column; each perp has `pos:` then `liq_distance:`. */
  perpCol0: number;
  perpIds: Int32Array;
  basisCol0: number;
  /** (perp id, spot id) pairs, flattened. */
  basisPairs: Int32Array;
  se: Float64Array;
  upnl: Float64Array;
  mm: Float64Array;
  wallet: Float64Array;
  /** Instrument ids with a nonzero position in the current snapshot. */
  open: Int32Array;
}

export class EquitySampler {
  readonly capacity: number;
  length = 0;
  readonly ts: Float64Array;
  private readonly portfolio: Portfolio;
  /** Latest close per instrument at each sample. */
  private readonly px: Float64Array[];
  /** Latest mark per instrument at each sample (perps; spot: unused). */
  private readonly mk: Float64Array[];
  private readonly snapIdx: Int32Array;
  private readonly snaps: Snapshot[] = [];
  private snapVersion = -1;
  private materialized: Map<string, Float64Array> | null = null;

  constructor(portfolio: Portfolio, capacity: number) {
    this.portfolio = portfolio;
    this.capacity = capacity;
    // Filled up front: touching the pages here keeps page faults out of the replay loop.
    this.ts = new Float64Array(capacity).fill(NaN);
    this.px = portfolio.instruments.map(() => new Float64Array(capacity).fill(NaN));
    this.mk = portfolio.instruments.map((ins) => (ins.type === 'perp' ? new Float64Array(capacity).fill(NaN) : new Float64Array(0)));
    this.snapIdx = new Int32Array(capacity).fill(-1);
  }

  /** Record the portfolio's state at `ts`. */
  sample(ts: UnixMs): void {
    const n = this.length;
    if (n >= this.capacity) throw new Error('EquitySampler: capacity exceeded');
    this.length = n + 1;
    this.record(n, ts);
  }

  /** Whether the portfolio changed (any ledger flow or position) since the last sample. */
  stale(): boolean {
    return this.portfolio.stateVersion !== this.snapVersion;
  }

  /** Overwrite the last sample (after fills at the final instant). */
  resample(ts: UnixMs): void {
    if (this.length === 0) { this.sample(ts); return; }
    this.record(this.length - 1, ts);
  }

  private record(n: number, ts: UnixMs): void {
    const pf = this.portfolio;
    this.ts[n] = ts;
    const lastPx = pf.lastPx;
    const markPx = pf.markPx;
    const px = this.px;
    for (let i = 0; i < px.length; i++) {
      px[i]![n] = lastPx[i]!;
      if (pf.isPerp[i] === 1) this.mk[i]![n] = markPx[i]!;
    }
    if (pf.stateVersion !== this.snapVersion) this.snapshot();
    this.snapIdx[n] = this.snaps.length - 1;
    this.materialized = null;
  }

  private snapshot(): void {
    const pf = this.portfolio;
    const ni = pf.instruments.length;
    const nv = pf.venues.length;
    const liq = new Float64Array(ni).fill(NaN);
    const liqPerSample = new Uint8Array(ni);
    const isolated = Uint8Array.from(pf.marginMode, (m) => (m === 'isolated' ? 1 : 0));
    for (let i = 0; i < ni; i++) {
      if (pf.isPerp[i] !== 1 || pf.qty[i] === 0) continue;
      const v = pf.venueOf[i]!;
      let open = 0;
      const ids = pf.perpIdsOf[v]!;
      for (let k = 0; k < ids.length; k++) if (pf.qty[ids[k]!] !== 0) open++;
      if (isolated[v] === 1 || open <= 1) liq[i] = pf.liquidationPrice(i);
      else liqPerSample[i] = 1;
    }
    this.snaps.push({
      qty: Float64Array.from(pf.qty),
      entry: Float64Array.from(pf.entry),
      isoMargin: Float64Array.from(pf.isoMargin),
      spotCash: Float64Array.from(pf.spotCash),
      perpFree: Float64Array.from(pf.perpFree),
      isolated,
      liq,
      liqPerSample,
      cum: Float64Array.of(pf.cumFunding, pf.cumRealized, pf.cumFees, pf.cumSlippage, pf.cumInterest, pf.cumLiqFee, pf.cumAdl),
    });
    this.snapVersion = pf.stateVersion;
    if (nv === 0) throw new Error('no venues');
  }

  /** Every column after `ts`, in file order, computed from the recorded samples (held in memory). */
  get columns(): Map<string, Float64Array> {
    if (!this.materialized) this.materialized = this.materialize();
    return this.materialized;
  }

  /** Names of the columns after `ts`, in file order (see docs/run-format.md `equity.arrow`). */
  columnNames(): string[] {
    return this.layout().names;
  }

  private materialize(): Map<string, Float64Array> {
    const n = this.length;
    const names = this.columnNames();
    const out = names.map(() => new Float64Array(n));
    this.fillColumns(0, n, out, this.cursor());
    return new Map(names.map((name, c) => [name, out[c]!]));
  }

  /** A cursor for {@link fillColumns} starting at row 0. */
  cursor(): EquityCursor {
    const d = this.portfolio.initialDeposit;
    // The running peak starts at the initial capital (equity before any trade), so costs booked
    // before the first sample (entry fees, slippage) count as drawdown. Same rule as
    // `maxDrawdown` in src/analysis/metrics.ts.
    return { nextRow: 0, peak: d > 0 ? d : -Infinity };
  }

  /**
   * Compute rows [from, to) of every column into `out` (one array per column in
   * {@link columnNames} order, row r at `out[c][r − from]`). Ranges must be consecutive for one
   * cursor (the drawdown's running peak carries over): this lets a writer stream the columns out
   * in batches instead of holding all of them. Same values as {@link columns}, bit for bit.
   */
  fillColumns(from: number, to: number, out: readonly Float64Array[], cur: EquityCursor): void {
    if (from !== cur.nextRow) throw new Error(`EquitySampler.fillColumns: rows must be consecutive (expected ${cur.nextRow}, got ${from})`);
    if (to > this.length || to < from) throw new Error(`EquitySampler.fillColumns: bad range [${from}, ${to}) of ${this.length}`);
    const L = this.layout();
    if (out.length !== L.names.length) throw new Error(`EquitySampler.fillColumns: ${out.length} output columns, expected ${L.names.length}`);
    const pf = this.portfolio;
    const nv = pf.venues.length;
    const venueOf = pf.venueOf;
    const isPerp = pf.isPerp;
    const tables = pf.tables;
    const px = this.px;
    const mkc = this.mk;
    const se = L.se;
    const upnl = L.upnl;
    const mm = L.mm;
    const wallet = L.wallet;
    const open = L.open;
    const eq = out[0]!;
    const dd = out[1]!;
    const gross = out[2]!;
    const net = out[3]!;
    const pFund = out[4]!;
    const pTrade = out[5]!;
    const pFees = out[6]!;
    const pSlip = out[7]!;
    const pInt = out[8]!;
    const pLiq = out[9]!;
    const pAdl = out[10]!;
    let peak = cur.peak;
    let snapK = -1;
    let s: Snapshot = this.snaps[0]!;
    let nOpen = 0;
    let cFund = 0;
    let cReal = 0;
    let cFees = 0;
    let cSlip = 0;
    let cInt = 0;
    let cLiq = 0;
    let cAdl = 0;
    for (let r = from; r < to; r++) {
      const o = r - from;
      const k = this.snapIdx[r]!;
      if (k !== snapK) {
        // Per snapshot (a trade, settlement, transfer or interest posting): what does not depend
        // on prices. Same operations in the same order as the per-row formulas below.
        snapK = k;
        s = this.snaps[k]!;
        nOpen = 0;
        for (let i = 0; i < s.qty.length; i++) if (s.qty[i] !== 0) open[nOpen++] = i;
        for (let v = 0; v < nv; v++) {
          let w = s.perpFree[v]!;
          if (s.isolated[v] === 1) for (const i of pf.perpIdsOf[v]!) w += s.isoMargin[i]!;
          wallet[v] = w;
        }
        cFund = s.cum[0]!;
        cReal = s.cum[1]!;
        cFees = costAsPnl(s.cum[2]!);
        cSlip = costAsPnl(s.cum[3]!);
        cInt = s.cum[4]!;
        cLiq = costAsPnl(s.cum[5]!);
        cAdl = costAsPnl(s.cum[6]!);
      }
      const qty = s.qty;
      for (let v = 0; v < nv; v++) {
        se[v] = s.spotCash[v]!;
        upnl[v] = 0;
        mm[v] = 0;
      }
      let g = 0;
      let nt = 0;
      let inventory = 0;
      for (let j = 0; j < nOpen; j++) {
        const i = open[j]!;
        const q = qty[i]!;
        const v = venueOf[i]!;
        if (isPerp[i] === 1) {
          const mark = mkc[i]![r]!;
          const x = q * mark;
          const u = unrealizedPnl(q, mark, s.entry[i]!);
          upnl[v]! += u;
          mm[v]! += positionMaintenance(tables[i]!, q, mark);
          inventory += u;
          g += Math.abs(x);
          nt += x;
        } else {
          const x = q * px[i]![r]!;
          se[v]! += x;
          inventory += x;
          g += Math.abs(x);
          nt += x;
        }
      }
      let equity = 0;
      for (let v = 0; v < nv; v++) {
        const pe = wallet[v]! + upnl[v]!;
        const c = FIXED_EQUITY_COLUMNS.length + 3 * v;
        out[c]![o] = se[v]!;
        out[c + 1]![o] = pe;
        out[c + 2]![o] = s.isolated[v] === 1 ? this.isolatedRatio(s, v, r) : marginRatio(mm[v]!, pe);
        equity += se[v]! + pe;
      }
      eq[o] = equity;
      if (equity > peak) peak = equity;
      dd[o] = drawdown(equity, peak);
      gross[o] = g;
      net[o] = nt;
      pFund[o] = cFund;
      pTrade[o] = tradingPnl(cReal, inventory);
      pFees[o] = cFees;
      pSlip[o] = cSlip;
      pInt[o] = cInt;
      pLiq[o] = cLiq;
      pAdl[o] = cAdl;
      const perpIds = L.perpIds;
      for (let p = 0; p < perpIds.length; p++) {
        const i = perpIds[p]!;
        const q = qty[i]!;
        const c = L.perpCol0 + 2 * p;
        out[c]![o] = q;
        if (q === 0) out[c + 1]![o] = NaN;
        else {
          const mark = mkc[i]![r]!;
          const lp = s.liqPerSample[i] === 1 ? this.crossLiqPrice(s, i, r) : s.liq[i]!;
          out[c + 1]![o] = Math.abs(mark - lp) / mark;
        }
      }
      const bp = L.basisPairs;
      for (let b = 0; b < bp.length; b += 2) {
        out[L.basisCol0 + (b >> 1)]![o] = (px[bp[b]!]![r]! / px[bp[b + 1]!]![r]! - 1) * 1e4;
      }
    }
    cur.peak = peak;
    cur.nextRow = to;
  }

  private layoutCache: Layout | null = null;

  /** Column names and the index maps and scratch arrays the fill uses. */
  private layout(): Layout {
    if (this.layoutCache) return this.layoutCache;
    const pf = this.portfolio;
    const names: string[] = [...FIXED_EQUITY_COLUMNS];
    const N = EQUITY_COLUMN_NAMES;
    for (const v of pf.venues) names.push(N.spotEquity(v), N.perpEquity(v), N.marginRatio(v));
    const perpCol0 = names.length;
    const perpIds: number[] = [];
    for (const ins of pf.instruments) {
      if (ins.type !== 'perp') continue;
      perpIds.push(ins.id);
      names.push(N.position(ins.venue, ins.symbol), N.liqDistance(ins.venue, ins.symbol));
    }
    const basisCol0 = names.length;
    const basisPairs: number[] = [];
    for (const p of pf.instruments) {
      if (p.type !== 'perp') continue;
      const s = pf.instruments.find((x) => x.type === 'spot' && x.venue === p.venue && x.base === p.base && x.quote === p.quote);
      if (s) {
        basisPairs.push(p.id, s.id);
        names.push(N.basisBps(p.venue, p.base));
      }
    }
    const nv = pf.venues.length;
    this.layoutCache = {
      names,
      perpCol0,
      perpIds: Int32Array.from(perpIds),
      basisCol0,
      basisPairs: Int32Array.from(basisPairs),
      se: new Float64Array(nv),
      upnl: new Float64Array(nv),
      mm: new Float64Array(nv),
      wallet: new Float64Array(nv),
      open: new Int32Array(pf.instruments.length),
    };
    return this.layoutCache;
  }

  /** Isolated account: the worst position's maintenance / (isolated margin + uPnL). */
  private isolatedRatio(s: Snapshot, v: number, r: number): number {
    let worst = 0;
    for (const i of this.portfolio.perpIdsOf[v]!) {
      const q = s.qty[i]!;
      if (q === 0) continue;
      const mark = this.mk[i]![r]!;
      const mb = s.isoMargin[i]! + unrealizedPnl(q, mark, s.entry[i]!);
      const m = positionMaintenance(this.portfolio.tables[i]!, q, mark);
      const ratio = mb > 0 ? m / mb : Infinity;
      if (ratio > worst) worst = ratio;
    }
    return worst;
  }

  /** Cross account with several positions: the others are held at this sample's marks. */
  private crossLiqPrice(s: Snapshot, i: number, r: number): number {
    const pf = this.portfolio;
    const v = pf.venueOf[i]!;
    let backing = s.perpFree[v]!;
    for (const j of pf.perpIdsOf[v]!) {
      if (j === i || s.qty[j] === 0) continue;
      const mark = this.mk[j]![r]!;
      backing += unrealizedPnl(s.qty[j]!, mark, s.entry[j]!) - positionMaintenance(pf.tables[j]!, s.qty[j]!, mark);
    }
    return liquidationPrice(pf.tables[i]!, s.qty[i]!, s.entry[i]!, backing);
  }

  /**
   * Every change of a position (qty or perp entry price) as seen at the equity samples, in time
   * then instrument order: positions.csv. `ts` is the first sample showing the new position
   * (the fill's instant when it filled at a bar; fills between bars show at the next sample).
   * `price` is the close (spot) or mark (perp) at that sample; `liquidationPrice` is NaN for
   * spot and flat positions.
   */
  positionChanges(): PositionChange[] {
    const out: PositionChange[] = [];
    const pf = this.portfolio;
    let prev: Snapshot | null = null;
    let prevK = -1;
    for (let r = 0; r < this.length; r++) {
      const k = this.snapIdx[r]!;
      if (k === prevK) continue;
      prevK = k;
      const s = this.snaps[k]!;
      for (let i = 0; i < s.qty.length; i++) {
        const q = s.qty[i]!;
        const perp = pf.isPerp[i] === 1;
        const entry = perp && q !== 0 ? s.entry[i]! : NaN;
        const q0 = prev ? prev.qty[i]! : 0;
        const e0 = prev && perp && q0 !== 0 ? prev.entry[i]! : NaN;
        if (q === q0 && Object.is(entry, e0)) continue;
        const price = perp ? this.mk[i]![r]! : this.px[i]![r]!;
        const liq = !perp || q === 0 ? NaN : s.liqPerSample[i] === 1 ? this.crossLiqPrice(s, i, r) : s.liq[i]!;
        out.push({ ts: this.ts[r]!, instrument: i, qty: q, entryPrice: entry, price, notional: q * price, isolatedMargin: perp ? s.isoMargin[i]! : NaN, liquidationPrice: liq });
      }
      prev = s;
    }
    return out;
  }

  /** Column arrays trimmed to the samples taken. */
  trimmed(): { ts: Float64Array; columns: Map<string, Float64Array> } {
    return { ts: this.ts.subarray(0, this.length), columns: this.columns };
  }
}
