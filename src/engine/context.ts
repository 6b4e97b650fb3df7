/**
 * The `ctx` every hook receives, sealed: a frozen object whose `now` is a getter over the engine's
 * clock, whose views cannot be reassigned and whose actions (order, hedge, transfer, timers,
 * leverage, margin mode, cancel) go through the order book and the portfolio's own checks.
 */
import seedrandom from 'seedrandom';
import type { UnixMs } from '../core/time.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import type { Portfolio } from '../portfolio/portfolio.js';
import type { HedgeRequest, MarketView, OrderRequest, OrdersView, ParamValues, PortfolioView, SleepRequest, StrategyContext, TransferRequest } from '../strategy/types.js';
import type { OrderBook } from './order-book.js';
import type { TimerQueue } from './timers.js';

/** The engine's current time; only the engine moves it. */
export interface Clock {
  now: UnixMs;
}

/** What the context is built from. */
export interface ContextDeps {
  clock: Clock;
  market: MarketView;
  portfolioView: PortfolioView;
  portfolio: Portfolio;
  params: ParamValues;
  seed: number;
  book: OrderBook;
  /** The book's read-only view of the open orders. */
  orders: OrdersView;
  timers: TimerQueue;
  emit(level: 'info' | 'warn', message: string): void;
  /** Move cash now, later or not at all (scenario venue conditions); returns the amount moved now. */
  transfer(req: TransferRequest, isolatedTarget: number): number;
  /** `ctx.sleep`: the engine's sleep state (src/engine/sleep.ts). */
  sleep(req: SleepRequest | undefined): void;
}

/** Build the sealed strategy context of a run. */
export function createContext(d: ContextDeps): StrategyContext {
  const { clock, book, timers, portfolio } = d;
  // An arrow over the PRNG: the PRNG's own helper functions and prototypes stay out of reach.
  const prng = seedrandom(String(d.seed));
  const rng = Object.freeze((): number => prng());
  const log = Object.freeze({ info: (m: string) => d.emit('info', m), warn: (m: string) => d.emit('warn', m) });
  const ctx: StrategyContext = {
    get now(): UnixMs {
      return clock.now;
    },
    market: d.market,
    portfolio: d.portfolioView,
    params: Object.freeze({ ...d.params }),
    rng,
    log,
    order: (req: OrderRequest) => book.submit(req),
    hedge: (req: HedgeRequest) => book.hedge(req),
    orders: d.orders,
    cancel: (orderId: number) => book.cancel(orderId),
    transfer(req: TransferRequest): number {
      const target = req.instrument ? book.checkInstrument(req.instrument, 'transfer.instrument') : -1;
      return d.transfer(req, target);
    },
    setTimer(atMs: UnixMs, tag = '') {
      if (!(atMs > clock.now)) throw new Error(`setTimer: time ${atMs} must be after now (${clock.now})`);
      timers.add(atMs, tag);
    },
    setLeverage(ins: Instrument, leverage: number) {
      portfolio.setLeverage(book.checkInstrument(ins, 'setLeverage'), leverage);
    },
    sleep(req?: SleepRequest) {
      d.sleep(req);
    },
    setMarginMode(venue: VenueId, mode: 'cross' | 'isolated') {
      if (mode !== 'cross' && mode !== 'isolated') throw new Error(`setMarginMode: mode must be 'cross' or 'isolated' (got ${String(mode)})`);
      portfolio.setMarginMode(venue, mode);
    },
  };
  return Object.freeze(ctx);
}
