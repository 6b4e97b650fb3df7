/**
 * Equity sampling: one row per instant with a bar of the finest series, in preallocated typed
 * arrays (no allocation per sample). Columns follow docs/RUN_FORMAT.md `equity.arrow`.
 */
import type { UnixMs } from '../core/time.js';
import type { Portfolio } from './portfolio.js';
import { maintenanceMargin } from '../venue/margin.js';

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

export class EquitySampler {
  readonly capacity: number;
  length = 0;
  readonly ts: Float64Array;
  /** Every column after `ts`, in file order (fixed, per venue, per perp, per basis pair). */
  readonly columns: Map<string, Float64Array> = new Map();
  private readonly portfolio: Portfolio;
  private readonly eq: Float64Array;
  private readonly dd: Float64Array;
  private readonly gross: Float64Array;
  private readonly net: Float64Array;
  private readonly pnlCols: Float64Array[];
  private readonly venueCols: Float64Array[][];
  private readonly perpIds: number[];
  private readonly perpCols: Float64Array[][];
  private readonly basisPairs: [number, number][];
  private readonly basisCols: Float64Array[];
  private peak = -Infinity;

  constructor(portfolio: Portfolio, capacity: number) {
    this.portfolio = portfolio;
    this.capacity = capacity;
    this.ts = new Float64Array(capacity).fill(NaN);
    const mk = (name: string): Float64Array => {
      // Filled up front: touching the pages here keeps page faults out of the replay loop.
      const a = new Float64Array(capacity).fill(NaN);
      this.columns.set(name, a);
      return a;
    };
    this.eq = mk('equity');
    this.dd = mk('drawdown');
    this.gross = mk('gross_exposure');
    this.net = mk('net_exposure');
    this.pnlCols = ['pnl_funding', 'pnl_trading', 'pnl_fees', 'pnl_slippage', 'pnl_interest', 'pnl_liquidation'].map(mk);
    this.venueCols = portfolio.venues.map((v) => [mk(`equity_spot:${v}`), mk(`equity_perp:${v}`), mk(`margin_ratio:${v}`)]);
    this.perpIds = [];
    this.perpCols = [];
    for (const ins of portfolio.instruments) {
      if (ins.type !== 'perp') continue;
      this.perpIds.push(ins.id);
      this.perpCols.push([mk(`pos:${ins.venue}:${ins.symbol}`), mk(`liq_distance:${ins.venue}:${ins.symbol}`)]);
    }
    this.basisPairs = [];
    this.basisCols = [];
    for (const p of portfolio.instruments) {
      if (p.type !== 'perp') continue;
      const s = portfolio.instruments.find((x) => x.type === 'spot' && x.venue === p.venue && x.base === p.base && x.quote === p.quote);
      if (s) {
        this.basisPairs.push([p.id, s.id]);
        this.basisCols.push(mk(`basis_bps:${p.venue}:${p.base}`));
      }
    }
  }

  /** Record the portfolio's state at `ts`. */
  sample(ts: UnixMs): void {
    if (this.length >= this.capacity) throw new Error('EquitySampler: capacity exceeded');
    this.write(this.length++, ts);
  }

  /** Overwrite the last sample (after fills at the final instant). */
  resample(ts: UnixMs): void {
    if (this.length === 0) return this.sample(ts);
    this.write(this.length - 1, ts);
  }

  private write(n: number, ts: UnixMs): void {
    const pf = this.portfolio;
    const qty = pf.qty;
    const lastPx = pf.lastPx;
    const markPx = pf.markPx;
    this.ts[n] = ts;
    let equity = 0;
    let gross = 0;
    let net = 0;
    let inventory = 0;
    for (let v = 0; v < pf.venues.length; v++) {
      let se = pf.spotCash[v]!;
      const sids = pf.spotIdsOf[v]!;
      for (let k = 0; k < sids.length; k++) {
        const i = sids[k]!;
        const q = qty[i]!;
        if (q === 0) continue;
        const x = q * lastPx[i]!;
        se += x;
        gross += Math.abs(x);
        net += x;
        inventory += x;
      }
      let u = 0;
      let mm = 0;
      const pids = pf.perpIdsOf[v]!;
      for (let k = 0; k < pids.length; k++) {
        const i = pids[k]!;
        const q = qty[i]!;
        if (q === 0) continue;
        const mark = markPx[i]!;
        const x = q * mark;
        u += q * (mark - pf.entry[i]!);
        mm += maintenanceMargin(pf.tables[i]!, Math.abs(x));
        gross += Math.abs(x);
        net += x;
      }
      inventory += u;
      const pe = (pf.marginMode[v] === 'cross' ? pf.perpFree[v]! : pf.perpWallet(v)) + u;
      const cols = this.venueCols[v]!;
      cols[0]![n] = se;
      cols[1]![n] = pe;
      cols[2]![n] = pf.marginMode[v] === 'cross' ? (mm === 0 ? 0 : pe > 0 ? mm / pe : Infinity) : pf.marginRatio(v);
      equity += se + pe;
    }
    this.eq[n] = equity;
    if (n === 0 || equity > this.peak) this.peak = equity;
    this.dd[n] = this.peak > 0 ? equity / this.peak - 1 : 0;
    this.gross[n] = gross;
    this.net[n] = net;
    const pc = this.pnlCols;
    pc[0]![n] = pf.cumFunding;
    pc[1]![n] = pf.cumRealized + inventory;
    pc[2]![n] = 0 - pf.cumFees;
    pc[3]![n] = 0 - pf.cumSlippage;
    pc[4]![n] = pf.cumInterest;
    pc[5]![n] = 0 - pf.cumLiqFee;
    for (let p = 0; p < this.perpIds.length; p++) {
      const i = this.perpIds[p]!;
      const cols = this.perpCols[p]!;
      const q = qty[i]!;
      cols[0]![n] = q;
      if (q === 0) cols[1]![n] = NaN;
      else {
        const mark = markPx[i]!;
        const lp = pf.liqCacheVer[i] === pf.version ? pf.liqCache[i]! : pf.liquidationPrice(i);
        cols[1]![n] = Math.abs(mark - lp) / mark;
      }
    }
    for (let b = 0; b < this.basisPairs.length; b++) {
      const pair = this.basisPairs[b]!;
      this.basisCols[b]![n] = (lastPx[pair[0]]! / lastPx[pair[1]]! - 1) * 1e4;
    }
  }

  /** Column arrays trimmed to the samples taken. */
  trimmed(): { ts: Float64Array; columns: Map<string, Float64Array> } {
    const columns = new Map<string, Float64Array>();
    for (const [k, v] of this.columns) columns.set(k, v.subarray(0, this.length));
    return { ts: this.ts.subarray(0, this.length), columns };
  }
}
