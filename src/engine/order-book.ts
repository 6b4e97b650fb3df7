/**
 * The order queue: market orders wait here until their instrument has a price to fill at (the
 * open of the first bar opening at or after the order, or the latest close with `fillAt: close`),
 * are priced by the fill model and booked by the portfolio. A hedge is two orders: the short leg
 * waits for the long leg and copies its filled qty; a refused leg refuses its partner.
 */
import type { UnixMs } from '../core/time.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import { quoteFill, type FillAt, type FillQuote } from '../venue/fill.js';
import type { FeeModel } from '../venue/fee.js';
import type { SlippageInput, SlippageModel } from '../venue/slippage.js';
import type { Portfolio } from '../portfolio/portfolio.js';
import type { PriceStore } from '../portfolio/prices.js';
import type { HedgeRequest, OrderRequest, RejectEvent } from '../strategy/types.js';
import type { BarSeries } from './data.js';
import type { MarketCursor } from './market-view.js';

/** An order waiting to fill. */
export interface PendingOrder {
  readonly id: number;
  readonly inst: number;
  readonly side: 'buy' | 'sell';
  /** Base qty, or NaN when sized by notional at fill time (a hedge's short leg: until its long leg fills). */
  qty: number;
  readonly notional: number;
  readonly tag: string;
  readonly reduceOnly: boolean;
  /** For a hedge's long leg: the short leg order, which copies the long leg's filled qty. */
  pair: PendingOrder | null;
  /** For a hedge's short leg: waiting for the long leg. */
  waitsForPair: boolean;
}

/** What the book needs from the run. */
export interface OrderBookDeps {
  instruments: readonly Instrument[];
  bars: readonly BarSeries[];
  cursor: MarketCursor;
  prices: PriceStore;
  portfolio: Portfolio;
  fillAt: FillAt;
  fees: FeeModel;
  slippage: SlippageModel;
  /** How a venue takes orders at `now`: open, down and refusing, or down and queueing (scenario outages). */
  venueGate(venue: VenueId, now: UnixMs): 'open' | 'refuse' | 'queue';
  /** An order was refused: log it (before its hedge partner is refused). */
  logRejected(o: PendingOrder, reason: RejectEvent['reason']): void;
  /** An order was refused: tell the strategy (after its hedge partner). */
  onRejected(o: PendingOrder, reason: RejectEvent['reason']): void;
  /** An order filled `qty` at `quote` (tell the strategy). */
  onFilled(o: PendingOrder, qty: number, quote: FillQuote): void;
}

/** Orders placed in one instant beyond this are a runaway loop (e.g. an order per fill). */
const MAX_ORDERS_PER_INSTANT = 100_000;

/** The run's queue of market orders. */
export class OrderBook {
  readonly #d: OrderBookDeps;
  readonly #pending: PendingOrder[] = [];
  readonly #quote: FillQuote = { refPrice: 0, price: 0, fee: 0, slippage: 0 };
  /** Reused model input: one order at a time. */
  readonly #order: SlippageInput;
  #nextId = 1;
  /** Orders refused so far. */
  rejected = 0;

  constructor(deps: OrderBookDeps) {
    this.#d = deps;
    const bar = { open: NaN, high: NaN, low: NaN, close: NaN, volume: NaN };
    this.#order = { instrument: deps.instruments[0]!, side: 'buy', qty: 0, refPrice: 0, bar, ts: 0 };
  }

  get size(): number {
    return this.#pending.length;
  }

  /** Dense id of an instrument of this run, or an error naming the call. */
  checkInstrument(ins: Instrument | undefined, what: string): number {
    if (!ins || this.#d.instruments[ins.id] !== ins) throw new Error(`${what}: not an instrument of this run (use ctx.market.instrument(venue, symbol))`);
    return ins.id;
  }

  /** Queue a market order after checking the request; returns its id. */
  submit(req: OrderRequest): number {
    return this.#add(req, false).id;
  }

  /** Queue a hedge: the long leg, and a short leg that fills the long leg's qty after it. */
  hedge(req: HedgeRequest): [number, number] {
    const li = this.checkInstrument(req.long, 'hedge.long');
    const si = this.checkInstrument(req.short, 'hedge.short');
    if (li === si) throw new Error('hedge: long and short legs must be different instruments');
    const tag = req.tag ?? 'hedge';
    const long = this.#add({ instrument: req.long, side: 'buy', qty: req.qty, notional: req.notional, tag }, false);
    const short = this.#add({ instrument: req.short, side: 'sell', qty: req.qty ?? 1, tag }, true);
    short.qty = NaN;
    long.pair = short;
    return [long.id, short.id];
  }

  #add(req: OrderRequest, waitsForPair: boolean): PendingOrder {
    const i = this.checkInstrument(req.instrument, 'order');
    if (req.side !== 'buy' && req.side !== 'sell') throw new Error(`order: side must be 'buy' or 'sell' (got ${String(req.side)})`);
    const hasQty = req.qty !== undefined;
    const hasNotional = req.notional !== undefined;
    if (hasQty === hasNotional) throw new Error('order: give exactly one of qty or notional');
    const size = hasQty ? req.qty! : req.notional!;
    if (!(size > 0) || !Number.isFinite(size)) throw new Error(`order: ${hasQty ? 'qty' : 'notional'} must be a positive finite number (got ${size})`);
    const o: PendingOrder = {
      id: this.#nextId++,
      inst: i,
      side: req.side,
      qty: hasQty ? size : NaN,
      notional: hasNotional ? size : NaN,
      tag: req.tag ?? '',
      reduceOnly: req.reduceOnly ?? false,
      pair: null,
      waitsForPair,
    };
    this.#pending.push(o);
    return o;
  }

  /**
   * Fill what can fill at `now`; `final` (the end of the run) refuses what cannot. Orders placed in
   * `onFill` join the queue and are tried in the same pass.
   */
  process(now: UnixMs, final: boolean): void {
    const pending = this.#pending;
    let guard = 0;
    for (let p = 0; p < pending.length; ) {
      if (++guard > MAX_ORDERS_PER_INSTANT) throw new Error(`strategy placed more than ${MAX_ORDERS_PER_INSTANT} orders in one instant (runaway onFill?)`);
      const o = pending[p]!;
      if (this.#tryFill(o, now, final)) {
        const idx = pending.indexOf(o);
        if (idx >= 0) pending.splice(idx, 1);
        // Restart: earlier orders may have been waiting for a hedge leg filled just now.
        p = 0;
      } else p++;
    }
  }

  #reject(o: PendingOrder, reason: RejectEvent['reason']): void {
    this.rejected++;
    const pair = o.pair;
    if (pair) {
      const idx = this.#pending.indexOf(pair);
      if (idx >= 0) this.#pending.splice(idx, 1);
      pair.waitsForPair = false;
    }
    this.#d.logRejected(o, reason);
    if (pair) this.#reject(pair, reason);
    this.#d.onRejected(o, reason);
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
    return b.open[nb]!;
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
    const row = this.#d.cursor.bar[i]!;
    const b = this.#d.bars[i]!;
    const bar = x.bar;
    bar.open = row >= 0 ? b.open[row]! : NaN;
    bar.high = row >= 0 ? b.high[row]! : NaN;
    bar.low = row >= 0 ? b.low[row]! : NaN;
    bar.close = row >= 0 ? b.close[row]! : NaN;
    bar.volume = row >= 0 ? b.volume[row]! : NaN;
    return x;
  }

  /** Try to fill one order now. Returns true if it left the queue (filled or refused). */
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
    const d = this.#d;
    const i = o.inst;
    const pf = d.portfolio;
    let qty = Number.isNaN(o.qty) ? o.notional / ref : o.qty;
    if (o.reduceOnly && pf.isPerp[i]) {
      const q0 = pf.qty[i]!;
      if (q0 === 0 || Math.sign(q0) === (o.side === 'buy' ? 1 : -1)) {
        this.#reject(o, 'reduce-only');
        return true;
      }
      qty = Math.min(qty, Math.abs(q0));
    }
    const quote = quoteFill(this.#quote, this.#orderInput(o, qty, ref, now), d);
    const why = pf.isPerp[i] ? pf.perpTrade(now, i, o.side, qty, quote, o.tag, o.reduceOnly) : pf.spotTrade(now, i, o.side, qty, quote, o.tag);
    if (why) {
      this.#reject(o, why);
      return true;
    }
    if (o.pair) {
      o.pair.qty = qty;
      o.pair.waitsForPair = false;
    }
    d.onFilled(o, qty, quote);
    return true;
  }
}
