/**
 * Equity sampling: one row per instant with a bar of the finest series. Columns follow
 * docs/RUN_FORMAT.md `equity.arrow`.
 *
 * In the replay loop a sample records only its time; a snapshot of positions, cash and cumulative
 * attribution is copied when the portfolio changed (trades, settlements, transfers, interest
 * postings), with the row it starts at. Prices are not copied per sample: the columns read each
 * instrument's latest close and mark at the sample's time from the same bars the engine's price
 * store was fed from. The columns (equity, drawdown = equity / running peak − 1 with the peak
 * starting at the initial capital, exposures, PnL attribution, per-account equity, margin ratio,
 * liquidation distance, basis) are computed in one pass afterwards, with the same formulas the
 * portfolio uses. A sample costs a time appended to a run-length code (src/portfolio/sample-times.ts)
 * and, when the portfolio changed, a snapshot: on the 1m year this keeps ~19 MB of per-sample
 * times, prices and snapshot indexes out of memory.
 */
import type { UnixMs } from '../core/time.js';
import type { Portfolio } from './portfolio.js';
import { costAsPnl, drawdown, marginRatio, positionMaintenance, tradingPnl, unrealizedPnl } from './accounting.js';
import { liquidationPrice } from '../venue/liquidation.js';
import { SegmentFill } from './equity-segment.js';
import { SampleTimes } from './sample-times.js';

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

/** One row of position-changes.csv: a position as it stands after a change (see {@link EquitySampler.positionChanges}). */
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

/** Column positions of one sampler's fill. */
interface Layout {
  names: string[];
  /** Index of the first `pos:` column; each perp has `pos:` then `liq_distance:`. */
  perpCol0: number;
  perpIds: Int32Array;
  basisCol0: number;
  /** (perp id, spot id) pairs, flattened. */
  basisPairs: Int32Array;
}

/**
 * The bars a price comes from: open times and closes (a bar's close is known from its open time
 * plus {@link SamplerPrices.offsetMs}). Structurally the engine's `BarSeries`.
 */
export interface ClosingBars {
  ts: Float64Array;
  close: Float64Array;
}

/**
 * Where the sampler reads each instrument's latest close and mark at a sample time: the same bars
 * the engine's price store was fed from, so the columns need no per-sample copy of the prices.
 */
export interface SamplerPrices {
  /** Per instrument id: its OHLCV bars (the latest close), or null (price NaN). */
  close: readonly (ClosingBars | null)[];
  /** Per instrument id: the bars of its mark (mark series, else the perp's own bars); null for spot. */
  mark: readonly (ClosingBars | null)[];
  /** Delivery delay of a bar after its open time (the timeframe), ms. */
  offsetMs: number;
}

/**
 * Latest close and mark per instrument at a time, walking forward: `row` of each series is the
 * last bar delivered at or before the time reached (−1 before the first). Rows only move forward,
 * so a pass over the samples in order costs one step per bar.
 */
class PriceWalk {
  /** Latest close / mark per instrument at the time reached (NaN before the first bar). */
  readonly px: Float64Array;
  readonly mk: Float64Array;
  /** Per series (closes 0..n−1, marks n..2n−1): its bars, the last row delivered, the next row's delivery time. */
  private readonly bars: (ClosingBars | null)[];
  private readonly row: Int32Array;
  private readonly nextAt: Float64Array;
  private readonly offsetMs: number;
  constructor(src: SamplerPrices) {
    const n = src.close.length;
    this.px = new Float64Array(n).fill(NaN);
    this.mk = new Float64Array(n).fill(NaN);
    this.bars = [...src.close, ...src.mark];
    this.row = new Int32Array(2 * n).fill(-1);
    this.offsetMs = src.offsetMs;
    this.nextAt = Float64Array.from(this.bars, (b) => (b && b.ts.length > 0 ? b.ts[0]! + src.offsetMs : Infinity));
  }

  /** Move to time `t` (non-decreasing from call to call). */
  advance(t: UnixMs): void {
    const nextAt = this.nextAt;
    // One comparison per series and sample; stepping happens once per bar.
    for (let j = 0; j < nextAt.length; j++) if (nextAt[j]! <= t) this.step(j, t);
  }

  /**
   * Series `j` (closes 0..n−1, marks n..2n−1) at the sample times `ts[r0..r1)` into
   * `dst[off..]`, moving the walk as {@link advance} would; the other series stay behind.
   */
  gather(j: number, ts: Float64Array, r0: number, r1: number, dst: Float64Array, off: number): void {
    const n = this.px.length;
    let p = j < n ? this.px[j]! : this.mk[j - n]!;
    let next = this.nextAt[j]!;
    const b = this.bars[j];
    if (!b || next === Infinity) {
      dst.fill(p, off, off + (r1 - r0));
      return;
    }
    const bts = b.ts;
    const close = b.close;
    const last = bts.length - 1;
    const offMs = this.offsetMs;
    let row = this.row[j]!;
    for (let r = r0; r < r1; r++) {
      const t = ts[r]!;
      if (next <= t) {
        // Same steps as `step`: over every bar delivered by t.
        do {
          row++;
          next = row < last ? bts[row + 1]! + offMs : Infinity;
        } while (next <= t);
        p = close[row]!;
      }
      dst[off + r - r0] = p;
    }
    this.row[j] = row;
    this.nextAt[j] = next;
    if (j < n) this.px[j] = p;
    else this.mk[j - n] = p;
  }

  /** Series `j`: move its row over the bars delivered by `t` and publish the last one's close. */
  private step(j: number, t: UnixMs): void {
    const b = this.bars[j]!;
    const ts = b.ts;
    const off = this.offsetMs;
    let r = this.row[j]! + 1;
    if (r + 1 < ts.length && ts[r + 1]! + off <= t) r = lastDelivered(ts, off, r + 1, t);
    this.row[j] = r;
    this.nextAt[j] = r + 1 < ts.length ? ts[r + 1]! + off : Infinity;
    const n = this.px.length;
    if (j < n) this.px[j] = b.close[r]!;
    else this.mk[j - n] = b.close[r]!;
  }
}

/**
 * The last row at or after `r` (delivered by `t`: `ts[r] + off <= t`) whose bar is delivered by
 * `t`, galloping then bisecting: a sample per bar steps once, a jump over many bars (the
 * position changes walk from snapshot to snapshot) costs log steps, not one per bar.
 */
function lastDelivered(ts: Float64Array, off: number, r: number, t: UnixMs): number {
  let step = 1;
  let hi = r + 1;
  while (hi < ts.length && ts[hi]! + off <= t) {
    r = hi;
    step *= 2;
    hi = r + step;
  }
  // ts[r] is delivered; the first row not delivered is in (r, min(hi, length)].
  let lo = r;
  hi = Math.min(hi, ts.length);
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid]! + off <= t) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Where a streamed {@link EquitySampler.fillColumns} pass is: the next row and the running equity
 * peak (public), and the state the rows in between carry over — the snapshot in force with what
 * it fixes (open positions, perp wallets, cumulative attribution), the price walk, and per-row
 * scratch per venue.
 */
export class EquityCursor {
  nextRow = 0;
  peak: number;
  /** @internal Snapshot in force (−1 before the first row) and the row where the next one starts. */
  snapK = -1;
  snapNextRow = 0;
  /** @internal Instrument ids with a nonzero position in the snapshot in force. */
  readonly open: Int32Array;
  nOpen = 0;
  /** @internal Per venue: perp wallet of the snapshot; spot equity, uPnL, maintenance of the row. */
  readonly wallet: Float64Array;
  readonly se: Float64Array;
  readonly upnl: Float64Array;
  readonly mm: Float64Array;
  /** @internal Cumulative attribution of the snapshot, as PnL (costs negated). */
  readonly cum = new Float64Array(7);
  /** @internal The row's gross and net exposure and inventory value. */
  gross = 0;
  net = 0;
  inventory = 0;
  /** @internal Latest prices at the row. */
  readonly prices: PriceWalk;
  /**
   * @internal Whether the snapshot in force can be filled column by column (src/portfolio/equity-segment.ts):
   * every account cross-margined, every open perp's liquidation price fixed by the snapshot.
   */
  columnar = false;

  /** @internal Use {@link EquitySampler.cursor}. */
  constructor(peak: number, instruments: number, venues: number, prices: SamplerPrices) {
    this.peak = peak;
    this.open = new Int32Array(instruments);
    this.wallet = new Float64Array(venues);
    this.se = new Float64Array(venues);
    this.upnl = new Float64Array(venues);
    this.mm = new Float64Array(venues);
    this.prices = new PriceWalk(prices);
  }
}

/**
 * The snapshots' arrays, carved as views out of shared 64 KB blocks: a run takes a snapshot per
 * settlement, trade and interest posting (~1,100 on the 1m year), and a typed array with a buffer
 * of its own each time (9 per snapshot) was ~9 ms of a year's replay and its GC.
 */
class SnapshotPool {
  private f = new Float64Array(0);
  private fAt = 0;
  private b = new Uint8Array(0);
  private bAt = 0;

  /** A zeroed Float64Array of `n` elements. */
  f64(n: number): Float64Array {
    if (this.fAt + n > this.f.length) {
      this.f = new Float64Array(Math.max(8192, n));
      this.fAt = 0;
    }
    const v = this.f.subarray(this.fAt, this.fAt + n);
    this.fAt += n;
    return v;
  }

  /** A zeroed Uint8Array of `n` elements. */
  u8(n: number): Uint8Array {
    if (this.bAt + n > this.b.length) {
      this.b = new Uint8Array(Math.max(8192, n));
      this.bAt = 0;
    }
    const v = this.b.subarray(this.bAt, this.bAt + n);
    this.bAt += n;
    return v;
  }

  /** A copy of `src`. */
  copy(src: Float64Array): Float64Array {
    const v = this.f64(src.length);
    v.set(src);
    return v;
  }
}

/**
 * The equity samples of a run: per sample its time and the portfolio snapshot in force; the
 * columns are computed from them afterwards (see the module doc).
 */
export class EquitySampler {
  length = 0;
  private readonly portfolio: Portfolio;
  private readonly prices: SamplerPrices;
  /** Sample times, run-length encoded: see {@link SampleTimes}. */
  private readonly times = new SampleTimes();
  /** Where the snapshots' arrays live (views into shared blocks). */
  private readonly pool = new SnapshotPool();
  /** Snapshots, and the first sample row of each: snapshot k is in force from `snapRow[k]` on. */
  private readonly snaps: Snapshot[] = [];
  private readonly snapRow: number[] = [];
  private snapVersion = -1;
  private materialized: Map<string, Float64Array> | null = null;

  /**
   * @param prices the bars the engine feeds its price store from. (The sample times are
   *   run-length encoded: no column is sized in advance.)
   */
  constructor(portfolio: Portfolio, prices: SamplerPrices) {
    this.portfolio = portfolio;
    this.prices = prices;
  }

  /**
   * Sample times, one per row (`length` of them): a column built on first read after the run and
   * kept until the next sample. The replay writes no per-sample memory: a 1m year's column is
   * 4.2 MB of fresh pages, ~12-20 ms of page faults on this VM, inside the loop.
   */
  get ts(): Float64Array {
    return this.times.column(this.length);
  }

  /** Time of the last sample (NaN before the first). */
  lastTs(): UnixMs {
    return this.length === 0 ? NaN : this.times.last;
  }

  /** Record the portfolio's state at `ts`. */
  sample(ts: UnixMs): void {
    const n = this.length;
    this.length = n + 1;
    this.times.push(n, ts);
    this.record(n);
  }

  /**
   * Samples at the distinct times `times[r] + offsetMs`, r in [from, to), while the portfolio
   * does not change (a quiet stretch replayed in bulk: src/engine/quiet-skip.ts). Same rows as
   * {@link sample} at each of those times.
   */
  sampleQuiet(times: Float64Array, from: number, to: number, offsetMs: number): void {
    if (from >= to) return;
    if (this.portfolio.stateVersion !== this.snapVersion) {
      this.sample(times[from]! + offsetMs);
      from++;
    }
    this.length += this.times.pushTimes(this.length, times, from, to, offsetMs);
  }

  /** Whether the portfolio changed (any ledger flow or position) since the last sample. */
  stale(): boolean {
    return this.portfolio.stateVersion !== this.snapVersion;
  }

  /** Overwrite the last sample (after fills at the final instant). */
  resample(ts: UnixMs): void {
    if (this.length === 0) { this.sample(ts); return; }
    this.times.replaceLast(this.length - 1, ts);
    this.record(this.length - 1);
  }

  private record(n: number): void {
    if (this.portfolio.stateVersion !== this.snapVersion) {
      this.snapshot();
      this.snapRow.push(n);
    }
    this.materialized = null;
  }

  private snapshot(): void {
    const pf = this.portfolio;
    const ni = pf.instruments.length;
    const nv = pf.venues.length;
    if (nv === 0) throw new Error('no venues');
    const liq = this.pool.f64(ni).fill(NaN);
    const liqPerSample = this.pool.u8(ni);
    const isolated = this.pool.u8(nv);
    for (let v = 0; v < nv; v++) isolated[v] = pf.marginMode[v] === 'isolated' ? 1 : 0;
    for (let i = 0; i < ni; i++) {
      if (pf.isPerp[i] !== 1 || pf.qty[i] === 0) continue;
      const v = pf.venueOf[i]!;
      let open = 0;
      const ids = pf.perpIdsOf[v]!;
      for (let k = 0; k < ids.length; k++) if (pf.qty[ids[k]!] !== 0) open++;
      if (isolated[v] === 1 || open <= 1) liq[i] = pf.liquidationPrice(i);
      else liqPerSample[i] = 1;
    }
    const cum = this.pool.f64(7);
    cum[0] = pf.cumFunding;
    cum[1] = pf.cumRealized;
    cum[2] = pf.cumFees;
    cum[3] = pf.cumSlippage;
    cum[4] = pf.cumInterest;
    cum[5] = pf.cumLiqFee;
    cum[6] = pf.cumAdl;
    this.snaps.push({
      qty: this.pool.copy(pf.qty),
      entry: this.pool.copy(pf.entry),
      isoMargin: this.pool.copy(pf.isoMargin),
      spotCash: this.pool.copy(pf.spotCash),
      perpFree: this.pool.copy(pf.perpFree),
      isolated,
      liq,
      liqPerSample,
      cum,
    });
    this.snapVersion = pf.stateVersion;
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
    return new EquityCursor(d > 0 ? d : -Infinity, this.portfolio.instruments.length, this.portfolio.venues.length, this.prices);
  }

  /**
   * Compute rows [from, to) of every column into `out` (one array per column in
   * {@link columnNames} order, row r at `out[c][r − from]`). Ranges must be consecutive for one
   * cursor (the drawdown's running peak carries over): this lets a writer stream the columns out
   * in batches instead of holding all of them. Same values as {@link columns}, bit for bit.
   * The rows go snapshot by snapshot: between two snapshots only prices move, and most such runs
   * are filled column by column (src/portfolio/equity-segment.ts); the others row by row
   * ({@link fillColumnsByRow}, the definition both must match).
   */
  fillColumns(from: number, to: number, out: readonly Float64Array[], cur: EquityCursor): void {
    const L = this.checkFill(from, to, out, cur);
    const ts = this.ts;
    for (let r = from; r < to; ) {
      if (r >= cur.snapNextRow) this.enterSnapshot(cur, r);
      const end = Math.min(to, cur.snapNextRow);
      const s = this.snaps[cur.snapK]!;
      if (cur.columnar) this.segmentFill(L).fill(s, cur, ts, r, end, out, r - from);
      else for (let k = r; k < end; k++) this.fillRow(L, s, cur, out, k, k - from);
      r = end;
    }
    cur.nextRow = to;
  }

  /**
   * @internal {@link fillColumns} row by row for every row: the reference its column-by-column
   * path must equal bit for bit (test/portfolio/equity-segment.test.ts compares them).
   */
  fillColumnsByRow(from: number, to: number, out: readonly Float64Array[], cur: EquityCursor): void {
    const L = this.checkFill(from, to, out, cur);
    for (let r = from; r < to; r++) {
      if (r >= cur.snapNextRow) this.enterSnapshot(cur, r);
      this.fillRow(L, this.snaps[cur.snapK]!, cur, out, r, r - from);
    }
    cur.nextRow = to;
  }

  /** Row `r` into `out[c][o]`: prices at its time, the open positions valued, then the account, total, perp and basis columns. */
  private fillRow(L: Layout, s: Snapshot, cur: EquityCursor, out: readonly Float64Array[], r: number, o: number): void {
    cur.prices.advance(this.ts[r]!);
    this.valuePositions(s, cur);
    const equity = this.writeAccounts(s, cur, out, o);
    this.writeTotals(cur, out, o, equity);
    this.writePerps(L, s, cur, out, o);
    this.writeBasis(L, cur, out, o);
  }

  private segments: SegmentFill | null = null;

  private segmentFill(L: Layout): SegmentFill {
    if (!this.segments) {
      const pf = this.portfolio;
      this.segments = new SegmentFill({ venues: pf.venues.length, venueOf: pf.venueOf, isPerp: pf.isPerp, tables: pf.tables, ...L }, pf.instruments.length);
    }
    return this.segments;
  }

  /**
   * Only the `equity` and `gross_exposure` columns of rows [from, to), into `equity` and `gross`
   * (row r at index r − from): what a sweep point needs, without the other columns' work. Same
   * values, bit for bit, as {@link fillColumns}; the cursor advances the same way.
   */
  fillEquity(from: number, to: number, equity: Float64Array, gross: Float64Array, cur: EquityCursor): void {
    this.checkRange(from, to, cur);
    const ts = this.ts;
    for (let r = from; r < to; r++) {
      cur.prices.advance(ts[r]!);
      if (r >= cur.snapNextRow) this.enterSnapshot(cur, r);
      this.valuePositions(this.snaps[cur.snapK]!, cur);
      const { se, upnl, wallet } = cur;
      let e = 0;
      for (let v = 0; v < se.length; v++) e += se[v]! + (wallet[v]! + upnl[v]!);
      equity[r - from] = e;
      gross[r - from] = cur.gross;
      if (e > cur.peak) cur.peak = e;
    }
    cur.nextRow = to;
  }

  private checkRange(from: number, to: number, cur: EquityCursor): void {
    if (from !== cur.nextRow) throw new Error(`EquitySampler.fillColumns: rows must be consecutive (expected ${cur.nextRow}, got ${from})`);
    if (to > this.length || to < from) throw new Error(`EquitySampler.fillColumns: bad range [${from}, ${to}) of ${this.length}`);
  }

  private checkFill(from: number, to: number, out: readonly Float64Array[], cur: EquityCursor): Layout {
    this.checkRange(from, to, cur);
    const L = this.layout();
    if (out.length !== L.names.length) throw new Error(`EquitySampler.fillColumns: ${out.length} output columns, expected ${L.names.length}`);
    return L;
  }

  /**
   * Row `r` starts a new snapshot (a trade, settlement, transfer or interest posting): what does
   * not depend on prices — open positions, perp wallets, cumulative attribution.
   */
  private enterSnapshot(cur: EquityCursor, r: number): void {
    const rows = this.snapRow;
    let k = cur.snapK;
    // A resample may have replaced a snapshot at the same row: the last one starting at r holds.
    while (k + 1 < rows.length && rows[k + 1]! <= r) k++;
    cur.snapK = k;
    cur.snapNextRow = k + 1 < rows.length ? rows[k + 1]! : Infinity;
    const s = this.snaps[k]!;
    const pf = this.portfolio;
    let nOpen = 0;
    for (let i = 0; i < s.qty.length; i++) if (s.qty[i] !== 0) cur.open[nOpen++] = i;
    cur.nOpen = nOpen;
    let columnar = true;
    for (let j = 0; j < nOpen; j++) if (s.liqPerSample[cur.open[j]!] === 1) columnar = false;
    for (let v = 0; v < pf.venues.length; v++) if (s.isolated[v] === 1) columnar = false;
    cur.columnar = columnar;
    for (let v = 0; v < pf.venues.length; v++) {
      let w = s.perpFree[v]!;
      if (s.isolated[v] === 1) for (const i of pf.perpIdsOf[v]!) w += s.isoMargin[i]!;
      cur.wallet[v] = w;
    }
    const c = cur.cum;
    c[0] = s.cum[0]!;
    c[1] = s.cum[1]!;
    c[2] = costAsPnl(s.cum[2]!);
    c[3] = costAsPnl(s.cum[3]!);
    c[4] = s.cum[4]!;
    c[5] = costAsPnl(s.cum[5]!);
    c[6] = costAsPnl(s.cum[6]!);
  }

  /** The open positions at the row's prices: per venue spot equity, uPnL and maintenance; exposures. */
  private valuePositions(s: Snapshot, cur: EquityCursor): void {
    const pf = this.portfolio;
    const { venueOf, isPerp, tables } = pf;
    const { se, upnl, mm, open } = cur;
    const { px, mk } = cur.prices;
    for (let v = 0; v < se.length; v++) {
      se[v] = s.spotCash[v]!;
      upnl[v] = 0;
      mm[v] = 0;
    }
    let g = 0;
    let nt = 0;
    let inventory = 0;
    for (let j = 0; j < cur.nOpen; j++) {
      const i = open[j]!;
      const q = s.qty[i]!;
      const v = venueOf[i]!;
      if (isPerp[i] === 1) {
        const mark = mk[i]!;
        const x = q * mark;
        const u = unrealizedPnl(q, mark, s.entry[i]!);
        upnl[v]! += u;
        mm[v]! += positionMaintenance(tables[i]!, q, mark);
        inventory += u;
        g += Math.abs(x);
        nt += x;
      } else {
        const x = q * px[i]!;
        se[v]! += x;
        inventory += x;
        g += Math.abs(x);
        nt += x;
      }
    }
    cur.gross = g;
    cur.net = nt;
    cur.inventory = inventory;
  }

  /** Per venue: spot equity, perp equity, margin ratio. Returns the total equity. */
  private writeAccounts(s: Snapshot, cur: EquityCursor, out: readonly Float64Array[], o: number): number {
    const { se, upnl, mm, wallet } = cur;
    let equity = 0;
    for (let v = 0; v < se.length; v++) {
      const pe = wallet[v]! + upnl[v]!;
      const c = FIXED_EQUITY_COLUMNS.length + 3 * v;
      out[c]![o] = se[v]!;
      out[c + 1]![o] = pe;
      out[c + 2]![o] = s.isolated[v] === 1 ? this.isolatedRatio(s, v, cur.prices.mk) : marginRatio(mm[v]!, pe);
      equity += se[v]! + pe;
    }
    return equity;
  }

  /** Equity, drawdown (running peak carried in the cursor), exposures, attribution. */
  private writeTotals(cur: EquityCursor, out: readonly Float64Array[], o: number, equity: number): void {
    const c = cur.cum;
    out[0]![o] = equity;
    if (equity > cur.peak) cur.peak = equity;
    out[1]![o] = drawdown(equity, cur.peak);
    out[2]![o] = cur.gross;
    out[3]![o] = cur.net;
    out[4]![o] = c[0]!;
    out[5]![o] = tradingPnl(c[1]!, cur.inventory);
    out[6]![o] = c[2]!;
    out[7]![o] = c[3]!;
    out[8]![o] = c[4]!;
    out[9]![o] = c[5]!;
    out[10]![o] = c[6]!;
  }

  /** Per perp: position and distance of the mark to the liquidation price. */
  private writePerps(L: Layout, s: Snapshot, cur: EquityCursor, out: readonly Float64Array[], o: number): void {
    const perpIds = L.perpIds;
    const mk = cur.prices.mk;
    for (let p = 0; p < perpIds.length; p++) {
      const i = perpIds[p]!;
      const q = s.qty[i]!;
      const c = L.perpCol0 + 2 * p;
      out[c]![o] = q;
      if (q === 0) out[c + 1]![o] = NaN;
      else {
        const mark = mk[i]!;
        const lp = s.liqPerSample[i] === 1 ? this.crossLiqPrice(s, i, mk) : s.liq[i]!;
        out[c + 1]![o] = Math.abs(mark - lp) / mark;
      }
    }
  }

  /** Per (perp, spot) pair: basis in bps of the closes. */
  private writeBasis(L: Layout, cur: EquityCursor, out: readonly Float64Array[], o: number): void {
    const bp = L.basisPairs;
    const px = cur.prices.px;
    for (let b = 0; b < bp.length; b += 2) {
      out[L.basisCol0 + (b >> 1)]![o] = (px[bp[b]!]! / px[bp[b + 1]!]! - 1) * 1e4;
    }
  }

  private layoutCache: Layout | null = null;

  /** Column names and the index maps the fill uses. */
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
    this.layoutCache = { names, perpCol0, perpIds: Int32Array.from(perpIds), basisCol0, basisPairs: Int32Array.from(basisPairs) };
    return this.layoutCache;
  }

  /** Isolated account: the worst position's maintenance / (isolated margin + uPnL). */
  private isolatedRatio(s: Snapshot, v: number, mk: Float64Array): number {
    let worst = 0;
    for (const i of this.portfolio.perpIdsOf[v]!) {
      const q = s.qty[i]!;
      if (q === 0) continue;
      const mark = mk[i]!;
      const mb = s.isoMargin[i]! + unrealizedPnl(q, mark, s.entry[i]!);
      const m = positionMaintenance(this.portfolio.tables[i]!, q, mark);
      const ratio = mb > 0 ? m / mb : Infinity;
      if (ratio > worst) worst = ratio;
    }
    return worst;
  }

  /** Cross account with several positions: the others are held at this sample's marks `mk`. */
  private crossLiqPrice(s: Snapshot, i: number, mk: Float64Array): number {
    const pf = this.portfolio;
    const v = pf.venueOf[i]!;
    let backing = s.perpFree[v]!;
    for (const j of pf.perpIdsOf[v]!) {
      if (j === i || s.qty[j] === 0) continue;
      const mark = mk[j]!;
      backing += unrealizedPnl(s.qty[j]!, mark, s.entry[j]!) - positionMaintenance(pf.tables[j]!, s.qty[j]!, mark);
    }
    return liquidationPrice(pf.tables[i]!, s.qty[i]!, s.entry[i]!, backing);
  }

  /**
   * Every change of a position (qty or perp entry price) as seen at the equity samples, in time
   * then instrument order: position-changes.csv. `ts` is the first sample showing the new position
   * (the fill's instant when it filled at a bar; fills between bars show at the next sample).
   * `price` is the close (spot) or mark (perp) at that sample; `liquidationPrice` is NaN for
   * spot and flat positions.
   */
  positionChanges(): PositionChange[] {
    const out: PositionChange[] = [];
    const pf = this.portfolio;
    const walk = new PriceWalk(this.prices);
    let prev: Snapshot | null = null;
    for (let k = 0; k < this.snaps.length; k++) {
      const r = this.snapRow[k]!;
      // Replaced by a resample at the same row: never in force.
      if (k + 1 < this.snaps.length && this.snapRow[k + 1] === r) continue;
      walk.advance(this.ts[r]!);
      const s = this.snaps[k]!;
      for (let i = 0; i < s.qty.length; i++) {
        const q = s.qty[i]!;
        const perp = pf.isPerp[i] === 1;
        const entry = perp && q !== 0 ? s.entry[i]! : NaN;
        const q0 = prev ? prev.qty[i]! : 0;
        const e0 = prev && perp && q0 !== 0 ? prev.entry[i]! : NaN;
        if (q === q0 && Object.is(entry, e0)) continue;
        const price = perp ? walk.mk[i]! : walk.px[i]!;
        const liq = !perp || q === 0 ? NaN : s.liqPerSample[i] === 1 ? this.crossLiqPrice(s, i, walk.mk) : s.liq[i]!;
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
