/**
 * The backtest engine: replays {@link MarketData} through a strategy against the simulated venues
 * and portfolio. One synchronous loop over the precomputed merge order; event objects are reused.
 *
 * Same-timestamp rule, at each instant t (tested in test/engine/ordering.test.ts):
 *  1. Bars that ended at t (delivered at open + timeframe) are absorbed in source order mark →
 *     OHLCV → index: prices update, and each perp's liquidation is checked against the adverse
 *     extreme of its mark bar (high for shorts, low for longs; perp OHLCV if it has no mark
 *     series). These bars describe [t − timeframe, t), i.e. events before t.
 *     `onLiquidation` runs for each liquidation found. Then auto-deleveraging (ADL) events at t:
 *     those a liquidation of this instant triggered (its bar never traded at its liquidation
 *     price) and those a scenario schedules in (previous instant, t]; each ranks the account's
 *     profitable perps on the venue and closes a share (src/venue/adl.ts); `onAdl` per close.
 *  2. Funding settlements at t are applied to the position held over them (cash moves), mark =
 *     the row's mark_price, else the close of the mark bar ending at t (the latest mark), else the
 *     close of the perp bar ending at t (no mark series); `onFunding`. Step 1 before step 2: a
 *     position liquidated inside [t − timeframe, t) is not held over the settlement at t.
 *     When the bars are at another phase than the settlements (Bybit/OKX 8h bars open at 04/12/20
 *     UTC, settlements at 00/08/16), no bar ends at t: the mark is the latest close at or before t
 *     (mark series, else perp), i.e. of the bar that ended 4 h earlier; never a later bar.
 *  3. `onBar` for each OHLCV bar delivered at t (instrument order).
 *  4. Timers due at t (`onTimer`).
 *  5. Orders placed so far fill: at the open of each instrument's bar that opens at t
 *     (`next-open`) or at the latest close (`close`), plus slippage; `onFill` runs (orders placed
 *     there fill in the same step). Then interest accrues and equity is sampled.
 * Resting limit orders are shown the bars of step 1 right after it (after interest and
 * `onLiquidation`, before funding): a bar of [t − timeframe, t) that traded through a resting
 * order's price filled it inside that bar, so the fill is booked at t before the settlement at t
 * and before `onBar` (a strategy cannot cancel an order the bar it is about to see has filled).
 * At the end of the window, after `onEnd`, every open position is closed at its last close with
 * the fill model's slippage and taker fee (trades tagged `close-at-end`), unless `closeAtEnd` is
 * false (`--mark-to-market-end`): then the book is only marked at the last prices.
 * Timers set between bar instants fire at their own time (steps 4–5 only).
 *
 * Series at different phases (test/engine/phases.test.ts): every series keeps its own bar times;
 * the merge orders all deliveries by time, so instruments whose bars open at 00/08/16 and at
 * 04/12/20 UTC give instants every 4 h, each carrying only the bars that ended then. Equity is
 * sampled at every instant where a bar of ANY series ends (all run series share the timeframe),
 * each instrument valued at its latest close. A `next-open` order fills, per instrument, at the
 * first bar of that instrument opening at or after the order, so the legs of a hedge across such
 * venues fill at their own venues' next opens (4 h apart).
 */
import seedrandom from 'seedrandom';
import type { UnixMs } from '../core/time.js';
import { isoUtc } from '../core/time.js';
import { threadCpuMs } from '../core/thread-cpu.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import type { FillAt, FillQuote } from '../venue/fill.js';
import type { FeeModel } from '../venue/fee.js';
import type { BarOHLCV, SlippageInput, SlippageModel } from '../venue/slippage.js';
import { adlClosePrice, liquidationNeedsAdl, planAdl, queueAdlModel, venueAdlParams, type AdlModel, type AdlModelParams, type AdlPositionInput } from '../venue/adl.js';
import type { VenueConditions } from '../scenario/venue-conditions.js';
import type { MarginModel } from '../venue/margin.js';
import type { InterestModel } from '../venue/interest.js';
import { fundingMarkPrice } from '../venue/funding.js';
import { tradeThroughLimitFill, type LimitFillModel } from '../venue/limit-fill.js';
import { Portfolio } from '../portfolio/portfolio.js';
import { PriceStore } from '../portfolio/prices.js';
import { EquitySampler } from '../portfolio/equity.js';
import type { AdlEvent, ParamValues, RejectEvent, Strategy, StrategyContext, TransferRequest } from '../strategy/types.js';
import type { BarSeries, MarketData } from './data.js';
import { BarCursor, MarketCursor, createMarketView, moveBarCursor } from './market-view.js';
import { createPortfolioView } from './portfolio-view.js';
import { OrderBook, type EndOfRun, type OrderStats, type PendingOrder } from './order-book.js';
import { TimerQueue, type Timer } from './timers.js';
import { createContext, type Clock } from './context.js';
import { buildEventSources, K_FUNDING, K_MARK, K_OHLCV, loopColumns, type EventSources } from './sources.js';
import { InstantWalk, instantJumps } from '../replay/instants.js';
import { SleepState, type SleepMode } from './sleep.js';
import { QuietSkip } from './quiet-skip.js';
import {
  FillEventSlot,
  FundingEventSlot,
  HedgeBrokenEventSlot,
  type HedgeBrokenFields,
  LiquidationEventSlot,
  RejectEventSlot,
  TimerEventSlot,
  setFillEvent,
  setFundingEvent,
  setHedgeBrokenEvent,
  setLiquidationEvent,
  setRejectEvent,
  setTimerEvent,
} from './events.js';

/** Models and settings of one engine run. */
export interface EngineOptions {
  /** Venues of the run, in order; the capital is deposited in the first one's spot wallet. */
  venues?: readonly VenueId[];
  capital: number;
  seed: number;
  fillAt: FillAt;
  fees: FeeModel;
  slippage: SlippageModel;
  margin: MarginModel;
  interest: InterestModel;
  allowSpotBorrow?: boolean;
  /** When a resting limit order fills. Default: `trade-through` with its default params. */
  limitFill?: LimitFillModel;
  /**
   * Close every open position after `onEnd` at its last close, with slippage and taker fee
   * (trades tagged `close-at-end`). Default true; false marks the book to market instead.
   */
  closeAtEnd?: boolean;
  params: ParamValues;
  /** Venue shocks of the run's scenarios: outages, transfer delays, liquidity, scheduled ADL. */
  conditions?: VenueConditions;
  /** ADL model params over each venue's preset ({@link venueAdlParams}). */
  adl?: Partial<AdlModelParams>;
  /** Called with the fraction done, about every 2^18 events. */
  onProgress?: (fraction: number) => void;
  /** Called after each equity sample with its index (tests check the accounting identity here). */
  onSample?: (index: number, ts: UnixMs, portfolio: Portfolio, samples: EquitySampler) => void;
  /**
   * What `ctx.sleep` does: `skip` (default) honours it and replays quiet stretches in bulk
   * (src/engine/quiet-skip.ts); `step` honours it instant by instant; `ignore` calls `onBar` at
   * every bar. The three give the same results when the strategy's sleeps keep their promise.
   */
  sleep?: SleepMode;
  /** Receives strategy and engine log lines. */
  onLog?: (level: 'info' | 'warn', ts: UnixMs, message: string) => void;
}

/** Output of {@link runEngine}. */
export interface EngineResult {
  portfolio: Portfolio;
  samples: EquitySampler;
  /** Events replayed (bar closes + settlements in the window). */
  events: number;
  /** Of those, bar events replayed in bulk while the strategy slept (src/engine/quiet-skip.ts). */
  quietEvents: number;
  /** Building the event sources plus reading the columns the loop takes from disk (sources.ts loopColumns), ms. */
  mergeMs: number;
  loopMs: number;
  /** CPU time (user + system) of the loop, ms: steadier than wall time on a busy machine. */
  loopCpuMs: number;
  /** CPU time of the loop's own thread, ms (NaN off Linux): without the JIT and GC threads. */
  loopThreadCpuMs: number;
  rejected: number;
  /** Rejected orders by reason, expired limit orders, refused and broken hedges, maker fills. */
  orders: OrderStats;
  /** How the book was left at the end of the window. */
  endOfRun: EndOfRun;
  log: { level: 'info' | 'warn'; ts: UnixMs; message: string }[];
}

const PROGRESS_STEP = 1 << 18;

/**
 * One run of a strategy over prepared market data. Construction builds the merged event stream,
 * the portfolio, the sealed views and the order book; {@link Engine.run} replays. The market data
 * is only read, so many engines can share one prepared {@link MarketData}.
 */
export class Engine {
  readonly portfolio: Portfolio;
  readonly samples: EquitySampler;
  readonly log: EngineResult['log'] = [];
  private readonly market: MarketData;
  private readonly strategy: Strategy;
  private readonly opts: EngineOptions;
  private readonly venues: VenueId[];
  private readonly src: EventSources;
  /** Per source, the columns the replay loop reads as plain arrays (sources.ts loopColumns). */
  private readonly loopBars: (BarSeries | null)[];
  /** The run's walk over the sources' instants (per source, the rows delivered at the current one). */
  private readonly walk: InstantWalk;
  /** The strategy's `ctx.sleep`, and the bulk replay of quiet stretches (null unless mode `skip`). */
  private readonly sleep: SleepState;
  private readonly quiet: QuietSkip | null;
  /** Sources before this position of the walk's order are bar sources; from it on, funding. */
  private readonly barSources: number;
  private readonly N: number;
  private readonly mergeMs: number;
  private readonly prices: PriceStore;
  private readonly cursor: MarketCursor;
  private readonly hasMark: Uint8Array;
  private readonly byKey = new Map<string, Instrument>();
  private readonly clock: Clock;
  private readonly book: OrderBook;
  private readonly timers = new TimerQueue();
  private readonly ctx: StrategyContext;
  private readonly barEv: BarCursor;
  private readonly fundEv: FundingEventSlot;
  private readonly fillEv: FillEventSlot;
  private readonly liqEv: LiquidationEventSlot;
  private readonly rejEv: RejectEventSlot;
  private readonly timerEv = new TimerEventSlot();
  /** The run's slippage model (a fresh instance for models with market state). */
  private readonly slippage: SlippageModel;
  /** Its per-bar hook, if it keeps market state; null for stateless models. */
  private readonly observeBar: ((instrumentId: number, bar: BarOHLCV) => void) | null;
  private readonly observedBar: BarOHLCV = { open: NaN, high: NaN, low: NaN, close: NaN, volume: NaN };
  private readonly brokenEv: HedgeBrokenEventSlot;
  private endOfRun: EndOfRun = { mode: 'close', closed: 0, fees: 0, slippage: 0, failed: 0 };
  /** Whether the current instant delivered an OHLCV bar. */
  private sawBar = false;
  private nextProgress = PROGRESS_STEP;
  private readonly conditions: VenueConditions | null;
  /** ADL: models per venue, the draws' own PRNG, the next scheduled event, venues triggered this instant. */
  private readonly adlModels = new Map<VenueId, AdlModel>();
  private readonly adlRng: () => number;
  private nextAdl = 0;
  private readonly adlTriggered: { venue: VenueId; asset: string }[] = [];
  /** Transfers in flight (scenario delays), by arrival. */
  private readonly inFlight: { arriveMs: UnixMs; req: TransferRequest; target: number }[] = [];

  constructor(market: MarketData, strategy: Strategy, opts: EngineOptions) {
    const tMerge0 = performance.now();
    this.market = market;
    this.strategy = strategy;
    this.opts = opts;
    const instruments = market.instruments;
    const ni = instruments.length;
    // Accounts for the run's venues (in the order given; the capital goes to the first) plus any
    // venue a strategy's universe added.
    this.venues = [...(opts.venues ?? [])];
    for (const ins of instruments) if (!this.venues.includes(ins.venue)) this.venues.push(ins.venue);
    for (const ins of instruments) this.byKey.set(`${ins.venue}|${ins.symbol}`, ins);
    this.src = buildEventSources(market);
    this.walk = new InstantWalk(this.src.merge);
    this.barSources = this.src.kind.filter((k) => k !== K_FUNDING).length;
    this.N = this.src.events;
    this.mergeMs = performance.now() - tMerge0;

    this.prices = new PriceStore(ni);
    this.cursor = new MarketCursor(ni);
    for (let i = 0; i < ni; i++) this.cursor.fundingCount[i] = market.funding[i] ? this.src.fundingStart[i]! : 0;
    this.hasMark = Uint8Array.from(market.mark, (m) => (m ? 1 : 0));
    this.portfolio = new Portfolio({ instruments, venues: this.venues, margin: opts.margin, interest: opts.interest, allowSpotBorrow: opts.allowSpotBorrow ?? false, prices: this.prices });
    const slippage = opts.slippage.forRun?.({ instrumentCount: ni, timeframeMs: market.timeframeMs }) ?? opts.slippage;
    const observe = slippage.observeBar;
    this.observeBar = observe ? observe.bind(slippage) : null;
    // The columns the loop and the sampler read, taken once (a loaded column is read from disk on
    // first access: that reading is load time, so it counts in mergeMs, which the CLI adds to it).
    const tCols0 = performance.now();
    const cols = loopColumns(market, this.src, { observeBars: observe !== undefined });
    this.loopBars = cols.bySource;
    makeResident(cols.taken);
    this.mergeMs += performance.now() - tCols0;
    // The sampler reads closes and marks from the bars the price store is fed from (absorb below).
    const markBars = instruments.map((ins, i) => (ins.type !== 'perp' ? null : (cols.mark[i] ?? cols.ohlcv[i]!)));
    this.samples = new EquitySampler(this.portfolio, { close: cols.ohlcv, mark: markBars, offsetMs: market.timeframeMs });
    this.clock = { now: market.fromMs };
    this.conditions = opts.conditions?.active ? opts.conditions : null;
    this.slippage = this.conditions ? withLiquidityShocks(slippage, this.conditions) : slippage;
    // A PRNG of its own, so ADL draws do not shift the strategy's ctx.rng draws and vice versa.
    this.adlRng = seedrandom(`${opts.seed}:adl`);
    this.book = new OrderBook({
      instruments,
      bars: market.bars,
      timeframeMs: market.timeframeMs,
      cursor: this.cursor,
      prices: this.prices,
      portfolio: this.portfolio,
      clock: this.clock,
      fillAt: opts.fillAt,
      fees: opts.fees,
      slippage: this.slippage,
      venueGate: (venue, now) => {
        const o = this.conditions?.outage(venue, now);
        return o ? o.orders : 'open';
      },
      limitFill: opts.limitFill ?? tradeThroughLimitFill(),
      logRejected: (o, reason) => this.logRejected(o, reason),
      onRejected: (o, reason) => this.tellRejected(o, reason),
      onFilled: (o, qty, quote) => this.tellFilled(o, qty, quote),
      onHedgeBroken: (f) => this.tellHedgeBroken(f),
    });
    const first = instruments[0]!;
    this.barEv = new BarCursor(first, market.bars[0]!);
    this.fundEv = new FundingEventSlot(first);
    this.fillEv = new FillEventSlot(first);
    this.liqEv = new LiquidationEventSlot(first);
    this.rejEv = new RejectEventSlot(first);
    this.brokenEv = new HedgeBrokenEventSlot(first);
    this.sleep = new SleepState(opts.sleep ?? 'skip');
    const checkInstrument = (ins: Instrument, what: string): number => this.book.checkInstrument(ins, what);
    const isPerp = (i: number): boolean => this.portfolio.isPerp[i] === 1;
    this.quiet =
      this.sleep.mode === 'skip'
        ? new QuietSkip({ walk: this.walk, jumps: instantJumps(this.walk), barSources: this.barSources, src: this.src, loopBars: this.loopBars, prices: this.prices, cursor: this.cursor, hasMark: this.hasMark, portfolio: this.portfolio, samples: this.samples, timers: this.timers, sleep: this.sleep, clock: this.clock })
        : null;
    this.ctx = createContext({
      clock: this.clock,
      market: createMarketView(market, this.cursor, this.prices),
      portfolioView: createPortfolioView(this.portfolio, opts.capital),
      portfolio: this.portfolio,
      params: opts.params,
      seed: opts.seed,
      book: this.book,
      orders: this.book.view,
      timers: this.timers,
      emit: (level, message) => this.emit(level, message),
      sleep: (req) => this.sleep.begin(req, this.portfolio.stateVersion, checkInstrument, isPerp),
      transfer: (req, target) => this.transfer(req, target),
    });
  }

  /** Replay the whole window: start, every instant, the end. */
  run(): EngineResult {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const thread0 = threadCpuMs();
    this.start();
    const walk = this.walk;
    try {
      this.replay();
    } catch (e) {
      // Say when it happened; the stack says where (strategy code or engine).
      if (e instanceof Error) e.message = `at ${isoUtc(this.clock.now)} (event ${walk.delivered} of ${this.N}): ${e.message}`;
      throw e;
    }
    this.finish();
    const loopMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const loopThreadCpuMs = threadCpuMs() - thread0;
    this.opts.onProgress?.(1);
    return { portfolio: this.portfolio, samples: this.samples, events: this.N, quietEvents: this.quiet?.events ?? 0, mergeMs: this.mergeMs, loopMs, loopCpuMs: (cpu.user + cpu.system) / 1000, loopThreadCpuMs, rejected: this.book.rejected, orders: this.book.stats, endOfRun: this.endOfRun, log: this.log };
  }

  /**
   * Every instant of the window. No time is passed as an argument: the instant's time lives in
   * `walk.now` and `clock.now` (float64 fields, written in place), because a float64 handed to a
   * call the compiler does not inline is boxed — a heap allocation per instant and per call.
   */
  private replay(): void {
    const walk = this.walk;
    while (walk.step()) {
      this.instant();
      if (this.quiet !== null && this.isQuiet()) {
        this.quiet.skip();
        this.reportProgress(walk.delivered);
      }
    }
  }

  /**
   * Whether the instants ahead can only move prices (src/engine/quiet-skip.ts): the strategy
   * sleeps or takes no bars, and nothing is pending or stateful.
   */
  private isQuiet(): boolean {
    return (
      (this.sleep.active || this.strategy.onBar === undefined) &&
      this.book.size === 0 &&
      this.book.restingCount === 0 &&
      this.inFlight.length === 0 &&
      this.conditions === null &&
      this.observeBar === null &&
      this.opts.onSample === undefined &&
      this.adlTriggered.length === 0
    );
  }

  private start(): void {
    const from = this.market.fromMs;
    this.portfolio.deposit(from, this.venues[0]!, this.opts.capital);
    this.portfolio.accrueInterest(from);
    this.strategy.onStart?.(this.ctx);
    this.book.process(this.clock.now, false);
  }

  /**
   * Process one instant: every event the walk delivered at `t`. The same-timestamp rule of the
   * module comment, step by step.
   */
  private instant(): void {
    const t = this.walk.now;
    this.fireTimersBefore(t);
    this.clock.now = t;
    if (this.inFlight.length) this.arriveTransfers(t);
    const liqBefore = this.portfolio.liquidations.length;
    this.absorbBarsAndCheckLiquidations();
    this.accrueInterest(t);
    if (this.portfolio.liquidations.length !== liqBefore) this.notifyLiquidations(liqBefore);
    if (this.conditions !== null || this.adlTriggered.length > 0) this.deleverage(t);
    this.fillRestingOrders(t);
    this.settleFunding(t);
    this.deliverBars();
    this.fireTimersAt(t);
    this.processOrders(t);
    this.sampleEquity(t);
    this.reportProgress(this.walk.delivered);
  }

  /**
   * Step 1: absorb the bars ending at t (mark → OHLCV → index): prices and the market cursor
   * move, each perp is checked for liquidation on its mark bar's adverse extreme.
   */
  private absorbBarsAndCheckLiquidations(): void {
    const t = this.clock.now;
    const { prices, cursor, hasMark, portfolio } = this;
    const { order, first, next } = this.walk;
    const { kind: srcKind, inst: srcInst } = this.src;
    const srcBars = this.loopBars;
    const isPerp = portfolio.isPerp;
    const qty = portfolio.qty;
    let sawBar = false;
    for (let p = 0; p < this.barSources; p++) {
      const s = order[p]!;
      const kind = srcKind[s]!;
      const i = srcInst[s]!;
      const b = srcBars[s]!;
      for (let r = first[s]!; r < next[s]!; r++) {
        if (kind === K_OHLCV) {
          sawBar = true;
          cursor.bar[i] = r;
          prices.setClose(i, b.close[r]!);
          if (hasMark[i] === 0 && isPerp[i]) {
            prices.setMark(i, b.close[r]!);
            if (qty[i] !== 0 && portfolio.checkLiquidation(t, i, b.high[r]!, b.low[r]!)) this.checkAdlTrigger(i, b.high[r]!, b.low[r]!);
          }
          if (this.observeBar !== null) this.feedSlippage(i, b, r);
        } else if (kind === K_MARK) {
          cursor.mark[i] = r;
          prices.setMark(i, b.close[r]!);
          if (qty[i] !== 0 && portfolio.checkLiquidation(t, i, b.high[r]!, b.low[r]!)) this.checkAdlTrigger(i, b.high[r]!, b.low[r]!);
        } else {
          cursor.index[i] = r;
        }
      }
    }
    this.sawBar = sawBar;
  }

  /** A slippage model with market state sees every closed OHLCV bar. */
  private feedSlippage(i: number, b: BarSeries, r: number): void {
    const x = this.observedBar;
    x.open = b.open[r]!;
    x.high = b.high[r]!;
    x.low = b.low[r]!;
    x.close = b.close[r]!;
    x.volume = b.volume[r]!;
    this.observeBar!(i, x);
  }

  /**
   * Step 2: interest for the hours that ended at or before t, charged in arrears on the balances
   * held over them (before any hook or order at t can change them), valued at the closes at t.
   */
  private accrueInterest(t: UnixMs): void {
    this.portfolio.accrueInterest(t);
  }

  /** Tell the strategy about the liquidations step 1 found. */
  private notifyLiquidations(from: number): void {
    this.sleep.end();
    const liqs = this.portfolio.liquidations;
    for (let l = from; l < liqs.length; l++) {
      const r = liqs[l]!;
      this.emit('warn', `liquidated ${r.qty} ${r.symbol} on ${r.venue} at ${r.price} (${isoUtc(r.ts)})`);
      if (this.strategy.onLiquidation) this.strategy.onLiquidation(this.ctx, setLiquidationEvent(this.liqEv, this.byKey.get(`${r.venue}|${r.symbol}`)!, r.ts, r.qty, r.price, r.fee));
    }
  }

  /** A liquidation found in step 1 that its bar never traded at: the venue deleverages this instant. */
  private checkAdlTrigger(i: number, high: number, low: number): void {
    const r = this.portfolio.liquidations[this.portfolio.liquidations.length - 1]!;
    if (!liquidationNeedsAdl(r.qty, r.price, high, low)) return;
    const ins = this.market.instruments[i]!;
    if (!this.adlTriggered.some((x) => x.venue === ins.venue)) this.adlTriggered.push({ venue: ins.venue, asset: '' });
  }

  /**
   * Step 1b: ADL events at t — triggered by this instant's liquidations, or scheduled by a scenario
   * in (previous instant, t]. Each ranks the account's profitable perps on its venue (of its asset,
   * if given) with the venue's model and closes a share of each ranked one; `onAdl` per close.
   */
  private deleverage(t: UnixMs): void {
    // No `?? []` here: that allocated an array at every instant of a run without scenarios.
    const sched = this.conditions?.adl;
    while (sched !== undefined && this.nextAdl < sched.length && sched[this.nextAdl]!.shock.atMs <= t) {
      const a = sched[this.nextAdl++]!;
      this.runAdlEvent(t, a.shock.venue, a.shock.asset, a.shock.share, `scenario:${a.scenario}`);
    }
    if (this.adlTriggered.length === 0) return;
    for (const x of this.adlTriggered) this.runAdlEvent(t, x.venue, x.asset, NaN, 'liquidation');
    this.adlTriggered.length = 0;
  }

  private adlModel(venue: VenueId): AdlModel {
    let m = this.adlModels.get(venue);
    if (!m) {
      m = queueAdlModel(venueAdlParams(venue, this.opts.adl));
      this.adlModels.set(venue, m);
    }
    return m;
  }

  private runAdlEvent(t: UnixMs, venue: VenueId, asset: string, share: number, cause: string): void {
    this.sleep.end();
    const pf = this.portfolio;
    if (!this.venues.includes(venue)) {
      this.emit('warn', `ADL on ${venue} (${cause}): no account on ${venue} in this run; nothing deleveraged`);
      return;
    }
    const v = pf.venueIndex(venue);
    const instruments = this.market.instruments;
    const positions: AdlPositionInput[] = [];
    const wallet = pf.perpWallet(v);
    const mm = pf.perpMaintenance(v);
    const value = pf.perpEquity(v);
    for (const ins of instruments) {
      const i = ins.id;
      const q = pf.qty[i]!;
      if (!pf.isPerp[i] || ins.venue !== venue || q === 0 || (asset && ins.base !== asset)) continue;
      const mark = this.prices.mark[i]!;
      positions.push({ instrumentId: i, qty: q, entryPrice: pf.entry[i]!, markPrice: mark, unrealizedPnl: q * (mark - pf.entry[i]!), walletBalance: wallet, maintenanceMargin: mm, accountValue: value });
    }
    const model = this.adlModel(venue);
    const plan = planAdl(model, positions, this.adlRng, share);
    if (plan.length === 0) {
      this.emit('info', `ADL on ${venue}${asset ? ` ${asset}` : ''} (${cause}): no profitable perp position hit`);
      return;
    }
    for (const c of plan) {
      const i = c.instrumentId;
      const q = pf.qty[i]!;
      const row = this.cursor.bar[i]!;
      const bars = this.market.bars[i]!;
      const mark = this.prices.mark[i]!;
      const price = adlClosePrice(q, mark, row >= 0 ? bars.high[row]! : NaN, row >= 0 ? bars.low[row]! : NaN, model.params.price);
      const rec = pf.adlClose(t, i, c.share * Math.abs(q), price, mark, { share: c.share, score: c.score, light: c.light, cause });
      if (!rec) continue;
      this.emit('warn', `auto-deleveraged ${rec.qty} ${rec.symbol} on ${venue} at ${price} (mark ${mark}, share ${c.share.toFixed(3)}, light ${c.light}, ${cause})`);
      if (this.strategy.onAdl) {
        const ev: AdlEvent = Object.freeze({ instrument: instruments[i]!, ts: t, qty: rec.qty, remainingQty: pf.qty[i]!, share: c.share, price, markPrice: mark, score: c.score, light: c.light, cause });
        this.strategy.onAdl(this.ctx, ev);
      }
    }
  }

  /** `ctx.transfer`: now, later (a scenario delay), or refused (venue down, withdrawals frozen). */
  private transfer(req: TransferRequest, target: number): number {
    const now = this.clock.now;
    const verdict = this.conditions?.transfer(req.fromVenue, req.toVenue, now) ?? { kind: 'now' as const };
    if (verdict.kind === 'refused') {
      this.emit('warn', `transfer of ${req.amount} from ${req.fromVenue} ${req.fromAccount} to ${req.toVenue} ${req.toAccount} refused: ${verdict.reason}`);
      return 0;
    }
    if (verdict.kind === 'delayed') {
      this.inFlight.push({ arriveMs: verdict.arriveMs, req: { ...req }, target });
      this.inFlight.sort((a, b) => a.arriveMs - b.arriveMs);
      this.emit('warn', `transfer of ${req.amount} from ${req.fromVenue} to ${req.toVenue} delayed to ${isoUtc(verdict.arriveMs)}: ${verdict.reason}`);
      return 0;
    }
    return this.moveCash(now, req, target);
  }

  private moveCash(now: UnixMs, req: TransferRequest, target: number): number {
    const moved = this.portfolio.transfer(now, req.fromVenue, req.fromAccount, req.toVenue, req.toAccount, req.amount, target);
    if (moved < req.amount * (1 - 1e-9)) this.emit('warn', `transfer of ${req.amount} from ${req.fromVenue} ${req.fromAccount} clamped to ${moved} (available)`);
    return moved;
  }

  /**
   * Delayed transfers due by t move at the start of the instant, before the bars at t, clamped to
   * what the source can release then. Simplification: the cash stays in the source account until
   * it arrives (not in flight in neither account), so the source keeps using it as margin.
   */
  private arriveTransfers(t: UnixMs): void {
    while (this.inFlight.length && this.inFlight[0]!.arriveMs <= t) {
      const x = this.inFlight.shift()!;
      this.moveCash(t, x.req, x.target);
    }
  }

  /** Step 1c: resting limit orders against the bars that closed at t (only when some rest). */
  private fillRestingOrders(t: UnixMs): void {
    if (this.book.restingCount > 0 && this.sawBar) this.book.fillResting(t);
  }

  /** Step 3: funding settlements at t, on the positions held over them; `onFunding`. */
  private settleFunding(t: UnixMs): void {
    const { order, first, next } = this.walk;
    for (let p = this.barSources; p < order.length; p++) {
      const s = order[p]!;
      for (let r = first[s]!; r < next[s]!; r++) this.settleOne(t, s, r);
    }
  }

  /** One settlement: row `r` (within the window) of funding source `s`. */
  private settleOne(t: UnixMs, s: number, row: number): void {
    this.sleep.end();
    const { cursor, portfolio } = this;
    const { inst: srcInst, funding: srcFund, fundingStart } = this.src;
    const onFunding = this.strategy.onFunding;
    const i = srcInst[s]!;
    const f = srcFund[s]!;
    const r = row + fundingStart[i]!;
    cursor.fundingCount[i] = r + 1;
    const mp = fundingMarkPrice({ rowMarkPrice: f.markPrice[r]!, latestMark: this.prices.mark[i]! });
    const q = portfolio.qty[i]!;
    const amount = q === 0 || !(mp > 0) ? 0 : portfolio.applyFunding(t, i, f.rate[r]!, f.intervalHours[r]!, mp);
    if (onFunding) onFunding.call(this.strategy, this.ctx, setFundingEvent(this.fundEv, this.market.instruments[i]!, t, f.rate[r]!, f.intervalHours[r]!, mp, q, amount));
  }

  /** Step 4: `onBar` for each OHLCV bar of this instant, in stream order. */
  private deliverBars(): void {
    const onBar = this.strategy.onBar;
    if (!onBar || !this.sawBar) return;
    if (this.sleep.active && this.sleep.asleep(this.clock.now, this.portfolio.stateVersion, this.prices)) return;
    const { barEv, ctx, strategy } = this;
    const { order, first, next } = this.walk;
    const { kind: srcKind, inst: srcInst, bars: srcBars } = this.src;
    const instruments = this.market.instruments;
    for (let p = 0; p < this.barSources; p++) {
      const s = order[p]!;
      if (srcKind[s] !== K_OHLCV) continue;
      for (let r = first[s]!; r < next[s]!; r++) {
        moveBarCursor(barEv, instruments[srcInst[s]!]!, srcBars[s]!, r);
        onBar.call(strategy, ctx, barEv);
      }
    }
  }

  /** Timers due strictly before t fire at their own instant (interest first, orders after). */
  private fireTimersBefore(t: UnixMs): void {
    const timers = this.timers;
    while (timers.size > 0 && timers.nextAt() < t) {
      const tm = timers.pop();
      this.clock.now = tm.at;
      this.portfolio.accrueInterest(tm.at);
      this.fireTimer(tm);
      if (this.book.size) this.book.process(tm.at, false);
    }
  }

  /** Step 5: timers due at t. */
  private fireTimersAt(t: UnixMs): void {
    while (this.timers.size > 0 && this.timers.nextAt() === t) this.fireTimer(this.timers.pop());
  }

  private fireTimer(tm: Timer): void {
    this.sleep.end();
    if (this.strategy.onTimer) this.strategy.onTimer(this.ctx, setTimerEvent(this.timerEv, tm.at, tm.tag));
  }

  /** Step 6: orders placed so far fill (and those placed in `onFill`). */
  private processOrders(t: UnixMs): void {
    if (this.book.size) this.book.process(t, false);
  }

  /** Step 7: an equity sample at every instant where an OHLCV bar closed. */
  private sampleEquity(t: UnixMs): void {
    if (!this.sawBar) return;
    this.samples.sample(t);
    this.opts.onSample?.(this.samples.length - 1, t, this.portfolio, this.samples);
  }

  private reportProgress(k: number): void {
    if (k < this.nextProgress) return;
    this.nextProgress += PROGRESS_STEP;
    this.opts.onProgress?.(k / this.N);
  }

  /**
   * After the last event: timers due within the window, the last orders (refused if they cannot
   * fill), `onEnd`, and a final sample so the last equity includes every ledger flow.
   */
  private finish(): void {
    const timers = this.timers;
    while (timers.size > 0 && timers.nextAt() <= this.market.toMs) {
      const tm = timers.pop();
      this.clock.now = tm.at;
      this.portfolio.accrueInterest(tm.at);
      this.fireTimer(tm);
    }
    if (this.book.size) this.book.process(this.clock.now, true);
    this.strategy.onEnd?.(this.ctx);
    if (this.book.size) this.book.process(this.clock.now, true);
    this.closeTheBook();
    // Fills placed in onEnd and the closing trades change holdings at the last sample's instant: overwrite it. Cash that
    // moved at a later instant with no bar close (a settlement at the window end while bars close
    // 4 h earlier, interest or timers after the last bar) gets a sample of its own.
    const samples = this.samples;
    if (samples.length > 0 && samples.stale()) {
      if (this.clock.now > samples.lastTs()) samples.sample(this.clock.now);
      else samples.resample(this.clock.now);
      this.opts.onSample?.(samples.length - 1, this.clock.now, this.portfolio, samples);
    }
  }

  /** After onEnd: close every open position at its last close (or leave it marked to market). */
  private closeTheBook(): void {
    if (this.opts.closeAtEnd === false) {
      this.endOfRun = { mode: 'mark-to-market', closed: 0, fees: 0, slippage: 0, failed: 0 };
      return;
    }
    this.endOfRun = this.book.closeAll(this.clock.now);
    if (this.endOfRun.failed > 0) this.emit('warn', `close-at-end: ${this.endOfRun.failed} position(s) could not be closed (no price); they stay marked to market`);
  }

  private emit(level: 'info' | 'warn', message: string): void {
    this.log.push({ level, ts: this.clock.now, message });
    this.opts.onLog?.(level, this.clock.now, message);
  }

  private logRejected(o: PendingOrder, reason: RejectEvent['reason']): void {
    this.emit(reason === 'expired' ? 'info' : 'warn', `order ${o.id} ${o.type === 'limit' ? `limit ${o.price} ` : ''}${o.side} ${Number.isNaN(o.qty) ? `notional ${o.notional}` : o.qty} ${this.market.instruments[o.inst]!.symbol} ${reason === 'expired' ? 'expired' : `rejected: ${reason}`}`);
  }

  private tellRejected(o: PendingOrder, reason: RejectEvent['reason']): void {
    this.sleep.end();
    if (this.strategy.onReject) this.strategy.onReject(this.ctx, setRejectEvent(this.rejEv, o.id, this.market.instruments[o.inst]!, this.clock.now, o.side, o.qty, reason, o.tag));
  }

  private tellFilled(o: PendingOrder, qty: number, quote: FillQuote): void {
    this.sleep.end();
    if (this.strategy.onFill) this.strategy.onFill(this.ctx, setFillEvent(this.fillEv, o.id, this.market.instruments[o.inst]!, this.clock.now, o.side, qty, quote.price, quote.fee, quote.slippage, quote.liquidity ?? 'taker', o.tag));
  }

  private tellHedgeBroken(f: HedgeBrokenFields): void {
    this.sleep.end();
    this.emit('warn', `hedge ${f.longOrderId}/${f.shortOrderId} (${f.tag}) broken: ${f.refused.symbol} leg refused (${f.reason}) after ${f.qty} ${f.filled.symbol} filled; ${f.unwindOrderId ? `unwound by order ${f.unwindOrderId}` : 'filled leg kept (atomic: false)'}`);
    if (this.strategy.onHedgeBroken) this.strategy.onHedgeBroken(this.ctx, setHedgeBrokenEvent(this.brokenEv, f));
  }
}

/** Doubles per 4 KB page. */
const PAGE_DOUBLES = 512;
/** Where {@link makeResident} leaves its reads, so they are not optimized away. */
let _residentProbe = 0;

/**
 * Read one value per page of every column the replay loop takes (sources.ts loopColumns: times,
 * closes, the extremes its liquidation checks read, all five with a bar-observing slippage
 * model) before the replay is timed. On the VMs this was measured on, the first user-space read of
 * a page costs ~10-20 µs even after read() filled it, and the replay's scans met those first
 * touches: ~20-35 ms of a 1m year's loop. Done here they count as load (mergeMs). The process does
 * the same work, except for the extreme its positions never need (a short's scans read the highs,
 * a long's the lows): ~4 MB, ~10 ms, of a 1m year.
 */
function makeResident(columns: readonly Float64Array[]): void {
  let acc = 0;
  for (const col of columns) for (let r = 0; r < col.length; r += PAGE_DOUBLES) acc += col[r]!;
  _residentProbe += acc;
}

/** The run's slippage model with scenario liquidity shocks multiplied in (per fill, by venue and time). */
function withLiquidityShocks(inner: SlippageModel, c: VenueConditions): SlippageModel {
  return { name: inner.name, params: inner.params, bps: (input: SlippageInput) => inner.bps(input) * c.slippageMultiplier(input.instrument.venue, input.ts) };
}

/** Run a strategy over market data. Synchronous; the loop allocates nothing per event. */
export function runEngine(market: MarketData, strategy: Strategy, opts: EngineOptions): EngineResult {
  return new Engine(market, strategy, opts).run();
}
