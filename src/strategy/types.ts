/**
 * The strategy plugin contract (DRAFT by the skeleton author; the engine maintainer owns and may
 * refine it, keeping one parameter object per call so fields can be added without breaking plugins).
 *
 * Rules for strategy code: hooks are synchronous; event objects passed to hooks are reused by the
 * engine and must not be retained (copy the fields you need); a strategy sees nothing stamped after
 * `ctx.now`.
 */
import type { UnixMs } from '../core/time.js';
import type { Symbol, VenueId } from '../core/ids.js';
import type { BooleanSchema, EnumSchema, IntegerSchema, NumberSchema, StringSchema } from '../core/schema.js';

/**
 * Description of one parameter, used for parsing `--param k=v`, validation, defaults and help: a
 * leaf schema of src/core/schema.ts with a default. Write it as a plain object
 * (`{ type: 'number', default: 2, min: 0.1, help }`) or with the builders (`number({ default: 2, … })`).
 */
export type ParamSpec =
  | (NumberSchema & { readonly default: number })
  | (IntegerSchema & { readonly default: number })
  | (BooleanSchema & { readonly default: boolean })
  | (EnumSchema & { readonly default: string })
  | (StringSchema & { readonly default: string });

export type ParamSchema = Record<string, ParamSpec>;
export type ParamValue = number | boolean | string;
export type ParamValues = Record<string, ParamValue>;

/** An instrument a strategy trades or watches. */
export interface InstrumentSpec {
  venue: VenueId;
  /** ccxt unified symbol: `ETH/USDT` (spot) or `ETH/USDT:USDT` (linear perp). */
  symbol: Symbol;
}

/**
 * What the run offers a strategy when it declares its universe. `P` is the params type
 * (`ParamValues` for a plain factory, the inferred params for `defineStrategy` (src/strategy/define.ts)).
 */
export interface UniverseInput<P = ParamValues> {
  /** Venues given with `--venue` (one or more, comma-separated on the CLI). */
  venues: readonly VenueId[];
  /** The first (for a one-asset strategy: the only) symbol of `--symbol`, e.g. `ETH/USDT`. */
  symbol: Symbol;
  /** Every symbol of `--symbol BTC/USDT,ETH/USDT` (or run.json `symbol`), in the order given. */
  symbols: readonly Symbol[];
  params: P;
}

/** Default export of a strategy module. */
export interface StrategyFactory {
  /** Kebab-case name, e.g. `delta-neutral`. */
  name: string;
  /** One line. */
  description: string;
  params: ParamSchema;
  /** Instruments whose data the engine must load (bars, and for perps mark and funding). */
  universe(input: UniverseInput): InstrumentSpec[];
  /**
   * Build a fresh strategy instance from validated params (defaults applied). `run` is the
   * universe input of the run (venues, symbols): the engine always passes it, so a factory can lay
   * out per-asset state; a factory made by `defineStrategy` (src/strategy/define.ts) needs it to resolve its roles.
   */
  create(params: ParamValues, run?: UniverseInput): Strategy;
  /**
   * Optional: checks across params that the per-param schema cannot express (e.g. `exitApr` below
   * `entryApr`). Gets the resolved params (defaults applied, each within its bounds); returns one
   * message per problem, naming the params and their values (empty = fine). The run stops with a
   * clear error before any data is loaded.
   */
  validateParams?(params: ParamValues): string[];
  /**
   * Optional: run settings the strategy's params imply (e.g. reverse-carry needs spot borrowing at
   * its `borrowApr`; ethena-style lends idle cash at its `lendApr`). The engine enables
   * `allowSpotBorrow` if asked and lets these interest APRs override the run's interest model params.
   */
  runSettings?(params: ParamValues): StrategyRunSettings;
}

/** What {@link StrategyFactory.runSettings} may ask of the run. */
export interface StrategyRunSettings {
  /** The strategy borrows spot (short spot legs): allow negative spot balances. */
  allowSpotBorrow?: boolean;
  /** Constant-APR interest model params (decimal APRs) to use for this run. */
  interest?: { borrowApr?: number; lendApr?: number };
}

/**
 * A running strategy. Every hook is optional; a property named like a hook that is not one
 * (`onbar`, `onFills`) is an error when the run starts (see src/strategy/hooks.ts).
 */
export interface Strategy {
  onStart?(ctx: StrategyContext): void;
  /** A bar closed (delivered at open time + timeframe). */
  onBar?(ctx: StrategyContext, bar: BarEvent): void;
  /** A funding settlement was applied to the position held over it (cash already moved). */
  onFunding?(ctx: StrategyContext, funding: FundingEvent): void;
  onFill?(ctx: StrategyContext, fill: FillEvent): void;
  onLiquidation?(ctx: StrategyContext, liquidation: LiquidationEvent): void;
  /**
   * The venue auto-deleveraged part of a profitable perp position (cash already moved). The other
   * leg of a hedge is now unhedged: re-hedge or unwind it here.
   */
  onAdl?(ctx: StrategyContext, adl: AdlEvent): void;
  onTimer?(ctx: StrategyContext, timer: TimerEvent): void;
  /** An order was refused (not enough cash or margin, reduce-only with nothing to reduce, no price, a post-only order that would cross) or a limit order expired. */
  onReject?(ctx: StrategyContext, reject: RejectEvent): void;
  /**
   * One leg of a hedge filled and the other was refused when it came to fill. By default (atomic
   * hedge) the filled leg has already been unwound by a market order tagged `hedge-unwind` when
   * this runs; with `atomic: false` it is kept. Runs after `onReject` of the refused leg.
   */
  onHedgeBroken?(ctx: StrategyContext, broken: HedgeBrokenEvent): void;
  onEnd?(ctx: StrategyContext): void;
}

/** An order the venue refused. Reused: do not retain. */
export interface RejectEvent {
  readonly orderId: number;
  readonly instrument: Instrument;
  readonly ts: UnixMs;
  readonly side: 'buy' | 'sell';
  /** Requested base qty (NaN when the order was given by notional). */
  readonly qty: number;
  /**
   * `post-only-would-cross`: a post-only limit order would have taken liquidity when it reached the
   * book. `expired`: a limit order's good-till time passed (or the window ended) unfilled.
   * `venue-outage`: the venue was down (a scenario outage with `orders: refuse`, or `queue` at the end of the run).
   */
  readonly reason: RejectReason;
  readonly tag: string;
}

/** Why an order left the book without filling. */
export type RejectReason =
  | 'insufficient-cash'
  | 'insufficient-holdings'
  | 'insufficient-margin'
  | 'no-price'
  | 'reduce-only'
  | 'end-of-data'
  | 'post-only-would-cross'
  | 'expired'
  | 'venue-outage';

/**
 * A hedge whose second leg was refused after its first leg filled (see {@link Strategy.onHedgeBroken}).
 * Reused: do not retain.
 */
export interface HedgeBrokenEvent {
  readonly ts: UnixMs;
  /** Order ids of the hedge's legs, as returned by `ctx.hedge` ([long, short]). */
  readonly longOrderId: number;
  readonly shortOrderId: number;
  /** The leg that filled, its instrument and filled base qty. */
  readonly filledOrderId: number;
  readonly filled: Instrument;
  readonly qty: number;
  /** The leg that was refused, and why. */
  readonly refusedOrderId: number;
  readonly refused: Instrument;
  readonly reason: RejectReason;
  /** Id of the market order (tag `hedge-unwind`) that closed the filled leg; 0 when kept (`atomic: false`). */
  readonly unwindOrderId: number;
  /** The hedge's tag. */
  readonly tag: string;
}

/** Handle of a loaded instrument; `id` is a dense index for fast typed-array lookups. */
export type { Instrument } from '../venue/instrument.js';
import type { Instrument } from '../venue/instrument.js';

/** A closed bar. Reused by the engine: do not retain. */
export interface BarEvent {
  readonly instrument: Instrument;
  /** Bar open time. The bar is delivered at `openTs + timeframeMs` (= ctx.now). */
  readonly openTs: UnixMs;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Base-asset volume (NaN if unknown). */
  readonly volume: number;
}

/** A funding settlement applied to the position held over it. Reused: do not retain. */
export interface FundingEvent {
  readonly instrument: Instrument;
  readonly ts: UnixMs;
  /** Decimal rate for the interval that ended at `ts`. */
  readonly rate: number;
  readonly intervalHours: number;
  /** Mark price used for the payment. */
  readonly markPrice: number;
  /** Signed position qty held over the settlement (base units). */
  readonly qty: number;
  /** Cash received (+) or paid (−), quote units: −qty × markPrice × rate. */
  readonly amount: number;
}

/** A fill of an order. Reused: do not retain. */
export interface FillEvent {
  readonly orderId: number;
  readonly instrument: Instrument;
  readonly ts: UnixMs;
  readonly side: 'buy' | 'sell';
  /** Filled base qty, > 0. */
  readonly qty: number;
  /** Fill price including slippage. */
  readonly price: number;
  /** Fee paid, quote units (> 0 is a cost). */
  readonly fee: number;
  /** Slippage cost versus the reference price, quote units (≥ 0). */
  readonly slippage: number;
  readonly liquidity: 'maker' | 'taker';
  readonly tag: string;
}

/** A perp position was liquidated. Reused: do not retain. */
export interface LiquidationEvent {
  readonly instrument: Instrument;
  readonly ts: UnixMs;
  /** Signed qty closed (the position before liquidation). */
  readonly qty: number;
  readonly price: number;
  /** Liquidation fee charged, quote units. */
  readonly fee: number;
}

/** An auto-deleveraging close of part of a profitable perp position (src/venue/adl.ts). Frozen. */
export interface AdlEvent {
  readonly instrument: Instrument;
  readonly ts: UnixMs;
  /** Signed qty closed (a short's is negative) and the position left. */
  readonly qty: number;
  readonly remainingQty: number;
  /** Share of the position closed, (0, 1]. */
  readonly share: number;
  /** Close price (the mark, or the bankruptcy-price stand-in) and the mark at the close. */
  readonly price: number;
  readonly markPrice: number;
  /** The venue's ADL score of the position and its 1–5 queue light. */
  readonly score: number;
  readonly light: number;
  /** `liquidation` (a liquidation in the replay could not close inside its bar) or `scenario:<name>`. */
  readonly cause: string;
}

/** A timer fired. */
export interface TimerEvent {
  readonly ts: UnixMs;
  readonly tag: string;
}

/**
 * How long a limit order rests: `'gtc'` (good till cancelled, or the end of the window) or until a
 * time: it fills only on bars that close at or before `goodTillMs` and leaves the book (reason
 * `expired`) at the first instant at or after it.
 */
export type TimeInForce = 'gtc' | { readonly goodTillMs: UnixMs };

/**
 * An order: give exactly one of `qty` (base units) or `notional` (quote units; converted at the
 * reference price when the order reaches the book).
 *
 * `type: 'market'` (default) fills at the next bar's open (or the close, `fillAt: close`) plus
 * slippage, taker fee. `type: 'limit'` with `price`: when it reaches the book (at that same
 * reference price) a limit that crosses (buy ≥ reference) fills at once like a market order
 * (taker) — or, `postOnly`, is refused (`post-only-would-cross`); otherwise it rests and fills at
 * its own price, maker fee, no slippage, on a later bar that trades through it (the limit-fill
 * model, docs/models-and-venues.md). Open orders are in `ctx.orders`; `ctx.cancel(id)` removes one.
 */
export interface OrderRequest {
  instrument: Instrument;
  side: 'buy' | 'sell';
  qty?: number;
  notional?: number;
  /** Free-form label carried to trades.csv. */
  tag?: string;
  /** Only reduce an existing position. */
  reduceOnly?: boolean;
  /** `'market'` (default) or `'limit'` (needs `price`). */
  type?: 'market' | 'limit';
  /** Limit price, quote per base (limit orders only). */
  price?: number;
  /** Limit orders: refuse the order instead of taking liquidity when it would cross. Default false. */
  postOnly?: boolean;
  /** Limit orders: default `'gtc'`. */
  timeInForce?: TimeInForce;
}

/**
 * Two legs in one call: buy `long`, sell `short`, same base qty (or the same notional at the long
 * leg's fill price). The long leg fills first and the short leg copies its filled qty.
 *
 * Atomic by default: when the legs come to fill, both are checked first (price available, cash,
 * margin: each leg against its account as it stands) and both are refused if either would be.
 * If the second leg is still refused when it fills (the legs share an account, or fill at
 * different instants), the first is unwound at once by a market order tagged `hedge-unwind` and
 * `onHedgeBroken` runs. `atomic: false`: the legs are sent unchecked and a filled leg is kept.
 */
export interface HedgeRequest {
  long: Instrument;
  short: Instrument;
  qty?: number;
  notional?: number;
  tag?: string;
  /** Default true (see above). */
  atomic?: boolean;
  /**
   * Make one leg a maker order: `leg` (default `'short'`, the perp of a cash-and-carry) rests as a
   * post-only limit `offsetBps` away from the latest close on the passive side (a sell above it, a
   * buy below it); when it fills, the other leg goes as a market order for the same qty. Until then
   * the hedge holds nothing. The maker leg is refused if it would cross (`post-only-would-cross`).
   */
  maker?: { leg?: 'long' | 'short'; offsetBps: number; timeInForce?: TimeInForce };
}

/** An order that has not filled yet, as `ctx.orders` shows it (a frozen copy). */
export interface OrderInfo {
  readonly id: number;
  readonly instrument: Instrument;
  readonly side: 'buy' | 'sell';
  readonly type: 'market' | 'limit';
  /** Base qty (NaN while sized by notional or, for a hedge's second leg, until the first fills). */
  readonly qty: number;
  /** Quote notional when given by notional (else NaN). */
  readonly notional: number;
  /** Limit price (NaN for market orders). */
  readonly price: number;
  readonly postOnly: boolean;
  /** Good-till time (Infinity: good till cancelled; NaN for market orders). */
  readonly goodTillMs: UnixMs;
  readonly reduceOnly: boolean;
  readonly tag: string;
  /** When the strategy placed it. */
  readonly placedTs: UnixMs;
  /**
   * `pending`: not yet at the book (a market order waiting for its fill price, a limit order
   * before its first reference price, a hedge leg waiting for its partner); `open`: a limit order
   * resting on the book.
   */
  readonly status: 'pending' | 'open';
  /** For a hedge leg: the other leg's order id (else 0). */
  readonly hedgeWith: number;
}

/**
 * The strategy's orders that have not filled or left the book yet. Read-only.
 *
 * When it changes (tested in test/engine/orders-view.test.ts): an order is listed from the moment
 * `ctx.order`/`ctx.hedge` returns until it fills, is refused, expires or is cancelled, and it is
 * gone BEFORE the hook that reports this runs (`onFill`, `onReject`). So "`ctx.orders.size === 0`
 * in `onFill`/`onReject`" means "nothing of mine is left in flight", the test a strategy needs
 * instead of a private set of pending ids. Details:
 * - A hedge's second leg stays listed (`pending`, `hedgeWith` = the first leg, `qty` now the first
 *   leg's filled qty) during the first leg's `onFill`, and leaves when it fills or is refused.
 * - Both legs of an atomic hedge refused by the check of both legs leave together, before either
 *   `onReject` (the partner's runs first): both hooks see neither leg, so make the "all settled"
 *   step idempotent (e.g. guarded by the strategy's phase).
 * - The `hedge-unwind` order of a broken atomic hedge is placed by the engine and usually fills at
 *   once, before `onReject` of the refused leg and `onHedgeBroken`; it is listed while it waits
 *   (its venue's next bar), like any order of the strategy.
 */
export interface OrdersView {
  /** Number of pending and open orders. */
  readonly size: number;
  /** Pending and open orders (of one instrument if given), oldest first; a frozen copy. */
  list(instrument?: Instrument): readonly OrderInfo[];
  /** One order by id, or null once it filled, was refused, expired or was cancelled. */
  get(orderId: number): OrderInfo | null;
}

/** Move quote collateral between accounts (`spot` wallet or `perp` margin) on one or two venues. */
export interface TransferRequest {
  fromVenue: VenueId;
  fromAccount: 'spot' | 'perp';
  toVenue: VenueId;
  toAccount: 'spot' | 'perp';
  /** Quote units (USDT), > 0. Clamped to what can leave the source account (a warning is logged). */
  amount: number;
  /** Isolated margin mode: put the amount into this perp position's isolated margin. */
  instrument?: Instrument;
}

/** Closed bars, oldest first (`i` = 0 … length − 1); every accessor returns NaN outside the window. */
export interface BarWindow {
  readonly length: number;
  /** Open time of bar `i` (the bar closed at openTs + timeframeMs ≤ now). */
  openTs(i: number): UnixMs;
  open(i: number): number;
  high(i: number): number;
  low(i: number): number;
  close(i: number): number;
  /** Base volume of bar `i` (NaN if unknown). */
  volume(i: number): number;
}

/** Funding settlements, oldest first (`i` = 0 … length − 1); NaN outside the window. */
export interface FundingWindow {
  readonly length: number;
  /** Settlement time. */
  ts(i: number): UnixMs;
  /** Decimal rate per interval. */
  rate(i: number): number;
  intervalHours(i: number): number;
}

/** Read-only market data up to `now`. */
export interface MarketView {
  instruments(): readonly Instrument[];
  /** Find a loaded instrument; throws if the run did not load it. */
  instrument(venue: VenueId, symbol: Symbol): Instrument;
  /** Latest closed bar's close (NaN before the first bar). */
  close(instrument: Instrument): number;
  /** Latest mark price (mark series close, else perp close; NaN if none yet). */
  mark(instrument: Instrument): number;
  /** Latest index price (NaN if no index series). */
  index(instrument: Instrument): number;
  /** Number of funding settlements at or before now. */
  fundingCount(instrument: Instrument): number;
  /** The k-th most recent settled rate (k = 0 newest) as a decimal per interval; NaN if none. */
  fundingRate(instrument: Instrument, k?: number): number;
  /** Interval (hours) of the k-th most recent settlement. */
  fundingIntervalHours(instrument: Instrument, k?: number): number;
  /** Settlement time of the k-th most recent settlement. */
  fundingTs(instrument: Instrument, k?: number): UnixMs;
  /**
   * Simple APR of the trailing `lookback` settlements: mean over them of rate × (8760 / intervalHours).
   * NaN if there are none.
   */
  trailingFundingApr(instrument: Instrument, lookback: number): number;
  /** The latest closed bar of an instrument (reused object: do not retain), or null before the first. */
  lastBar(instrument: Instrument): BarEvent | null;
  /**
   * The last `n` closed bars of an instrument (fewer at the start), oldest first: a read-only
   * window over the delivered rows, no copy. Safe to keep: it never grows past the `now` it was taken at.
   */
  bars(instrument: Instrument, n: number): BarWindow;
  /** The last `n` funding settlements at or before now (history included), oldest first; read-only, no copy. */
  fundingHistory(instrument: Instrument, n: number): FundingWindow;
  /** Bar duration of the run, ms. */
  readonly timeframeMs: number;
}

/** Read-only view of one perp margin account. */
export interface PerpAccountView {
  readonly venue: VenueId;
  /** Margin balance: wallet balance + unrealized PnL, quote units. */
  marginBalance(): number;
  walletBalance(): number;
  unrealizedPnl(): number;
  maintenanceMargin(): number;
  /** maintenance margin / margin balance (Binance definition): liquidation at ≥ 1. 0 with no position. */
  marginRatio(): number;
  /** Estimated liquidation price of the position in `instrument` (NaN if flat). */
  liquidationPrice(instrument: Instrument): number;
  /**
   * For a short position in `instrument`: a mark below which {@link marginRatio} stays below
   * `ratio`, all else held (a safe `wakeIf` level for {@link StrategyContext.sleep}). NaN for a long
   * (its ratio is not monotone in the mark), when the position is not the account's only open perp,
   * or when the ratio is already reached.
   */
  markAtMarginRatio(instrument: Instrument, ratio: number): number;
  /** 'cross' (default) or 'isolated'. */
  marginMode(): 'cross' | 'isolated';
  /** Cash that can be transferred out now (wallet + min(0, uPnL) − initial margin; isolated: free cash). */
  withdrawable(): number;
}

/** Read-only portfolio view. */
export interface PortfolioView {
  /** Total equity across venues and accounts, quote units, marked at the latest prices. */
  equity(): number;
  /** Signed position qty (base units) in an instrument; spot may be negative when borrowed. */
  position(instrument: Instrument): number;
  /** Quote cash in a venue's spot wallet (negative when borrowed). */
  spotCash(venue: VenueId): number;
  perpAccount(venue: VenueId): PerpAccountView;
  /** Average entry price of a perp position (NaN if flat or spot). */
  entryPrice(instrument: Instrument): number;
  /** Spot wallet value (cash + holdings at the latest close) of a venue. */
  spotEquity(venue: VenueId): number;
  /** Capital deposited at the start (quote units, in the first venue's spot wallet). */
  readonly initialCapital: number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** What a strategy gets in every hook. */
export interface StrategyContext {
  /** Current simulation time. */
  readonly now: UnixMs;
  readonly market: MarketView;
  readonly portfolio: PortfolioView;
  /** Validated params with defaults. */
  readonly params: Readonly<ParamValues>;
  /** Seeded PRNG (seedrandom from the run seed) in [0, 1). */
  rng(): number;
  readonly log: Logger;
  /** Submit an order (market by default, or limit); returns its id. A market order fills at the next bar's open by default. */
  order(request: OrderRequest): number;
  /** Submit a paired hedge; returns the two order ids [long, short]. */
  hedge(request: HedgeRequest): [number, number];
  /** The orders that have not filled yet (pending and resting limit orders). */
  readonly orders: OrdersView;
  /**
   * Cancel an order that has not filled; returns false if there is none with that id (filled,
   * refused or already cancelled). Cancelling either leg of a hedge cancels both while neither filled.
   */
  cancel(orderId: number): boolean;
  /**
   * Move quote cash between accounts; returns the amount moved now (0 when a scenario refuses it:
   * venue down or withdrawals frozen, or delays it: it arrives later, a warning says when).
   */
  transfer(request: TransferRequest): number;
  /** Fire `onTimer` at `atMs` (> now) with `tag`. */
  setTimer(atMs: UnixMs, tag?: string): void;
  /** Set a perp's leverage (initial margin = notional / leverage; isolated margin allocated on open). */
  setLeverage(instrument: Instrument, leverage: number): void;
  /** Set a venue's perp margin mode; only while that account is flat. Default 'cross'. */
  setMarginMode(venue: VenueId, mode: 'cross' | 'isolated'): void;
  /**
   * Promise that `onBar` would do nothing until a price level in `request.wakeIf` is reached,
   * `request.untilMs` passes, or something else happens: until then the engine calls no `onBar`
   * (for any instrument). Anything else ends the sleep: any other hook (fill, refusal, funding
   * settlement of any instrument — with or without `onFunding` —, timer, liquidation, ADL, broken
   * hedge) and any change of the portfolio (a transfer arriving, interest booked). `onBar` is
   * called again at the first bar where a level is reached (price ≥ `above` or ≤ `below`, read
   * as `ctx.market.mark()` / `close()` would read it then). A run's results are the same as
   * without the sleep when the promise holds; the engine uses the stretch to replay the quiet
   * bars in bulk (docs/strategies.md, "Sleeping"). A new call replaces the previous sleep.
   */
  sleep(request?: SleepRequest): void;
}

/** A price level that ends a sleep (see {@link StrategyContext.sleep}). */
export interface WakeLevel {
  instrument: Instrument;
  /** `mark`: the latest mark (perps; the perp's close without a mark series); `close`: the latest OHLCV close. */
  price: 'mark' | 'close';
  /** Wake when the price is at or above this. */
  above?: number;
  /** Wake when the price is at or below this. */
  below?: number;
}

/** What ends a sleep besides any other hook or a portfolio change (see {@link StrategyContext.sleep}). */
export interface SleepRequest {
  /** Wake at the first bar at or after this time, ms. */
  untilMs?: UnixMs;
  /** Wake at the first bar where one of these levels is reached. */
  wakeIf?: readonly WakeLevel[];
}
