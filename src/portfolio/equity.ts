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
import { liquidationPrice, maintenanceMargin } from '../venue/margin.js';

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
] as const;

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
  cum: Float64Array; // funding, realized, fees, slippage, interest, liqFee
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
    if (this.length === 0) return this.sample(ts);
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
      cum: Float64Array.of(pf.cumFunding, pf.cumRealized, pf.cumFees, pf.cumSlippage, pf.cumInterest, pf.cumLiqFee),
    });
    this.snapVersion = pf.stateVersion;
    if (nv === 0) throw new Error('no venues');
  }

  /** Every column after `ts`, in file order, computed from the recorded samples. */
  get columns(): Map<string, Float64Array> {
    if (!this.materialized) this.materialized = this.materialize();
    return this.materialized;
  }

  private materialize(): Map<string, Float64Array> {
    const pf = this.portfolio;
    const n = this.length;
    const cols = new Map<string, Float64Array>();
    const mk = (name: string): Float64Array => {
      const a = new Float64Array(n);
      cols.set(name, a);
      return a;
    };
    const eq = mk('equity');
    const dd = mk('drawdown');
    const gross = mk('gross_exposure');
    const net = mk('net_exposure');
    const pnl = ['pnl_funding', 'pnl_trading', 'pnl_fees', 'pnl_slippage', 'pnl_interest', 'pnl_liquidation'].map(mk);
    const venueCols = pf.venues.map((v) => [mk(`equity_spot:${v}`), mk(`equity_perp:${v}`), mk(`margin_ratio:${v}`)]);
    const perpIds: number[] = [];
    const perpCols: Float64Array[][] = [];
    for (const ins of pf.instruments) {
      if (ins.type !== 'perp') continue;
      perpIds.push(ins.id);
      perpCols.push([mk(`pos:${ins.venue}:${ins.symbol}`), mk(`liq_distance:${ins.venue}:${ins.symbol}`)]);
    }
    const basisPairs: [number, number][] = [];
    const basisCols: Float64Array[] = [];
    for (const p of pf.instruments) {
      if (p.type !== 'perp') continue;
      const s = pf.instruments.find((x) => x.type === 'spot' && x.venue === p.venue && x.base === p.base && x.quote === p.quote);
      if (s) {
        basisPairs.push([p.id, s.id]);
        basisCols.push(mk(`basis_bps:${p.venue}:${p.base}`));
      }
    }
    const nv = pf.venues.length;
    const se = new Float64Array(nv);
    const upnl = new Float64Array(nv);
    const mm = new Float64Array(nv);
    // The running peak starts at the initial capital (equity before any trade), so costs booked
    // before the first sample (entry fees, slippage) count as drawdown. Same rule as
    // `maxDrawdown` in src/analysis/metrics.ts.
    let peak = pf.initialDeposit > 0 ? pf.initialDeposit : -Infinity;
    for (let r = 0; r < n; r++) {
      const s = this.snaps[this.snapIdx[r]!]!;
      const qty = s.qty;
      se.set(s.spotCash);
      upnl.fill(0);
      mm.fill(0);
      let g = 0;
      let nt = 0;
      let inventory = 0;
      for (let i = 0; i < qty.length; i++) {
        const q = qty[i]!;
        if (q === 0) continue;
        const v = pf.venueOf[i]!;
        if (pf.isPerp[i] === 1) {
          const mark = this.mk[i]![r]!;
          const x = q * mark;
          const u = q * (mark - s.entry[i]!);
          upnl[v]! += u;
          mm[v]! += maintenanceMargin(pf.tables[i]!, Math.abs(x));
          inventory += u;
          g += Math.abs(x);
          nt += x;
        } else {
          const x = q * this.px[i]![r]!;
          se[v]! += x;
          inventory += x;
          g += Math.abs(x);
          nt += x;
        }
      }
      let equity = 0;
      for (let v = 0; v < nv; v++) {
        let wallet = s.perpFree[v]!;
        if (s.isolated[v] === 1) for (const i of pf.perpIdsOf[v]!) wallet += s.isoMargin[i]!;
        const pe = wallet + upnl[v]!;
        const c = venueCols[v]!;
        c[0]![r] = se[v]!;
        c[1]![r] = pe;
        c[2]![r] = s.isolated[v] === 1 ? this.isolatedRatio(s, v, r) : mm[v] === 0 ? 0 : pe > 0 ? mm[v]! / pe : Infinity;
        equity += se[v]! + pe;
      }
      eq[r] = equity;
      if (equity > peak) peak = equity;
      dd[r] = peak > 0 ? equity / peak - 1 : 0;
      gross[r] = g;
      net[r] = nt;
      const cum = s.cum;
      pnl[0]![r] = cum[0]!;
      pnl[1]![r] = cum[1]! + inventory;
      pnl[2]![r] = 0 - cum[2]!;
      pnl[3]![r] = 0 - cum[3]!;
      pnl[4]![r] = cum[4]!;
      pnl[5]![r] = 0 - cum[5]!;
      for (let p = 0; p < perpIds.length; p++) {
        const i = perpIds[p]!;
        const q = qty[i]!;
        perpCols[p]![0]![r] = q;
        if (q === 0) perpCols[p]![1]![r] = NaN;
        else {
          const mark = this.mk[i]![r]!;
          const lp = s.liqPerSample[i] === 1 ? this.crossLiqPrice(s, i, r) : s.liq[i]!;
          perpCols[p]![1]![r] = Math.abs(mark - lp) / mark;
        }
      }
      for (let b = 0; b < basisPairs.length; b++) {
        const pair = basisPairs[b]!;
        basisCols[b]![r] = (this.px[pair[0]]![r]! / this.px[pair[1]]![r]! - 1) * 1e4;
      }
    }
    return cols;
  }

  /** Isolated account: the worst position's maintenance / (isolated margin + uPnL). */
  private isolatedRatio(s: Snapshot, v: number, r: number): number {
    let worst = 0;
    for (const i of this.portfolio.perpIdsOf[v]!) {
      const q = s.qty[i]!;
      if (q === 0) continue;
      const mark = this.mk[i]![r]!;
      const mb = s.isoMargin[i]! + q * (mark - s.entry[i]!);
      const m = maintenanceMargin(this.portfolio.tables[i]!, Math.abs(q * mark));
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
      backing += s.qty[j]! * (mark - s.entry[j]!) - maintenanceMargin(pf.tables[j]!, Math.abs(s.qty[j]! * mark));
    }
    return liquidationPrice(pf.tables[i]!, s.qty[i]!, s.entry[i]!, backing);
  }

  /** Column arrays trimmed to the samples taken. */
  trimmed(): { ts: Float64Array; columns: Map<string, Float64Array> } {
    return { ts: this.ts.subarray(0, this.length), columns: this.columns };
  }
}
