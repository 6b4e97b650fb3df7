/**
 * Equity sampling: one row per instant with a bar of the finest series, in preallocated typed
 * arrays (no allocation per sample). Columns follow docs/RUN_FORMAT.md `equity.arrow`.
 */
import type { UnixMs } from '../core/time.js';
import type { Portfolio } from './portfolio.js';

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
  private readonly cum = new Float64Array(6);
  private peak = -Infinity;

  constructor(portfolio: Portfolio, capacity: number) {
    this.portfolio = portfolio;
    this.capacity = capacity;
    this.ts = new Float64Array(capacity);
    const mk = (name: string): Float64Array => {
      const a = new Float64Array(capacity);
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
    this.ts[n] = ts;
    let equity = 0;
    for (let v = 0; v < pf.venues.length; v++) {
      const se = pf.spotEquity(v);
      const pe = pf.perpEquity(v);
      const cols = this.venueCols[v]!;
      cols[0]![n] = se;
      cols[1]![n] = pe;
      cols[2]![n] = pf.marginRatio(v);
      equity += se + pe;
    }
    this.eq[n] = equity;
    if (n === 0 || equity > this.peak) this.peak = equity;
    this.dd[n] = this.peak > 0 ? equity / this.peak - 1 : 0;
    let gross = 0;
    let net = 0;
    const qty = pf.qty;
    for (let i = 0; i < qty.length; i++) {
      const q = qty[i]!;
      if (q === 0) continue;
      const x = q * (pf.isPerp[i] ? pf.markPx[i]! : pf.lastPx[i]!);
      gross += Math.abs(x);
      net += x;
    }
    this.gross[n] = gross;
    this.net[n] = net;
    pf.cumulative(this.cum);
    for (let c = 0; c < 6; c++) this.pnlCols[c]![n] = this.cum[c]!;
    for (let p = 0; p < this.perpIds.length; p++) {
      const i = this.perpIds[p]!;
      const cols = this.perpCols[p]!;
      const q = qty[i]!;
      cols[0]![n] = q;
      if (q === 0) cols[1]![n] = NaN;
      else {
        const mark = pf.markPx[i]!;
        cols[1]![n] = Math.abs(mark - pf.liquidationPrice(i)) / mark;
      }
    }
    for (let b = 0; b < this.basisPairs.length; b++) {
      const [pi, si] = this.basisPairs[b]!;
      this.basisCols[b]![n] = (pf.lastPx[pi]! / pf.lastPx[si]! - 1) * 1e4;
    }
  }

  /** Column arrays trimmed to the samples taken. */
  trimmed(): { ts: Float64Array; columns: Map<string, Float64Array> } {
    const columns = new Map<string, Float64Array>();
    for (const [k, v] of this.columns) columns.set(k, v.subarray(0, this.length));
    return { ts: this.ts.subarray(0, this.length), columns };
  }
}
