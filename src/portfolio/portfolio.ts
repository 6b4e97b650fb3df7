/**
 * The simulated portfolio: per venue a spot wallet (quote cash + base holdings) and a USDT-margined
 * perp account (cross or isolated), one ledger of every cash flow, funding, liquidation and
 * hourly interest. Prices come from a {@link PriceStore} (latest close and latest mark; perp close
 * when there is no mark series), which the engine feeds as the replay advances.
 *
 * Accounting identity (tested): at any time
 *   equity = Σ ledger amounts + Σ spot holdings × close + Σ perp qty × (mark − entry)
 * and the PnL attribution (funding, trading, fees, slippage, interest, liquidation) sums to
 * equity − initial deposit. Trades are booked at the reference price; slippage is its own flow.
 */
import type { UnixMs } from '../core/time.js';
import { MS_PER_HOUR } from '../core/time.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import type { FillQuote } from '../venue/fill.js';
import type { InterestModel } from '../venue/interest.js';
import { tierIndex, type MarginModel, type TierTable } from '../venue/margin.js';
import { costAsPnl, marginRatio, positionMaintenance, tradingPnl, unrealizedPnl } from './accounting.js';
import { isLiquidationTriggered, liquidationFee, liquidationPrice } from '../venue/liquidation.js';
import { baseBorrowInterest, quoteInterest } from '../venue/interest.js';
import { PriceStore } from './prices.js';
import { fundingPayment } from '../venue/funding.js';
import type { AccountKind, AdlRecord, FillKind, FundingRecord, LedgerEntry, LedgerType, LiquidationRecord, PnlBreakdown, TradeRecord } from './records.js';

/** Margin mode of a venue's perp account. */
export type MarginMode = 'cross' | 'isolated';

/** Construction options. */
export interface PortfolioOptions {
  instruments: readonly Instrument[];
  venues: readonly VenueId[];
  margin: MarginModel;
  interest: InterestModel;
  /** Allow negative spot quote cash or base holdings (margin loans, charged borrow interest). Default false. */
  allowSpotBorrow?: boolean;
  /** Default perp leverage until a strategy sets one (Binance's default is 20×). */
  defaultLeverage?: number;
  /** Where prices are read from. Default: a store of its own (tests set prices through it). */
  prices?: PriceStore;
}

/** Why an order was refused. */
export type RejectReason = 'insufficient-cash' | 'insufficient-holdings' | 'insufficient-margin' | 'no-price' | 'reduce-only';

const EPS = 1e-9;

export class Portfolio {
  readonly instruments: readonly Instrument[];
  readonly venues: readonly VenueId[];
  /** The prices this portfolio is valued at. */
  readonly prices: PriceStore;
  /** Latest close per instrument id (NaN before its first bar): the price store's column. */
  readonly lastPx: Float64Array;
  /** Latest mark per instrument id (perps: mark series close, else perp close): the price store's column. */
  readonly markPx: Float64Array;
  /** Venue index of each instrument. */
  readonly venueOf: Int32Array;
  readonly isPerp: Uint8Array;
  /** Spot: base holdings; perp: signed position qty (base units). */
  readonly qty: Float64Array;
  /** Perp average entry price. */
  readonly entry: Float64Array;
  /** Perp isolated margin (isolated mode only). */
  readonly isoMargin: Float64Array;
  /** Perp leverage setting (initial margin = notional / leverage). */
  readonly leverage: Float64Array;
  /** Spot wallet quote cash per venue. */
  readonly spotCash: Float64Array;
  /** Perp account cash not allocated to isolated positions, per venue (cross: the whole wallet). */
  readonly perpFree: Float64Array;
  readonly marginMode: MarginMode[];
  readonly ledger: LedgerEntry[] = [];
  readonly trades: TradeRecord[] = [];
  readonly fundings: FundingRecord[] = [];
  readonly liquidations: LiquidationRecord[] = [];
  /** Auto-deleveraging closes, in time order. */
  readonly adl: AdlRecord[] = [];
  /** Bumped on every change to a perp account (invalidates cached liquidation prices). */
  version = 0;
  /** Bumped on every change to any account, position or cumulative figure (equity snapshots). */
  stateVersion = 0;
  /** Σ |qty × price| over fills and liquidations, quote units. */
  tradedNotional = 0;
  initialDeposit = 0;
  readonly margin: MarginModel;
  readonly interest: InterestModel;
  readonly allowSpotBorrow: boolean;
  /** Margin tier table per instrument (null for spot). */
  readonly tables: (TierTable | null)[];
  /** Cached liquidation price per perp and the `version` it was computed at (valid for single-position/isolated accounts). */
  readonly liqCache: Float64Array;
  readonly liqCacheVer: Float64Array;
  private readonly openPerps: Int32Array;
  /** Perp instrument ids per venue. */
  readonly perpIdsOf: Int32Array[];
  /** Spot instrument ids per venue. */
  readonly spotIdsOf: Int32Array[];
  /** Cumulative attribution parts (read by the equity sampler; costs are positive here). */
  cumFunding = 0;
  cumFees = 0;
  cumSlippage = 0;
  cumInterest = 0;
  cumLiqFee = 0;
  /**
   * Smallest distance to liquidation seen at a mark bar's adverse extreme by {@link checkLiquidation}:
   * (liqPrice − high) / high for shorts, (low − liqPrice) / low for longs (≤ 0 once liquidated).
   * Infinity until a perp position meets a bar.
   */
  minAdverseLiqDistance = Infinity;
  /** Σ ADL close cost vs the mark (≥ 0). */
  cumAdl = 0;
  /** Σ trade_cash + realized_pnl + liquidation_pnl. */
  cumRealized = 0;
  private lastInterestHour = NaN;
  private seq = 0;

  constructor(opts: PortfolioOptions) {
    this.instruments = opts.instruments;
    this.venues = opts.venues;
    this.margin = opts.margin;
    this.interest = opts.interest;
    this.allowSpotBorrow = opts.allowSpotBorrow ?? false;
    const n = opts.instruments.length;
    const nv = opts.venues.length;
    this.prices = opts.prices ?? new PriceStore(n);
    if (this.prices.close.length !== n) throw new Error(`price store holds ${this.prices.close.length} instruments, expected ${n}`);
    this.lastPx = this.prices.close;
    this.markPx = this.prices.mark;
    this.venueOf = new Int32Array(n);
    this.isPerp = new Uint8Array(n);
    this.qty = new Float64Array(n);
    this.entry = new Float64Array(n);
    this.isoMargin = new Float64Array(n);
    this.leverage = new Float64Array(n).fill(opts.defaultLeverage ?? 20);
    this.liqCache = new Float64Array(n).fill(NaN);
    this.liqCacheVer = new Float64Array(n).fill(-1);
    this.spotCash = new Float64Array(nv);
    this.perpFree = new Float64Array(nv);
    this.openPerps = new Int32Array(nv);
    this.marginMode = opts.venues.map(() => 'cross');
    this.tables = [];
    const perpLists: number[][] = opts.venues.map(() => []);
    const spotLists: number[][] = opts.venues.map(() => []);
    for (let i = 0; i < n; i++) {
      const ins = opts.instruments[i]!;
      if (ins.id !== i) throw new Error(`instrument ids must be dense 0..n−1 (got ${ins.id} at ${i})`);
      const v = opts.venues.indexOf(ins.venue);
      if (v < 0) throw new Error(`instrument ${ins.venue} ${ins.symbol}: venue not in the run's venues`);
      this.venueOf[i] = v;
      this.isPerp[i] = ins.type === 'perp' ? 1 : 0;
      this.tables.push(ins.type === 'perp' ? opts.margin.table(ins.venue, ins.base) : null);
      (ins.type === 'perp' ? perpLists : spotLists)[v]!.push(i);
    }
    this.perpIdsOf = perpLists.map((l) => Int32Array.from(l));
    this.spotIdsOf = spotLists.map((l) => Int32Array.from(l));
  }

  venueIndex(venue: VenueId): number {
    const v = this.venues.indexOf(venue);
    if (v < 0) throw new Error(`venue "${venue}" is not part of this run (venues: ${this.venues.join(', ')})`);
    return v;
  }

  // ---------------------------------------------------------------- ledger

  private post(ts: UnixMs, v: number, account: AccountKind, type: LedgerType, symbol: string, amount: number, note = ''): void {
    this.stateVersion++;
    const balanceAfter = account === 'spot' ? this.spotCash[v]! : this.perpWallet(v);
    this.ledger.push({ seq: this.seq++, ts, venue: this.venues[v]!, account, type, symbol, amount, balanceAfter, note });
  }

  /** Put `amount` quote units into a venue's spot wallet (the initial capital). */
  deposit(ts: UnixMs, venue: VenueId, amount: number): void {
    if (!(amount > 0)) throw new Error(`deposit must be > 0 (got ${amount})`);
    const v = this.venueIndex(venue);
    this.spotCash[v]! += amount;
    this.initialDeposit += amount;
    this.post(ts, v, 'spot', 'deposit', '', amount, 'initial capital');
  }

  // ---------------------------------------------------------------- account views

  /** Perp wallet balance of venue `v`: free cash plus isolated margins. */
  perpWallet(v: number): number {
    let w = this.perpFree[v]!;
    if (this.marginMode[v] === 'isolated') {
      const ids = this.perpIdsOf[v]!;
      for (let k = 0; k < ids.length; k++) w += this.isoMargin[ids[k]!]!;
    }
    return w;
  }

  /** Unrealized PnL of perp `i` at the latest mark. */
  positionUpnl(i: number): number {
    const q = this.qty[i]!;
    return q === 0 ? 0 : unrealizedPnl(q, this.markPx[i]!, this.entry[i]!);
  }

  perpUnrealized(v: number): number {
    let u = 0;
    const ids = this.perpIdsOf[v]!;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      const q = this.qty[i]!;
      if (q !== 0) u += unrealizedPnl(q, this.markPx[i]!, this.entry[i]!);
    }
    return u;
  }

  positionMaintenance(i: number): number {
    const q = this.qty[i]!;
    return positionMaintenance(this.tables[i]!, q, this.markPx[i]!);
  }

  perpMaintenance(v: number): number {
    let m = 0;
    const ids = this.perpIdsOf[v]!;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      const q = this.qty[i]!;
      if (q !== 0) m += positionMaintenance(this.tables[i]!, q, this.markPx[i]!);
    }
    return m;
  }

  /** Margin balance (wallet + unrealized PnL) of venue `v`'s perp account. */
  perpEquity(v: number): number {
    return this.perpWallet(v) + this.perpUnrealized(v);
  }

  /** Spot wallet value of venue `v`: cash + holdings at the latest close. */
  spotEquity(v: number): number {
    let e = this.spotCash[v]!;
    const ids = this.spotIdsOf[v]!;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      const q = this.qty[i]!;
      if (q !== 0) e += q * this.lastPx[i]!;
    }
    return e;
  }

  /** Total equity, quote units. */
  equity(): number {
    let e = 0;
    for (let v = 0; v < this.venues.length; v++) e += this.spotEquity(v) + this.perpEquity(v);
    return e;
  }

  /**
   * Maintenance margin / margin balance (Binance's "margin ratio"; liquidation at ≥ 1). Isolated:
   * the worst position's ratio. 0 with no position.
   */
  marginRatio(v: number): number {
    if (this.marginMode[v] === 'cross') {
      if (this.openPerps[v] === 0) return 0;
      return marginRatio(this.perpMaintenance(v), this.perpFree[v]! + this.perpUnrealized(v));
    }
    let worst = 0;
    for (let i = 0; i < this.instruments.length; i++) {
      if (this.venueOf[i] !== v || !this.isPerp[i] || this.qty[i] === 0) continue;
      const mb = this.isoMargin[i]! + this.positionUpnl(i);
      const r = mb > 0 ? this.positionMaintenance(i) / mb : Infinity;
      if (r > worst) worst = r;
    }
    return worst;
  }

  /**
   * The margin ratio of venue `v`'s perp account if perp `i`'s mark were `mark`, all else held;
   * NaN unless `i` is the account's only open perp (then no other mark enters the ratio).
   */
  marginRatioAtMark(v: number, i: number, mark: number): number {
    const q = this.qty[i]!;
    if (q === 0 || this.openPerps[v] !== 1 || this.venueOf[i] !== v) return NaN;
    const mm = positionMaintenance(this.tables[i]!, q, mark);
    const backing = this.marginMode[v] === 'isolated' ? this.isoMargin[i]! : this.perpFree[v]!;
    return marginRatio(mm, backing + unrealizedPnl(q, mark, this.entry[i]!));
  }

  /**
   * For a short perp `i`: a mark below which venue `v`'s margin ratio stays below `ratio`, all else
   * held. A short's ratio only grows with the mark (maintenance grows with notional through the
   * tiers, the margin balance falls), so the level where it reaches `ratio` is solved tier by tier
   * (both are linear in the mark within a tier), checked on the exact ratio, and moved 1e-9
   * (relative) down so rounding cannot put a mark on the wrong side; bisection if the solution does
   * not check out. NaN for a long (its ratio is not monotone in the mark: an over-collateralized
   * long's ratio rises with the price), when `i` is not the account's only open perp, when the
   * ratio is already reached, or without a mark.
   */
  markAtMarginRatio(v: number, i: number, ratio: number): number {
    const mark = this.markPx[i]!;
    if (!(this.qty[i]! < 0) || !(mark > 0) || !(ratio > 0) || !(this.marginRatioAtMark(v, i, mark) < ratio)) return NaN;
    const safe = this.shortMarginRatioMark(v, i, ratio) * (1 - 1e-9);
    if (safe > mark && Number.isFinite(safe) && this.marginRatioAtMark(v, i, safe) < ratio) return safe;
    return this.bisectMarginRatioMark(v, i, ratio);
  }

  /**
   * The mark where a short's ratio equals `ratio`: mm(a m) = ratio × (backing − a (m − entry)) with
   * a = |qty|, solved in each tier from the current one up; the first solution inside its tier.
   */
  private shortMarginRatioMark(v: number, i: number, ratio: number): number {
    const table = this.tables[i]!;
    const { floors, rates, deductions } = table;
    const a = -this.qty[i]!;
    const backing = this.marginMode[v] === 'isolated' ? this.isoMargin[i]! : this.perpFree[v]!;
    const e = this.entry[i]!;
    for (let k = tierIndex(table, a * this.markPx[i]!); k < floors.length; k++) {
      const m = (ratio * (backing + a * e) + deductions[k]!) / (a * (rates[k]! + ratio));
      const n = a * m;
      if (n > floors[k]! && (k + 1 === floors.length || n <= floors[k + 1]!)) return m;
    }
    return NaN;
  }

  /** {@link markAtMarginRatio} by bisection on the exact ratio. */
  private bisectMarginRatioMark(v: number, i: number, ratio: number): number {
    const reached = (m: number): boolean => !(this.marginRatioAtMark(v, i, m) < ratio);
    let lo = this.markPx[i]!;
    let hi = lo * 2;
    for (let k = 0; k < 64 && !reached(hi); k++) {
      lo = hi;
      hi *= 2;
    }
    if (!reached(hi)) return Infinity;
    for (let k = 0; k < 100 && hi - lo > 1e-12 * lo; k++) {
      const mid = (lo + hi) / 2;
      if (reached(mid)) hi = mid;
      else lo = mid;
    }
    return lo * (1 - 1e-9);
  }

  /**
   * Whether {@link accrueInterest} would book nothing, however many hours pass, while balances and
   * positions stay as they are: no quote balance on the side of a positive rate and no borrowed
   * base with a positive borrow rate (quoteInterest and baseBorrowInterest are then exactly 0).
   */
  interestIdle(): boolean {
    const p = this.interest.params;
    for (let v = 0; v < this.venues.length; v++) {
      const cash = this.spotCash[v]!;
      if ((cash < 0 && p.borrowApr > 0) || (cash > 0 && p.lendApr > 0)) return false;
    }
    if (!(p.borrowApr > 0)) return true;
    for (let i = 0; i < this.qty.length; i++) if (this.isPerp[i] === 0 && this.qty[i]! < 0) return false;
    return true;
  }

  /** Start of the next UTC hour at which {@link accrueInterest} books interest, ms (NaN before the first call). */
  nextInterestAtMs(): UnixMs {
    return (this.lastInterestHour + 1) * MS_PER_HOUR;
  }

  /**
   * Whether perp `i`'s liquidation price depends on nothing that moves with the market: isolated,
   * or the only open perp of a cross account (else the other positions' marks enter it).
   */
  liquidationPriceFixed(i: number): boolean {
    const v = this.venueOf[i]!;
    return this.marginMode[v] === 'isolated' || this.openPerps[v]! <= 1;
  }

  /** Estimated liquidation price of perp `i` (NaN if flat; 0 if it cannot be liquidated). */
  liquidationPrice(i: number): number {
    const q = this.qty[i]!;
    if (q === 0 || !this.isPerp[i]) return NaN;
    const v = this.venueOf[i]!;
    const cacheable = this.liquidationPriceFixed(i);
    if (cacheable && this.liqCacheVer[i] === this.version) return this.liqCache[i]!;
    let backing: number;
    if (this.marginMode[v] === 'isolated') backing = this.isoMargin[i]!;
    else {
      backing = this.perpFree[v]!;
      for (let j = 0; j < this.instruments.length; j++) {
        if (j !== i && this.venueOf[j] === v && this.isPerp[j] && this.qty[j] !== 0) backing += this.positionUpnl(j) - this.positionMaintenance(j);
      }
    }
    const lp = liquidationPrice(this.tables[i]!, q, this.entry[i]!, backing);
    if (cacheable) {
      this.liqCache[i] = lp;
      this.liqCacheVer[i] = this.version;
    }
    return lp;
  }

  /** Value of every open position now: perps their unrealized PnL, spot holdings at the close. */
  private inventoryValue(): number {
    let inventory = 0;
    for (let i = 0; i < this.instruments.length; i++) {
      const q = this.qty[i]!;
      if (q === 0) continue;
      inventory += this.isPerp[i] ? unrealizedPnl(q, this.markPx[i]!, this.entry[i]!) : q * this.lastPx[i]!;
    }
    return inventory;
  }

  /** PnL attribution so far (quote units; costs negative). */
  pnl(): PnlBreakdown {
    const trading = tradingPnl(this.cumRealized, this.inventoryValue());
    const funding = this.cumFunding;
    const fees = costAsPnl(this.cumFees);
    const slippage = costAsPnl(this.cumSlippage);
    const interest = this.cumInterest;
    const liquidation = costAsPnl(this.cumLiqFee);
    const adl = costAsPnl(this.cumAdl);
    return { funding, trading, fees, slippage, interest, liquidation, adl, total: funding + trading + fees + slippage + interest + liquidation + adl };
  }

  /** Cumulative attribution parts without allocating (for equity sampling). */
  cumulative(out: Float64Array): void {
    out[0] = this.cumFunding;
    out[1] = tradingPnl(this.cumRealized, this.inventoryValue());
    out[2] = costAsPnl(this.cumFees);
    out[3] = costAsPnl(this.cumSlippage);
    out[4] = this.cumInterest;
    out[5] = costAsPnl(this.cumLiqFee);
    out[6] = costAsPnl(this.cumAdl);
  }

  // ---------------------------------------------------------------- configuration

  /** Set a venue's perp margin mode; only while that account holds no position. */
  setMarginMode(venue: VenueId, mode: MarginMode): void {
    const v = this.venueIndex(venue);
    if (this.marginMode[v] === mode) return;
    if (this.openPerps[v]! > 0) throw new Error(`cannot change ${venue} margin mode to ${mode} with open perp positions`);
    this.marginMode[v] = mode;
    this.version++;
    this.stateVersion++;
  }

  /** Set the leverage of perp `i` (> 0). */
  setLeverage(i: number, leverage: number): void {
    if (!this.isPerp[i]) throw new Error(`setLeverage: ${this.instruments[i]!.symbol} is not a perp`);
    if (!(leverage > 0 && Number.isFinite(leverage))) throw new Error(`setLeverage: leverage must be a positive number (got ${leverage})`);
    this.leverage[i] = leverage;
  }

  // ---------------------------------------------------------------- cash movements

  /**
   * Move quote collateral between accounts. Amounts above what can leave the source (spot cash;
   * perp: margin balance minus initial margin; isolated: free cash) are clamped; returns the amount
   * moved. `isolatedTarget` (perp instrument id) puts the amount into that position's isolated margin.
   */
  transfer(ts: UnixMs, fromVenue: VenueId, fromAccount: AccountKind, toVenue: VenueId, toAccount: AccountKind, amount: number, isolatedTarget = -1): number {
    if (!(amount > 0) || !Number.isFinite(amount)) throw new Error(`transfer amount must be a positive number (got ${amount})`);
    const fv = this.venueIndex(fromVenue);
    const tv = this.venueIndex(toVenue);
    if (fv === tv && fromAccount === toAccount && isolatedTarget < 0) return 0;
    const available = this.withdrawable(fv, fromAccount);
    const amt = Math.min(amount, Math.max(0, available));
    if (amt <= 0) return 0;
    if (fromAccount === 'spot') this.spotCash[fv]! -= amt;
    else this.perpFree[fv]! -= amt;
    this.post(ts, fv, fromAccount, 'transfer_out', '', -amt, `to ${toVenue} ${toAccount}`);
    if (toAccount === 'spot') this.spotCash[tv]! += amt;
    else if (isolatedTarget >= 0 && this.marginMode[tv] === 'isolated') {
      if (this.venueOf[isolatedTarget] !== tv || !this.isPerp[isolatedTarget]) throw new Error('transfer: isolated target is not a perp on the destination venue');
      this.isoMargin[isolatedTarget]! += amt;
    } else this.perpFree[tv]! += amt;
    this.post(ts, tv, toAccount, 'transfer_in', isolatedTarget >= 0 ? this.instruments[isolatedTarget]!.symbol : '', amt, `from ${fromVenue} ${fromAccount}`);
    if (fromAccount === 'perp' || toAccount === 'perp') this.version++;
    return amt;
  }

  /** Quote cash that can leave an account now. */
  withdrawable(v: number, account: AccountKind): number {
    if (account === 'spot') return this.allowSpotBorrow ? Infinity : this.spotCash[v]!;
    if (this.marginMode[v] === 'isolated') return this.perpFree[v]!;
    let im = 0;
    let upnlLoss = 0;
    for (let i = 0; i < this.instruments.length; i++) {
      if (this.venueOf[i] !== v || !this.isPerp[i] || this.qty[i] === 0) continue;
      im += (Math.abs(this.qty[i]!) * this.markPx[i]!) / this.leverage[i]!;
      const u = this.positionUpnl(i);
      if (u < 0) upnlLoss += u;
    }
    // Binance: max withdrawable = wallet + min(0, uPnL) − initial margin.
    return this.perpFree[v]! + upnlLoss - im;
  }

  // ---------------------------------------------------------------- trading

  /** Why a spot fill of `qty` at `quote` would be refused now (null: it would book). Books nothing. */
  spotRefusal(i: number, side: 'buy' | 'sell', qty: number, quote: FillQuote): RejectReason | null {
    if (this.allowSpotBorrow) return null;
    const v = this.venueOf[i]!;
    if (side === 'buy' && qty * quote.refPrice + quote.fee + quote.slippage > this.spotCash[v]! * (1 + EPS) + EPS) return 'insufficient-cash';
    if (side === 'sell' && qty > this.qty[i]! * (1 + EPS) + EPS) return 'insufficient-holdings';
    return null;
  }

  /**
   * Book a spot fill of `qty` (> 0) at `quote.refPrice`, fee and slippage charged separately.
   * Returns null when booked, or why it was refused (no borrowing unless allowed).
   */
  spotTrade(ts: UnixMs, i: number, side: 'buy' | 'sell', qty: number, quote: FillQuote, tag: string): RejectReason | null {
    const v = this.venueOf[i]!;
    const ins = this.instruments[i]!;
    const refused = this.spotRefusal(i, side, qty, quote);
    if (refused) return refused;
    const signed = side === 'buy' ? qty : -qty;
    this.stateVersion++;
    this.qty[i]! += signed;
    if (Math.abs(this.qty[i]!) < EPS * Math.max(1, qty)) this.qty[i] = 0;
    this.spotCash[v]! -= signed * quote.refPrice;
    this.cumRealized -= signed * quote.refPrice;
    this.post(ts, v, 'spot', 'trade_cash', ins.symbol, -signed * quote.refPrice, `${side} ${qty}${tag ? ` [${tag}]` : ''}`);
    this.chargeCosts(ts, v, 'spot', ins.symbol, quote, tag);
    this.record(ts, ins, side, qty, quote, tag, 0, 'order');
    return null;
  }

  /**
   * Why a perp fill of `qty` at `quote` would be refused now (null: it would book). Increases must
   * pass the initial margin check (cross: margin balance after costs ≥ Σ notional / leverage;
   * isolated: free cash ≥ added margin + costs). Books nothing.
   */
  perpRefusal(i: number, side: 'buy' | 'sell', qty: number, quote: FillQuote, reduceOnly = false): RejectReason | null {
    const v = this.venueOf[i]!;
    const p = quote.refPrice;
    const q0 = this.qty[i]!;
    let dq = side === 'buy' ? qty : -qty;
    if (reduceOnly) {
      if (q0 === 0 || Math.sign(dq) === Math.sign(q0)) return 'reduce-only';
      if (Math.abs(dq) > Math.abs(q0)) dq = -q0;
    }
    const closing = q0 !== 0 && Math.sign(dq) !== Math.sign(q0) ? Math.min(Math.abs(dq), Math.abs(q0)) : 0;
    const opening = Math.abs(dq) - closing;
    if (opening <= 0) return null;
    const costs = quote.fee + quote.slippage;
    if (this.marginMode[v] === 'isolated') {
      return (opening * p) / this.leverage[i]! + costs > this.perpFree[v]! * (1 + EPS) + EPS ? 'insufficient-margin' : null;
    }
    // Initial margin after the trade, positions marked at the latest mark (this one at p).
    let im = 0;
    for (let j = 0; j < this.instruments.length; j++) {
      if (this.venueOf[j] !== v || !this.isPerp[j]) continue;
      const qj = j === i ? q0 + dq : this.qty[j]!;
      if (qj !== 0) im += (Math.abs(qj) * (j === i ? p : this.markPx[j]!)) / this.leverage[j]!;
    }
    const mbAfter = this.perpEquity(v) - costs;
    return im > mbAfter * (1 + EPS) + EPS ? 'insufficient-margin' : null;
  }

  /**
   * Book a perp fill of `qty` (> 0). Increases must pass the initial margin check (cross: margin
   * balance after costs ≥ Σ notional / leverage; isolated: free cash ≥ added margin + costs).
   * `kind`: what made the fill, carried to the trade record (an ADL close books through here).
   */
  perpTrade(ts: UnixMs, i: number, side: 'buy' | 'sell', qty: number, quote: FillQuote, tag: string, reduceOnly = false, kind: FillKind = 'order'): RejectReason | null {
    const v = this.venueOf[i]!;
    const ins = this.instruments[i]!;
    const p = quote.refPrice;
    const q0 = this.qty[i]!;
    const refused = this.perpRefusal(i, side, qty, quote, reduceOnly);
    if (refused) return refused;
    let dq = side === 'buy' ? qty : -qty;
    if (reduceOnly && Math.abs(dq) > Math.abs(q0)) dq = -q0;
    const closing = q0 !== 0 && Math.sign(dq) !== Math.sign(q0) ? Math.min(Math.abs(dq), Math.abs(q0)) : 0;
    const opening = Math.abs(dq) - closing;
    const isolated = this.marginMode[v] === 'isolated';
    const lev = this.leverage[i]!;
    const sign0 = Math.sign(q0);
    this.stateVersion++;
    let realized = 0;
    if (closing > 0) {
      realized = closing * (p - this.entry[i]!) * sign0;
      if (isolated) {
        const release = (this.isoMargin[i]! * closing) / Math.abs(q0);
        this.isoMargin[i]! -= release;
        this.perpFree[v]! += release;
      }
    }
    const q1 = q0 + dq;
    if (opening > 0) {
      // Opening part: either adding to the same side or the remainder after a flip.
      const base = closing > 0 ? 0 : Math.abs(q0);
      this.entry[i] = (base * (closing > 0 ? 0 : this.entry[i]!) + opening * p) / (base + opening);
      if (isolated) {
        const add = (opening * p) / lev;
        this.perpFree[v]! -= add;
        this.isoMargin[i]! += add;
      }
    }
    this.qty[i] = Math.abs(q1) < EPS * Math.max(1, qty) ? 0 : q1;
    if (this.qty[i] === 0) {
      this.entry[i] = 0;
      if (isolated && this.isoMargin[i] !== 0) {
        this.perpFree[v]! += this.isoMargin[i]!;
        this.isoMargin[i] = 0;
      }
    }
    this.openPerpsRecount(v);
    if (realized !== 0) {
      this.perpFree[v]! += realized;
      this.cumRealized += realized;
      this.post(ts, v, 'perp', 'realized_pnl', ins.symbol, realized, `${side} ${qty} closes ${closing}${tag ? ` [${tag}]` : ''}`);
    }
    this.chargeCosts(ts, v, 'perp', ins.symbol, quote, tag);
    this.record(ts, ins, side, Math.abs(dq), quote, tag, realized, kind);
    this.version++;
    return null;
  }

  private openPerpsRecount(v: number): void {
    let n = 0;
    for (let i = 0; i < this.instruments.length; i++) if (this.venueOf[i] === v && this.isPerp[i] && this.qty[i] !== 0) n++;
    this.openPerps[v] = n;
  }

  /** Fee and slippage of a fill as their own ledger flows, noted with the order's tag. */
  private chargeCosts(ts: UnixMs, v: number, account: AccountKind, symbol: string, quote: FillQuote, tag: string): void {
    if (quote.fee !== 0) {
      if (account === 'spot') this.spotCash[v]! -= quote.fee;
      else this.perpFree[v]! -= quote.fee;
      this.cumFees += quote.fee;
      this.post(ts, v, account, 'fee', symbol, -quote.fee, tag);
    }
    if (quote.slippage !== 0) {
      if (account === 'spot') this.spotCash[v]! -= quote.slippage;
      else this.perpFree[v]! -= quote.slippage;
      this.cumSlippage += quote.slippage;
      this.post(ts, v, account, 'slippage', symbol, -quote.slippage, tag);
    }
  }

  private record(ts: UnixMs, ins: Instrument, side: 'buy' | 'sell', qty: number, quote: FillQuote, tag: string, realizedPnl: number, kind: FillKind): void {
    this.tradedNotional += qty * quote.price;
    this.trades.push({
      ts, venue: ins.venue, symbol: ins.symbol, side, qty, price: quote.price, fee: quote.fee, slippage: quote.slippage, liquidity: quote.liquidity ?? 'taker', tag,
      refPrice: quote.refPrice, realizedPnl, kind, ledgerSeq: this.seq,
    });
  }

  // ---------------------------------------------------------------- funding, liquidation, interest

  /**
   * Settle funding on perp `i` at `ts`: amount = −qty × markPrice × rate into the perp account
   * (isolated: into the position's margin). Returns the amount (0 and no record when flat).
   */
  applyFunding(ts: UnixMs, i: number, rate: number, intervalHours: number, markPrice: number): number {
    const q = this.qty[i]!;
    if (q === 0) return 0;
    const v = this.venueOf[i]!;
    const ins = this.instruments[i]!;
    const amount = fundingPayment({ signedQty: q, markPrice, rate });
    if (this.marginMode[v] === 'isolated') this.isoMargin[i]! += amount;
    else this.perpFree[v]! += amount;
    this.cumFunding += amount;
    this.post(ts, v, 'perp', 'funding', ins.symbol, amount, `rate ${rate} × ${intervalHours}h`);
    this.fundings.push({ ts, venue: ins.venue, symbol: ins.symbol, qty: q, markPrice, rate, intervalHours, amount });
    this.version++;
    return amount;
  }

  /**
   * Check perp `i` against a mark bar's extremes: a short is liquidated if `high` reaches its
   * liquidation price, a long if `low` does. Closes at the liquidation price, charges the fee
   * (capped at the margin left), records it. Returns true if liquidated.
   */
  checkLiquidation(ts: UnixMs, i: number, high: number, low: number): boolean {
    const q = this.qty[i]!;
    if (q === 0) return false;
    const lp = this.liquidationPrice(i);
    // How close this bar's adverse extreme came to the liquidation price (the same test, as a
    // distance): the run's minLiquidationDistance. NaN comparisons leave it unchanged.
    const dist = q < 0 ? (lp - high) / high : (low - lp) / low;
    if (dist < this.minAdverseLiqDistance) this.minAdverseLiqDistance = dist;
    if (isLiquidationTriggered({ signedQty: q, liquidationPrice: lp, markHigh: high, markLow: low })) {
      this.liquidate(ts, i, lp, q < 0 ? high : low);
      return true;
    }
    return false;
  }

  /** Close perp `i` at `price` as a liquidation. */
  liquidate(ts: UnixMs, i: number, price: number, markExtreme: number): void {
    const q = this.qty[i]!;
    const v = this.venueOf[i]!;
    const ins = this.instruments[i]!;
    // Equity at the instant of the liquidation: the position valued at the liquidation price, not
    // at the bar's close (a close far through the liquidation price gave a negative "before").
    const equityBefore = this.equity() + q * (price - this.markPx[i]!);
    this.stateVersion++;
    const realized = q * (price - this.entry[i]!);
    const isolated = this.marginMode[v] === 'isolated';
    // Margin left after the close, the most the venue can take as a fee.
    let left: number;
    if (isolated) left = this.isoMargin[i]! + realized;
    else {
      left = this.perpFree[v]! + realized;
      for (let j = 0; j < this.instruments.length; j++) if (j !== i && this.venueOf[j] === v && this.isPerp[j]) left += this.positionUpnl(j);
    }
    const fee = liquidationFee({ feeRate: this.margin.liquidationFeeRate(ins.venue), signedQty: q, price, marginLeft: left });
    if (isolated) {
      this.perpFree[v]! += this.isoMargin[i]!;
      this.isoMargin[i] = 0;
    }
    this.qty[i] = 0;
    this.entry[i] = 0;
    this.openPerpsRecount(v);
    this.perpFree[v]! += realized;
    this.cumRealized += realized;
    this.post(ts, v, 'perp', 'liquidation_pnl', ins.symbol, realized, `liquidated ${q} at ${price}`);
    this.perpFree[v]! -= fee;
    this.cumLiqFee += fee;
    this.post(ts, v, 'perp', 'liquidation_fee', ins.symbol, -fee);
    const side = q > 0 ? 'sell' : 'buy';
    this.tradedNotional += Math.abs(q) * price;
    this.trades.push({
      ts, venue: ins.venue, symbol: ins.symbol, side, qty: Math.abs(q), price, fee, slippage: 0, liquidity: 'taker', tag: 'liquidation',
      refPrice: price, realizedPnl: realized, kind: 'liquidation', ledgerSeq: this.seq,
    });
    this.version++;
    this.liquidations.push({ ts, venue: ins.venue, symbol: ins.symbol, qty: q, price, markPrice: markExtreme, fee, equityBefore, equityAfter: this.equity() });
  }

  /**
   * Auto-deleverage `closeQty` (> 0, at most the position) of perp `i` at `price`, with the mark
   * at `mark`: booked as a reduce-only close at the mark (its realized PnL is trading PnL) plus an
   * `adl` ledger flow of −|closeQty| × |price − mark| (the price concession, ≥ 0 as a cost; an
   * entry of 0 when ADL closes at the mark, so every ADL close has its ledger row). No fee.
   */
  adlClose(ts: UnixMs, i: number, closeQty: number, price: number, mark: number, info: Pick<AdlRecord, 'share' | 'score' | 'light' | 'cause'>): AdlRecord | null {
    const q0 = this.qty[i]!;
    if (q0 === 0 || !(closeQty > 0) || !(mark > 0) || !(price > 0)) return null;
    const qty = Math.min(closeQty, Math.abs(q0));
    const side = q0 > 0 ? 'sell' : 'buy';
    const quote: FillQuote = { refPrice: mark, price, fee: 0, slippage: 0 };
    if (this.perpTrade(ts, i, side, qty, quote, 'adl', true, 'adl') !== null) return null;
    const v = this.venueOf[i]!;
    const ins = this.instruments[i]!;
    const cost = qty * Math.abs(price - mark);
    this.perpFree[v]! -= cost;
    this.cumAdl += cost;
    this.post(ts, v, 'perp', 'adl', ins.symbol, 0 - cost, `ADL ${side} ${qty} at ${price} (mark ${mark}, ${info.cause})`);
    const rec: AdlRecord = { ts, venue: ins.venue, symbol: ins.symbol, qty: Math.sign(q0) * qty, price, markPrice: mark, cost, ...info };
    this.adl.push(rec);
    this.version++;
    return rec;
  }

  /**
   * Charge or pay interest for every whole UTC hour boundary passed since the last call, on the
   * balances held now (borrowed quote and base pay `borrowApr`, positive quote earns `lendApr`).
   * The engine calls it at each instant before any hook or order can change a balance, so the
   * balances held now are the ones held over those hours (interest in arrears).
   */
  accrueInterest(ts: UnixMs): void {
    const hour = Math.floor(ts / MS_PER_HOUR);
    if (Number.isNaN(this.lastInterestHour)) {
      this.lastInterestHour = hour;
      return;
    }
    if (hour <= this.lastInterestHour) return;
    const hours = hour - this.lastInterestHour;
    this.lastInterestHour = hour;
    const p = this.interest.params;
    const at = hour * MS_PER_HOUR;
    for (let v = 0; v < this.venues.length; v++) {
      // Balances first, then bookings: the base loans are valued on the cash held over the hours.
      const cash = quoteInterest(p, this.spotCash[v]!, hours);
      const spotIds = this.spotIdsOf[v]!;
      for (let k = 0; k < spotIds.length; k++) {
        const i = spotIds[k]!;
        if (this.qty[i]! < 0) this.bookInterest(at, v, this.instruments[i]!.symbol, baseBorrowInterest(p, this.qty[i]!, this.lastPx[i]!, hours), hours);
      }
      this.bookInterest(at, v, '', cash, hours);
    }
  }

  /**
   * One interest flow into venue `v`'s spot wallet: a base loan's under its spot symbol (the leg
   * that owes it), the quote balance's under '' (an account-level flow).
   */
  private bookInterest(at: UnixMs, v: number, symbol: string, amount: number, hours: number): void {
    if (amount === 0 || !Number.isFinite(amount)) return;
    this.spotCash[v]! += amount;
    this.cumInterest += amount;
    this.post(at, v, 'spot', 'interest', symbol, amount, `${hours}h`);
  }
}
