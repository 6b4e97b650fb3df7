/**
 * The backtest engine: replays {@link MarketData} through a strategy against the simulated venues
 * and portfolio. One synchronous loop over the precomputed merge order; event objects are reused.
 *
 * Same-timestamp rule, at each instant t (tested in test/engine/ordering.test.ts):
 *  1. Bars that ended at t (delivered at open + timeframe) are absorbed in source order mark →
 *     OHLCV → index: prices update, and each perp's liquidation is checked against the adverse
 *     extreme of its mark bar (high for shorts, low for longs; perp OHLCV if it has no mark
 *     series). These bars describe [t − timeframe, t), i.e. events before t.
 *     `onLiquidation` runs for each liquidation found.
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
import type { UnixMs } from '../core/time.js';
import { isoUtc } from '../core/time.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import type { FillAt, FillQuote } from '../venue/fill.js';
import type { FeeModel } from '../venue/fee.js';
import type { BarOHLCV, SlippageModel } from '../venue/slippage.js';
import type { MarginModel } from '../venue/margin.js';
import type { InterestModel } from '../venue/interest.js';
import { fundingMarkPrice } from '../venue/funding.js';
import { Portfolio } from '../portfolio/portfolio.js';
import { PriceStore } from '../portfolio/prices.js';
import { EquitySampler } from '../portfolio/equity.js';
import type { ParamValues, RejectEvent, Strategy, StrategyContext } from '../strategy/types.js';
import type { BarSeries, MarketData } from './data.js';
import { BarCursor, MarketCursor, createMarketView, moveBarCursor } from './market-view.js';
import { createPortfolioView } from './portfolio-view.js';
import { OrderBook, type PendingOrder } from './order-book.js';
import { TimerQueue, type Timer } from './timers.js';
import { createContext, type Clock } from './context.js';
import { buildEventSources, K_FUNDING, K_MARK, K_OHLCV, type EventSources } from './sources.js';
import {
  FillEventSlot,
  FundingEventSlot,
  LiquidationEventSlot,
  RejectEventSlot,
  TimerEventSlot,
  setFillEvent,
  setFundingEvent,
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
  params: ParamValues;
  /** Called with the fraction done, about every 2^18 events. */
  onProgress?: (fraction: number) => void;
  /** Called after each equity sample with its index (tests check the accounting identity here). */
  onSample?: (index: number, ts: UnixMs, portfolio: Portfolio, samples: EquitySampler) => void;
  /** Receives strategy and engine log lines. */
  onLog?: (level: 'info' | 'warn', ts: UnixMs, message: string) => void;
}

/** Output of {@link runEngine}. */
export interface EngineResult {
  portfolio: Portfolio;
  samples: EquitySampler;
  /** Events replayed (bar closes + settlements in the window). */
  events: number;
  mergeMs: number;
  loopMs: number;
  /** CPU time (user + system) of the loop, ms: steadier than wall time on a busy machine. */
  loopCpuMs: number;
  rejected: number;
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
  private readonly ts: Float64Array;
  private readonly srcOf: Uint16Array;
  private readonly rowOf: Uint32Array;
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
  /** Bounds of the current instant's bar group in the stream, and whether it held an OHLCV bar. */
  private groupStart = 0;
  private groupEnd = 0;
  private sawBar = false;
  private nextProgress = PROGRESS_STEP;

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
    this.ts = this.src.stream.ts;
    this.srcOf = this.src.stream.src;
    this.rowOf = this.src.stream.row;
    this.N = this.src.stream.length;
    this.mergeMs = performance.now() - tMerge0;

    this.prices = new PriceStore(ni);
    this.cursor = new MarketCursor(ni);
    for (let i = 0; i < ni; i++) this.cursor.fundingCount[i] = market.funding[i] ? this.src.fundingStart[i]! : 0;
    this.hasMark = Uint8Array.from(market.mark, (m) => (m ? 1 : 0));
    this.portfolio = new Portfolio({ instruments, venues: this.venues, margin: opts.margin, interest: opts.interest, allowSpotBorrow: opts.allowSpotBorrow ?? false, prices: this.prices });
    // One spare slot: a final sample when cash moves after the last bar close (see finish()).
    this.samples = new EquitySampler(this.portfolio, this.src.sampleInstants + 1);
    this.clock = { now: market.fromMs };
    this.slippage = opts.slippage.forRun?.({ instrumentCount: ni, timeframeMs: market.timeframeMs }) ?? opts.slippage;
    const observe = this.slippage.observeBar;
    this.observeBar = observe ? observe.bind(this.slippage) : null;
    this.book = new OrderBook({
      instruments,
      bars: market.bars,
      cursor: this.cursor,
      prices: this.prices,
      portfolio: this.portfolio,
      fillAt: opts.fillAt,
      fees: opts.fees,
      slippage: this.slippage,
      logRejected: (o, reason) => this.logRejected(o, reason),
      onRejected: (o, reason) => this.tellRejected(o, reason),
      onFilled: (o, qty, quote) => this.tellFilled(o, qty, quote),
    });
    const first = instruments[0]!;
    this.barEv = new BarCursor(first, market.bars[0]!);
    this.fundEv = new FundingEventSlot(first);
    this.fillEv = new FillEventSlot(first);
    this.liqEv = new LiquidationEventSlot(first);
    this.rejEv = new RejectEventSlot(first);
    this.ctx = createContext({
      clock: this.clock,
      market: createMarketView(market, this.cursor, this.prices),
      portfolioView: createPortfolioView(this.portfolio, opts.capital),
      portfolio: this.portfolio,
      params: opts.params,
      seed: opts.seed,
      book: this.book,
      timers: this.timers,
      emit: (level, message) => this.emit(level, message),
    });
  }

  /** Replay the whole window: start, every instant, the end. */
  run(): EngineResult {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    this.start();
    let k = 0;
    try {
      while (k < this.N) k = this.instant(k);
    } catch (e) {
      // Say when it happened; the stack says where (strategy code or engine).
      if (e instanceof Error) e.message = `at ${isoUtc(this.clock.now)} (event ${k} of ${this.N}): ${e.message}`;
      throw e;
    }
    this.finish();
    const loopMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    this.opts.onProgress?.(1);
    return { portfolio: this.portfolio, samples: this.samples, events: this.N, mergeMs: this.mergeMs, loopMs, loopCpuMs: (cpu.user + cpu.system) / 1000, rejected: this.book.rejected, log: this.log };
  }

  private start(): void {
    const from = this.market.fromMs;
    this.portfolio.deposit(from, this.venues[0]!, this.opts.capital);
    this.portfolio.accrueInterest(from);
    this.strategy.onStart?.(this.ctx);
    this.book.process(this.clock.now, false);
  }

  /**
   * Process one instant: every event at the time of event `k0`; returns the index of the next
   * instant's first event. The same-timestamp rule of the module comment, step by step.
   */
  private instant(k0: number): number {
    const t = this.ts[k0]!;
    this.fireTimersBefore(t);
    this.clock.now = t;
    const liqBefore = this.portfolio.liquidations.length;
    let k = this.absorbBarsAndCheckLiquidations(t, k0);
    this.accrueInterest(t);
    this.notifyLiquidations(liqBefore);
    k = this.settleFunding(t, k);
    this.deliverBars();
    this.fireTimersAt(t);
    this.processOrders(t);
    this.sampleEquity(t);
    this.reportProgress(k);
    return k;
  }

  /**
   * Step 1: absorb the bars ending at t (mark → OHLCV → index): prices and the market cursor
   * move, each perp is checked for liquidation on its mark bar's adverse extreme.
   */
  private absorbBarsAndCheckLiquidations(t: UnixMs, k0: number): number {
    const { ts, srcOf, rowOf, N, prices, cursor, hasMark, portfolio } = this;
    const { kind: srcKind, inst: srcInst, bars: srcBars } = this.src;
    const isPerp = portfolio.isPerp;
    const qty = portfolio.qty;
    let sawBar = false;
    let k = k0;
    for (; k < N && ts[k] === t; k++) {
      const s = srcOf[k]!;
      const kind = srcKind[s]!;
      if (kind === K_FUNDING) break;
      const r = rowOf[k]!;
      const i = srcInst[s]!;
      const b = srcBars[s]!;
      if (kind === K_OHLCV) {
        sawBar = true;
        cursor.bar[i] = r;
        prices.setClose(i, b.close[r]!);
        if (hasMark[i] === 0 && isPerp[i]) {
          prices.setMark(i, b.close[r]!);
          if (qty[i] !== 0) portfolio.checkLiquidation(t, i, b.high[r]!, b.low[r]!);
        }
        if (this.observeBar !== null) this.feedSlippage(i, b, r);
      } else if (kind === K_MARK) {
        cursor.mark[i] = r;
        prices.setMark(i, b.close[r]!);
        if (qty[i] !== 0) portfolio.checkLiquidation(t, i, b.high[r]!, b.low[r]!);
      } else {
        cursor.index[i] = r;
      }
    }
    this.groupStart = k0;
    this.groupEnd = k;
    this.sawBar = sawBar;
    return k;
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
    const liqs = this.portfolio.liquidations;
    for (let l = from; l < liqs.length; l++) {
      const r = liqs[l]!;
      this.emit('warn', `liquidated ${r.qty} ${r.symbol} on ${r.venue} at ${r.price} (${isoUtc(r.ts)})`);
      if (this.strategy.onLiquidation) this.strategy.onLiquidation(this.ctx, setLiquidationEvent(this.liqEv, this.byKey.get(`${r.venue}|${r.symbol}`)!, r.ts, r.qty, r.price, r.fee));
    }
  }

  /** Step 3: funding settlements at t, on the positions held over them; `onFunding`. */
  private settleFunding(t: UnixMs, k0: number): number {
    const { ts, srcOf, rowOf, N, cursor, portfolio } = this;
    const { inst: srcInst, funding: srcFund, fundingStart } = this.src;
    const onFunding = this.strategy.onFunding;
    let k = k0;
    for (; k < N && ts[k] === t; k++) {
      const s = srcOf[k]!;
      const i = srcInst[s]!;
      const f = srcFund[s]!;
      const r = rowOf[k]! + fundingStart[i]!;
      cursor.fundingCount[i] = r + 1;
      const mp = fundingMarkPrice({ rowMarkPrice: f.markPrice[r]!, latestMark: this.prices.mark[i]! });
      const q = portfolio.qty[i]!;
      const amount = q === 0 || !(mp > 0) ? 0 : portfolio.applyFunding(t, i, f.rate[r]!, f.intervalHours[r]!, mp);
      if (onFunding) onFunding.call(this.strategy, this.ctx, setFundingEvent(this.fundEv, this.market.instruments[i]!, t, f.rate[r]!, f.intervalHours[r]!, mp, q, amount));
    }
    return k;
  }

  /** Step 4: `onBar` for each OHLCV bar of this instant, in stream order. */
  private deliverBars(): void {
    const onBar = this.strategy.onBar;
    if (!onBar || !this.sawBar) return;
    const { srcOf, rowOf, barEv, ctx, strategy } = this;
    const { kind: srcKind, inst: srcInst, bars: srcBars } = this.src;
    const instruments = this.market.instruments;
    for (let e = this.groupStart; e < this.groupEnd; e++) {
      const s = srcOf[e]!;
      if (srcKind[s] !== K_OHLCV) continue;
      moveBarCursor(barEv, instruments[srcInst[s]!]!, srcBars[s]!, rowOf[e]!);
      onBar.call(strategy, ctx, barEv);
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
    // Fills placed in onEnd change holdings at the last sample's instant: overwrite it. Cash that
    // moved at a later instant with no bar close (a settlement at the window end while bars close
    // 4 h earlier, interest or timers after the last bar) gets a sample of its own.
    const samples = this.samples;
    if (samples.length > 0 && samples.stale()) {
      if (this.clock.now > samples.ts[samples.length - 1]!) samples.sample(this.clock.now);
      else samples.resample(this.clock.now);
    }
  }

  private emit(level: 'info' | 'warn', message: string): void {
    this.log.push({ level, ts: this.clock.now, message });
    this.opts.onLog?.(level, this.clock.now, message);
  }

  private logRejected(o: PendingOrder, reason: RejectEvent['reason']): void {
    this.emit('warn', `order ${o.id} ${o.side} ${Number.isNaN(o.qty) ? `notional ${o.notional}` : o.qty} ${this.market.instruments[o.inst]!.symbol} rejected: ${reason}`);
  }

  private tellRejected(o: PendingOrder, reason: RejectEvent['reason']): void {
    if (this.strategy.onReject) this.strategy.onReject(this.ctx, setRejectEvent(this.rejEv, o.id, this.market.instruments[o.inst]!, this.clock.now, o.side, o.qty, reason, o.tag));
  }

  private tellFilled(o: PendingOrder, qty: number, quote: FillQuote): void {
    if (this.strategy.onFill) this.strategy.onFill(this.ctx, setFillEvent(this.fillEv, o.id, this.market.instruments[o.inst]!, this.clock.now, o.side, qty, quote.price, quote.fee, quote.slippage, 'taker', o.tag));
  }
}

/** Run a strategy over market data. Synchronous; the loop allocates nothing per event. */
export function runEngine(market: MarketData, strategy: Strategy, opts: EngineOptions): EngineResult {
  return new Engine(market, strategy, opts).run();
}
