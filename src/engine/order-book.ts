/**
 * The order book of a run: orders wait here until they can fill, are priced by the fill models
 * and booked by the portfolio.
 *
 * - A market order (and a limit order on its way to the book) waits for its instrument's reference
 *   price: the open of the first bar opening at or after the order (`next-open`), or the latest
 *   close (`close`). A market order fills there plus slippage, taker fee.
 * - A limit order reaching the book at that reference either crosses it (buy ≥ reference, sell ≤):
 *   a post-only order is refused (`post-only-would-cross`), a plain one fills at once like a market
 *   order (taker); or it RESTS: each later bar of its instrument (opening at or after the order
 *   reached the book) is shown to the limit-fill model (src/venue/limit-fill.ts) when it closes;
 *   a bar that trades through the price fills the whole order at the limit price, maker fee, no
 *   slippage. Good-till orders expire at the first instant at or after their time; at the end of
 *   the window every resting order expires.
 * - A hedge is two orders: the first leg (the long one, or the maker leg) fills first and the
 *   second copies its filled qty. Atomic hedges (default) check both legs before the first is
 *   booked and refuse both if either would be refused; a second leg refused after the first
 *   filled unwinds the first (a market order tagged `hedge-unwind`) and is reported as broken.
 */
import type { UnixMs } from '../core/time.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import { quoteFill, type FillAt, type FillQuote } from '../venue/fill.js';
import type { FeeInput, FeeModel } from '../venue/fee.js';
import type { BarOHLCV, SlippageInput, SlippageModel } from '../venue/slippage.js';
import { limitCrosses, type LimitFillInput, type LimitFillModel } from '../venue/limit-fill.js';
import type { Portfolio } from '../portfolio/portfolio.js';
import type { PriceStore } from '../portfolio/prices.js';
import type { HedgeRequest, OrderInfo, OrderRequest, OrdersView, RejectReason, TimeInForce } from '../strategy/types.js';
import type { HedgeBrokenFields } from './events.js';
import { barValue, type BarColumn, type BarSeries } from './data.js';
import type { MarketCursor } from './market-view.js';

type Side = 'buy' | 'sell';

/** Tag of the market order that closes the filled leg of a broken atomic hedge. */
export const HEDGE_UNWIND_TAG = 'hedge-unwind';

/** An order that has not filled yet. */
export interface PendingOrder {
  readonly id: number;
  readonly inst: number;
  readonly side: Side;
  readonly type: 'market' | 'limit';
  /** Base qty, or NaN when sized by notional at fill time (a hedge's second leg: until its first leg fills). */
  qty: number;
  readonly notional: number;
  /** Limit price (NaN for market orders). */
  readonly price: number;
  readonly postOnly: boolean;
  /** Good-till time of a limit order (Infinity: good till cancelled). */
  readonly goodTillMs: number;
  readonly tag: string;
  readonly reduceOnly: boolean;
  readonly placedTs: UnixMs;
  /** A limit order resting on the book: when it got there (bars opening at or after count). NaN before. */
  restingSince: number;
  /** Last bar row of its instrument shown to the limit-fill model. */
  checkedRow: number;
  /** The hedge this order is a leg of (null: a lone order). */
  readonly hedge: HedgeLink | null;
  /** A hedge's second leg waits for the first to fill. */
  waitsForPair: boolean;
}

/** The two legs of a hedge. */
interface HedgeLink {
  first: PendingOrder;
  second: PendingOrder;
  readonly longId: number;
  readonly shortId: number;
  readonly atomic: boolean;
  readonly tag: string;
  /** Base qty the first leg filled (NaN before). */
  firstFilledQty: number;
}

/** What the book needs from the run. */
export interface OrderBookDeps {
  instruments: readonly Instrument[];
  bars: readonly BarSeries[];
  /** Bar duration, ms (a bar opening at `t` closes at `t + timeframeMs`). */
  timeframeMs: number;
  cursor: MarketCursor;
  prices: PriceStore;
  portfolio: Portfolio;
  clock: { readonly now: UnixMs };
  fillAt: FillAt;
  fees: FeeModel;
  slippage: SlippageModel;
  /** How a venue takes orders at `now`: open, down and refusing, or down and queueing (scenario outages). */
  venueGate(venue: VenueId, now: UnixMs): 'open' | 'refuse' | 'queue';
  limitFill: LimitFillModel;
  /** An order was refused or expired: log it (before its hedge partner is refused). */
  logRejected(o: PendingOrder, reason: RejectReason): void;
  /** An order was refused or expired: tell the strategy (after its hedge partner). */
  onRejected(o: PendingOrder, reason: RejectReason): void;
  /** An order filled `qty` at `quote` (tell the strategy). */
  onFilled(o: PendingOrder, qty: number, quote: FillQuote): void;
  /** A hedge broke (its second leg refused after the first filled); the unwind, if any, is placed. */
  onHedgeBroken(fields: HedgeBrokenFields): void;
}

/** Counts for the run summary. */
export interface OrderStats {
  /** Orders refused (each leg of a refused hedge counts), by reason; `expired` is not a refusal. */
  rejected: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  /** Limit orders that expired (good-till time passed, or still resting at the window end). */
  expired: number;
  /** Atomic hedges refused whole by the check of both legs (nothing filled). */
  hedgesRefused: number;
  /** Hedges whose second leg was refused after the first filled. */
  hedgesBroken: number;
  /** Of those, how many were unwound (atomic) — the rest were kept (`atomic: false`). */
  hedgesUnwound: number;
  /** Fills that added liquidity (resting limit orders). */
  makerFills: number;
  cancelled: number;
}

/** Tag of the trades that close the book at the end of the window. */
export const CLOSE_AT_END_TAG = 'close-at-end';

/** How the book was left at the end of the window. */
export interface EndOfRun {
  /** `close`: open positions were closed at their last close with costs; `mark-to-market`: left open, valued at the last prices. */
  mode: 'close' | 'mark-to-market';
  /** Positions closed (trades tagged `close-at-end`). */
  closed: number;
  /** Fees and slippage those closing trades cost, quote units (≥ 0). */
  fees: number;
  slippage: number;
  /** Positions that could not be closed (no price): left marked to market. */
  failed: number;
}

/** Orders placed in one instant beyond this are a runaway loop (e.g. an order per fill). */
const MAX_ORDERS_PER_INSTANT = 100_000;

/** The run's order book. */
/**
 * The last closed bar a slippage model sees ({@link SlippageInput.bar}): a cursor over (series,
 * row) whose prices are read when the model asks ({@link barValue}: one value, not the column of a
 * loaded series), so an order does not make the run read every column of its instrument from
 * disk. NaN before the first bar. Reused: one order at a time.
 */
class BarRow implements BarOHLCV {
  #series: BarSeries | null = null;
  #row = -1;
  point(series: BarSeries, row: number): void {
    this.#series = series;
    this.#row = row;
  }
  #at(column: BarColumn): number {
    return this.#series === null || this.#row < 0 ? NaN : barValue(this.#series, column, this.#row);
  }
  get open(): number {
    return this.#at('open');
  }
  get high(): number {
    return this.#at('high');
  }
  get low(): number {
    return this.#at('low');
  }
  get close(): number {
    return this.#at('close');
  }
  get volume(): number {
    return this.#at('volume');
  }
}

export class OrderBook {
  readonly #d: OrderBookDeps;
  /** Orders waiting for a reference price (market orders, limit orders on their way, second legs). */
  readonly #pending: PendingOrder[] = [];
  /** Limit orders resting on the book. */
  readonly #resting: PendingOrder[] = [];
  readonly #quote: FillQuote = { refPrice: 0, price: 0, fee: 0, slippage: 0, liquidity: 'taker' };
  readonly #quote2: FillQuote = { refPrice: 0, price: 0, fee: 0, slippage: 0, liquidity: 'taker' };
  readonly #limitInput: LimitFillInput = { side: 'buy', limitPrice: 0, barHigh: 0, barLow: 0 };
  /** Reused model inputs: one order at a time. */
  readonly #order: SlippageInput;
  readonly #orderBar = new BarRow();
  readonly #feeInput: FeeInput;
  #nextId = 1;
  /** Bumped on every change of the open orders (the `ctx.orders` snapshot is cached by it). */
  #version = 0;
  readonly stats: OrderStats = { rejected: 0, rejectedByReason: {}, expired: 0, hedgesRefused: 0, hedgesBroken: 0, hedgesUnwound: 0, makerFills: 0, cancelled: 0 };
  /** The strategy's read-only view of the open orders. */
  readonly view: OrdersView;

  constructor(deps: OrderBookDeps) {
    this.#d = deps;
    this.view = createOrdersView(this);
    this.#order = { instrument: deps.instruments[0]!, side: 'buy', qty: 0, refPrice: 0, bar: this.#orderBar, ts: 0 };
    this.#feeInput = { instrument: deps.instruments[0]!, side: 'buy', qty: 0, price: 0, liquidity: 'maker', ts: 0 };
  }

  /** Orders waiting for a reference price (the engine's step "process orders" runs when > 0). */
  get size(): number {
    return this.#pending.length;
  }

  /** Limit orders resting on the book (the engine's step "fill resting orders" runs when > 0). */
  get restingCount(): number {
    return this.#resting.length;
  }

  /** Orders refused so far. */
  get rejected(): number {
    return this.stats.rejected;
  }

  get version(): number {
    return this.#version;
  }

  /** Dense id of an instrument of this run, or an error naming the call. */
  checkInstrument(ins: Instrument | undefined, what: string): number {
    if (!ins || this.#d.instruments[ins.id] !== ins) throw new Error(`${what}: not an instrument of this run (use ctx.market.instrument(venue, symbol))`);
    return ins.id;
  }

  /** Queue an order after checking the request; returns its id. */
  submit(req: OrderRequest): number {
    return this.#add(req, null, false).id;
  }

  /** Queue a hedge (see the module comment); returns [long id, short id]. */
  hedge(req: HedgeRequest): [number, number] {
    const li = this.checkInstrument(req.long, 'hedge.long');
    const si = this.checkInstrument(req.short, 'hedge.short');
    if (li === si) throw new Error('hedge: long and short legs must be different instruments');
    const tag = req.tag ?? 'hedge';
    const atomic = req.atomic ?? true;
    if (typeof atomic !== 'boolean') throw new Error(`hedge: atomic must be true or false (got ${String(atomic)})`);
    const size = { qty: req.qty, notional: req.notional };
    const makerLeg = req.maker ? checkMaker(req.maker) : null;
    const longFirst = makerLeg !== 'short';
    const longId = this.#nextId + (longFirst ? 0 : 1);
    const shortId = this.#nextId + (longFirst ? 1 : 0);
    const link: HedgeLink = { first: null as unknown as PendingOrder, second: null as unknown as PendingOrder, longId, shortId, atomic, tag, firstFilledQty: NaN };
    const firstIns = longFirst ? req.long : req.short;
    const secondIns = longFirst ? req.short : req.long;
    const firstSide: Side = longFirst ? 'buy' : 'sell';
    let firstReq: OrderRequest = { instrument: firstIns, side: firstSide, ...size, tag };
    if (req.maker) {
      const close = this.#d.prices.close[firstIns.id]!;
      if (!(close > 0)) throw new Error(`hedge.maker: no price yet for ${firstIns.symbol} (a maker leg is priced off the latest close: place it after the first bar)`);
      const off = req.maker.offsetBps / 1e4;
      firstReq = { ...firstReq, type: 'limit', postOnly: true, price: firstSide === 'buy' ? close * (1 - off) : close * (1 + off), timeInForce: req.maker.timeInForce ?? 'gtc' };
    }
    link.first = this.#add(firstReq, link, false);
    link.second = this.#add({ instrument: secondIns, side: longFirst ? 'sell' : 'buy', qty: 1, tag }, link, true);
    link.second.qty = NaN;
    return [longId, shortId];
  }

  #add(req: OrderRequest, hedge: HedgeLink | null, waitsForPair: boolean): PendingOrder {
    const i = this.checkInstrument(req.instrument, 'order');
    if (req.side !== 'buy' && req.side !== 'sell') throw new Error(`order: side must be 'buy' or 'sell' (got ${String(req.side)})`);
    const hasQty = req.qty !== undefined;
    const hasNotional = req.notional !== undefined;
    if (hasQty === hasNotional) throw new Error('order: give exactly one of qty or notional');
    const size = hasQty ? req.qty! : req.notional!;
    if (!(size > 0) || !Number.isFinite(size)) throw new Error(`order: ${hasQty ? 'qty' : 'notional'} must be a positive finite number (got ${size})`);
    const type = req.type ?? 'market';
    if (type !== 'market' && type !== 'limit') throw new Error(`order: type must be 'market' or 'limit' (got ${String(type)})`);
    const limit = type === 'limit';
    if (limit && (!(req.price! > 0) || !Number.isFinite(req.price))) throw new Error(`order: a limit order needs a positive finite price (got ${String(req.price)})`);
    if (!limit && (req.price !== undefined || req.postOnly !== undefined || req.timeInForce !== undefined)) throw new Error('order: price, postOnly and timeInForce are for limit orders (type: "limit")');
    const o: PendingOrder = {
      id: this.#nextId++,
      inst: i,
      side: req.side,
      type,
      qty: hasQty ? size : NaN,
      notional: hasNotional ? size : NaN,
      price: limit ? req.price! : NaN,
      postOnly: limit && req.postOnly === true,
      goodTillMs: limit ? goodTill(req.timeInForce, this.#d.clock.now) : NaN,
      tag: req.tag ?? '',
      reduceOnly: req.reduceOnly ?? false,
      placedTs: this.#d.clock.now,
      restingSince: NaN,
      checkedRow: -1,
      hedge,
      waitsForPair,
    };
    this.#pending.push(o);
    this.#version++;
    return o;
  }

  /**
   * Cancel an order that has not filled. Either leg of a hedge whose first leg has not filled
   * cancels both. Returns false when no such order is open.
   */
  cancel(orderId: number): boolean {
    const o = this.#find(orderId);
    if (!o) return false;
    const h = o.hedge;
    this.#remove(o);
    this.stats.cancelled++;
    if (h && Number.isNaN(h.firstFilledQty)) {
      const other = o === h.first ? h.second : h.first;
      if (this.#remove(other)) this.stats.cancelled++;
    }
    return true;
  }

  #find(orderId: number): PendingOrder | undefined {
    return this.#pending.find((x) => x.id === orderId) ?? this.#resting.find((x) => x.id === orderId);
  }

  /** Take `o` out of the book; false if it was not in it. */
  #remove(o: PendingOrder): boolean {
    for (const list of [this.#pending, this.#resting]) {
      const idx = list.indexOf(o);
      if (idx >= 0) {
        list.splice(idx, 1);
        this.#version++;
        return true;
      }
    }
    return false;
  }

  /**
   * Fill what can fill at `now`; `final` (the end of the run) refuses what cannot and expires the
   * resting orders. Orders placed in `onFill` join the queue and are tried in the same pass.
   */
  process(now: UnixMs, final: boolean): void {
    const pending = this.#pending;
    let guard = 0;
    for (let p = 0; p < pending.length; ) {
      if (++guard > MAX_ORDERS_PER_INSTANT) throw new Error(`strategy placed more than ${MAX_ORDERS_PER_INSTANT} orders in one instant (runaway onFill?)`);
      const o = pending[p]!;
      if (this.#tryFill(o, now, final)) {
        const idx = pending.indexOf(o);
        if (idx >= 0) {
          pending.splice(idx, 1);
          this.#version++;
        }
        // Restart: earlier orders may have been waiting for a hedge leg filled just now.
        p = 0;
      } else p++;
    }
    if (final) while (this.#resting.length > 0) this.#expire(this.#resting[0]!);
  }

  /**
   * The step "fill resting orders": show each resting order the bars of its instrument that
   * closed since it was last checked (only bars opening at or after it reached the book, and
   * closing by its good-till time); fill it at its price when the limit-fill model says the bar
   * traded through; expire it at its good-till time.
   */
  fillResting(now: UnixMs): void {
    const resting = this.#resting;
    const d = this.#d;
    for (let p = 0; p < resting.length; ) {
      const o = resting[p]!;
      const b = d.bars[o.inst]!;
      const row = d.cursor.bar[o.inst]!;
      let hit = false;
      for (let r = o.checkedRow + 1; r <= row && !hit; r++) {
        if (b.ts[r]! < o.restingSince || b.ts[r]! + d.timeframeMs > o.goodTillMs) continue;
        hit = this.#tradesThrough(o, b.high[r]!, b.low[r]!);
      }
      if (row > o.checkedRow) o.checkedRow = row;
      if (hit) {
        this.#remove(o);
        this.#fillMaker(o, now);
        p = 0; // hooks may have cancelled or added orders
      } else if (now >= o.goodTillMs) {
        this.#expire(o);
        p = 0;
      } else p++;
    }
  }

  #tradesThrough(o: PendingOrder, high: number, low: number): boolean {
    const x = this.#limitInput;
    x.side = o.side;
    x.limitPrice = o.price;
    x.barHigh = high;
    x.barLow = low;
    return this.#d.limitFill.fills(x);
  }

  /** A resting order filled at its price: maker fee, no slippage. */
  #fillMaker(o: PendingOrder, now: UnixMs): void {
    let qty = this.#sizeOf(o, o.price);
    if (o.reduceOnly && this.#d.portfolio.isPerp[o.inst]) {
      qty = this.#reduceOnlyQty(o, qty);
      if (qty === 0) { this.#reject(o, 'reduce-only'); return; }
    }
    const q = this.#makerQuote(this.#quote, o, qty);
    const why = this.#book(o, now, qty, q);
    if (why) { this.#reject(o, why); return; }
    this.stats.makerFills++;
    this.#filled(o, qty, q);
  }

  /** A resting order's fill: at its limit price, the fee model's maker fee, no slippage. */
  #makerQuote(out: FillQuote, o: PendingOrder, qty: number): FillQuote {
    const x = this.#feeInput;
    x.instrument = this.#d.instruments[o.inst]!;
    x.side = o.side;
    x.qty = qty;
    x.price = o.price;
    x.liquidity = 'maker';
    x.ts = this.#d.clock.now;
    out.refPrice = o.price;
    out.price = o.price;
    out.slippage = 0;
    out.fee = this.#d.fees.fee(x);
    out.liquidity = 'maker';
    return out;
  }

  /** A taker fill at `ref`: the fill model (slippage, taker fee). */
  #takerQuote(out: FillQuote, o: PendingOrder, qty: number, ref: number): FillQuote {
    quoteFill(out, this.#orderInput(o, qty, ref, this.#d.clock.now), this.#d);
    out.liquidity = 'taker';
    return out;
  }

  /** The model input for `o`: its size and reference price, and its instrument's last closed bar. */
  #orderInput(o: PendingOrder, qty: number, refPrice: number, now: UnixMs): SlippageInput {
    const x = this.#order;
    const i = o.inst;
    x.instrument = this.#d.instruments[i]!;
    x.side = o.side;
    x.qty = qty;
    x.refPrice = refPrice;
    x.ts = now;
    this.#orderBar.point(this.#d.bars[i]!, this.#d.cursor.bar[i]!);
    return x;
  }

  #book(o: PendingOrder, now: UnixMs, qty: number, quote: FillQuote): RejectReason | null {
    const pf = this.#d.portfolio;
    const i = o.inst;
    return pf.isPerp[i] ? pf.perpTrade(now, i, o.side, qty, quote, o.tag, o.reduceOnly) : pf.spotTrade(now, i, o.side, qty, quote, o.tag);
  }

  #refusal(o: PendingOrder, qty: number, quote: FillQuote): RejectReason | null {
    const pf = this.#d.portfolio;
    return pf.isPerp[o.inst] ? pf.perpRefusal(o.inst, o.side, qty, quote, o.reduceOnly) : pf.spotRefusal(o.inst, o.side, qty, quote);
  }

  /** Base qty of `o` at `price` (a notional order is converted at it). */
  #sizeOf(o: PendingOrder, price: number): number {
    return Number.isNaN(o.qty) ? o.notional / price : o.qty;
  }

  /** A perp reduce-only order's qty clamped to the position (0: nothing to reduce on that side). */
  #reduceOnlyQty(o: PendingOrder, qty: number): number {
    const q0 = this.#d.portfolio.qty[o.inst]!;
    if (q0 === 0 || Math.sign(q0) === (o.side === 'buy' ? 1 : -1)) return 0;
    return Math.min(qty, Math.abs(q0));
  }

  /** A leg (or order) filled: release a hedge's second leg, tell the strategy. */
  #filled(o: PendingOrder, qty: number, quote: FillQuote): void {
    const h = o.hedge;
    if (h && o === h.first) {
      h.firstFilledQty = qty;
      h.second.qty = qty;
      h.second.waitsForPair = false;
      this.#version++;
    }
    this.#d.onFilled(o, qty, quote);
  }

  #expire(o: PendingOrder): void {
    this.#remove(o);
    const partner = this.#dropPartner(o);
    for (const x of partner ? [o, partner] : [o]) {
      this.stats.expired++;
      this.#d.logRejected(x, 'expired');
      this.#d.onRejected(x, 'expired');
    }
  }

  /** A hedge's first leg left without filling: its waiting second leg goes too (refused, same reason). */
  #dropPartner(o: PendingOrder): PendingOrder | null {
    const h = o.hedge;
    if (!h || o !== h.first) return null;
    const second = h.second;
    second.waitsForPair = false;
    return this.#remove(second) ? second : null;
  }

  #reject(o: PendingOrder, reason: RejectReason): void {
    this.#remove(o);
    this.#count(reason);
    const h = o.hedge;
    if (h && o === h.second && !Number.isNaN(h.firstFilledQty)) { this.#broken(h, reason); return; }
    const partner = this.#dropPartner(o);
    this.#d.logRejected(o, reason);
    if (partner) {
      this.#count(reason);
      this.#d.logRejected(partner, reason);
      this.#d.onRejected(partner, reason);
    }
    this.#d.onRejected(o, reason);
  }

  #count(reason: RejectReason): void {
    this.stats.rejected++;
    this.stats.rejectedByReason[reason] = (this.stats.rejectedByReason[reason] ?? 0) + 1;
  }

  /**
   * The second leg of `h` was refused after the first filled: unwind the first (atomic), then tell
   * the strategy (`onReject` of the refused leg, then `onHedgeBroken`).
   */
  #broken(h: HedgeLink, reason: RejectReason): void {
    const now = this.#d.clock.now;
    this.stats.hedgesBroken++;
    let unwindId = 0;
    const first = h.first;
    if (h.atomic) {
      this.stats.hedgesUnwound++;
      const ins = this.#d.instruments[first.inst]!;
      const unwind = this.#add({ instrument: ins, side: first.side === 'buy' ? 'sell' : 'buy', qty: h.firstFilledQty, tag: HEDGE_UNWIND_TAG, reduceOnly: ins.type === 'perp' }, null, false);
      unwindId = unwind.id;
      this.#tryFill(unwind, now, false);
    }
    this.#d.logRejected(h.second, reason);
    this.#d.onRejected(h.second, reason);
    this.#d.onHedgeBroken({
      ts: now,
      longOrderId: h.longId,
      shortOrderId: h.shortId,
      filledOrderId: first.id,
      filled: this.#d.instruments[first.inst]!,
      qty: h.firstFilledQty,
      refusedOrderId: h.second.id,
      refused: this.#d.instruments[h.second.inst]!,
      reason,
      unwindOrderId: unwindId,
      tag: h.tag,
    });
  }

  /**
   * Reference price for `o` at `now`: the open of the first bar opening at or after now (a bar
   * already in progress is skipped: its open is a price from before the order), or the latest
   * close. NaN: not yet (keep waiting); −1: never (end of data).
   */
  #referencePrice(o: PendingOrder, now: UnixMs, final: boolean): number {
    const i = o.inst;
    if (this.#d.fillAt === 'close') {
      const ref = this.#d.prices.close[i]!;
      return Number.isNaN(ref) && final ? -1 : ref;
    }
    const b = this.#d.bars[i]!;
    let nb = this.#d.cursor.bar[i]! + 1;
    while (nb < b.ts.length && b.ts[nb]! < now) nb++;
    if (nb >= b.ts.length) return -1;
    if (b.ts[nb]! > now) return final ? -1 : NaN;
    return barValue(b, 'open', nb);
  }

  /** Try to fill one pending order now. Returns true if it left the queue (filled, refused or now resting). */
  #tryFill(o: PendingOrder, now: UnixMs, final: boolean): boolean {
    if (o.waitsForPair) return false;
    const gate = this.#d.venueGate(this.#d.instruments[o.inst]!.venue, now);
    if (gate !== 'open') {
      if (gate === 'queue' && !final) return false;
      this.#reject(o, 'venue-outage');
      return true;
    }
    const ref = this.#referencePrice(o, now, final);
    if (Number.isNaN(ref)) return false;
    if (ref === -1) {
      this.#reject(o, 'end-of-data');
      return true;
    }
    if (o.type === 'limit' && !limitCrosses(o.side, o.price, ref)) return this.#toBook(o, now, final);
    if (o.type === 'limit' && o.postOnly) {
      this.#reject(o, 'post-only-would-cross');
      return true;
    }
    let qty = this.#sizeOf(o, o.type === 'limit' ? o.price : ref);
    if (o.reduceOnly && this.#d.portfolio.isPerp[o.inst]) {
      qty = this.#reduceOnlyQty(o, qty);
      if (qty === 0) {
        this.#reject(o, 'reduce-only');
        return true;
      }
    }
    const quote = this.#takerQuote(this.#quote, o, qty, ref);
    const h = o.hedge;
    const bothChecked = h !== null && h.atomic && o === h.first;
    const why = (bothChecked ? (this.#refusal(o, qty, quote) ?? this.#checkSecondLeg(h, qty, final)) : null) ?? this.#book(o, now, qty, quote);
    if (why) {
      if (h && o === h.first) this.stats.hedgesRefused++;
      this.#reject(o, why);
      return true;
    }
    // Out of the book before the strategy hears of the fill: in `onFill`, `ctx.orders` no longer
    // lists the order that filled (as for refusals, expiries and resting fills).
    this.#remove(o);
    this.#filled(o, qty, quote);
    return true;
  }

  /**
   * A limit order that does not cross rests on the book; the first leg of an atomic hedge only
   * after both legs pass the check at the limit price. `final`: it never rests (expires).
   */
  #toBook(o: PendingOrder, now: UnixMs, final: boolean): boolean {
    const h = o.hedge;
    if (h && h.atomic && o === h.first) {
      const qty = this.#sizeOf(o, o.price);
      const why = this.#refusal(o, qty, this.#makerQuote(this.#quote, o, qty)) ?? this.#checkSecondLeg(h, qty, final);
      if (why) {
        this.stats.hedgesRefused++;
        this.#reject(o, why);
        return true;
      }
    }
    this.#remove(o);
    if (final) {
      this.#expire(o);
      return true;
    }
    o.restingSince = now;
    o.checkedRow = this.#d.cursor.bar[o.inst]!;
    this.#resting.push(o);
    this.#version++;
    return true;
  }

  /**
   * Would the second leg of `h` pass at `qty` if sent now? Priced at its own reference price when
   * it has one at this instant, else at its latest close (an estimate: it fills later).
   */
  #checkSecondLeg(h: HedgeLink, qty: number, final: boolean): RejectReason | null {
    const s = h.second;
    let ref = this.#referencePrice(s, this.#d.clock.now, final);
    if (Number.isNaN(ref)) ref = this.#d.prices.close[s.inst]!;
    if (!(ref > 0)) return 'no-price';
    return this.#refusal(s, qty, this.#takerQuote(this.#quote2, s, qty, ref));
  }

  /**
   * Close every open position at its instrument's latest close (the last bar's close), priced by
   * the fill model like a market order (slippage, taker fee), tagged `close-at-end`. The strategy
   * has ended: it is not told. Spot holdings are sold (borrowed spot bought back), perps reduced to 0.
   */
  closeAll(now: UnixMs): EndOfRun {
    const out: EndOfRun = { mode: 'close', closed: 0, fees: 0, slippage: 0, failed: 0 };
    const pf = this.#d.portfolio;
    for (let i = 0; i < this.#d.instruments.length; i++) {
      const q = pf.qty[i]!;
      if (q === 0) continue;
      const ref = this.#d.prices.close[i]!;
      const o = this.#add({ instrument: this.#d.instruments[i]!, side: q > 0 ? 'sell' : 'buy', qty: Math.abs(q), tag: CLOSE_AT_END_TAG, reduceOnly: pf.isPerp[i] === 1 }, null, false);
      this.#remove(o);
      const quote = ref > 0 ? this.#takerQuote(this.#quote, o, Math.abs(q), ref) : null;
      if (!quote || this.#book(o, now, Math.abs(q), quote)) {
        out.failed++;
        continue;
      }
      out.closed++;
      out.fees += quote.fee;
      out.slippage += quote.slippage;
    }
    return out;
  }

  /** Frozen copies of the open orders (see {@link OrdersView}). */
  snapshot(): readonly OrderInfo[] {
    const out: OrderInfo[] = [];
    for (const o of this.#pending) out.push(infoOf(o, this.#d.instruments[o.inst]!, 'pending'));
    for (const o of this.#resting) out.push(infoOf(o, this.#d.instruments[o.inst]!, 'open'));
    out.sort((a, b) => a.id - b.id);
    return Object.freeze(out);
  }
}

function infoOf(o: PendingOrder, instrument: Instrument, status: 'pending' | 'open'): OrderInfo {
  const h = o.hedge;
  return Object.freeze({
    id: o.id,
    instrument,
    side: o.side,
    type: o.type,
    qty: o.qty,
    notional: o.notional,
    price: o.price,
    postOnly: o.postOnly,
    goodTillMs: o.goodTillMs,
    reduceOnly: o.reduceOnly,
    tag: o.tag,
    placedTs: o.placedTs,
    status,
    hedgeWith: h ? (o === h.first ? h.second.id : h.first.id) : 0,
  });
}

/** `ctx.orders`: a frozen view over the book; its list is rebuilt only when the book changed. */
function createOrdersView(book: OrderBook): OrdersView {
  let cachedAt = -1;
  let cached: readonly OrderInfo[] = Object.freeze([]);
  const all = (): readonly OrderInfo[] => {
    if (cachedAt !== book.version) {
      cached = book.snapshot();
      cachedAt = book.version;
    }
    return cached;
  };
  return Object.freeze({
    get size(): number {
      return all().length;
    },
    list(instrument?: Instrument): readonly OrderInfo[] {
      const xs = all();
      return instrument === undefined ? xs : Object.freeze(xs.filter((x) => x.instrument === instrument));
    },
    get(orderId: number): OrderInfo | null {
      return all().find((x) => x.id === orderId) ?? null;
    },
  });
}

/** Good-till time of a limit order from its time in force (Infinity: gtc). */
function goodTill(tif: TimeInForce | undefined, now: UnixMs): number {
  if (tif === undefined || tif === 'gtc') return Infinity;
  if (typeof tif === 'object' && tif !== null && typeof tif.goodTillMs === 'number') {
    if (!(tif.goodTillMs > now)) throw new Error(`order: timeInForce.goodTillMs (${tif.goodTillMs}) must be after now (${now})`);
    return tif.goodTillMs;
  }
  throw new Error(`order: timeInForce must be 'gtc' or { goodTillMs } (got ${JSON.stringify(tif)})`);
}

function checkMaker(m: NonNullable<HedgeRequest['maker']>): 'long' | 'short' {
  const leg = m.leg ?? 'short';
  if (leg !== 'long' && leg !== 'short') throw new Error(`hedge.maker.leg must be 'long' or 'short' (got ${String(leg)})`);
  if (!(m.offsetBps >= 0) || !Number.isFinite(m.offsetBps)) throw new Error(`hedge.maker.offsetBps must be a finite number ≥ 0 (got ${String(m.offsetBps)})`);
  return leg;
}
