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
import seedrandom from 'seedrandom';
import type { UnixMs } from '../core/time.js';
import { isoUtc } from '../core/time.js';
import type { VenueId } from '../core/ids.js';
import type { Instrument } from '../venue/instrument.js';
import { quoteFill, type FillAt, type FillQuote } from '../venue/fill.js';
import type { FeeModel } from '../venue/fees.js';
import type { SlippageModel } from '../venue/slippage.js';
import type { MarginModel } from '../venue/margin.js';
import type { InterestModel } from '../venue/interest.js';
import { Portfolio, type RejectReason } from '../portfolio/portfolio.js';
import { EquitySampler } from '../portfolio/equity.js';
import { barDeliveryTimes, mergeSources, type MergeSource } from '../replay/merge.js';
import type {
  BarEvent,
  FillEvent,
  FundingEvent,
  HedgeRequest,
  LiquidationEvent,
  Logger,
  MarketView,
  OrderRequest,
  ParamValues,
  PerpAccountView,
  PortfolioView,
  RejectEvent,
  Strategy,
  StrategyContext,
  TimerEvent,
  TransferRequest,
} from '../strategy/types.js';
import type { BarSeries, FundingSeries, MarketData } from './data.js';

/** Event source kinds; their numeric value is the same-timestamp priority. */
const K_MARK = 0;
const K_OHLCV = 1;
const K_INDEX = 2;
const K_FUNDING = 3;

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

interface PendingOrder {
  id: number;
  inst: number;
  side: 'buy' | 'sell';
  /** Base qty, or NaN when sized by notional at fill time. */
  qty: number;
  notional: number;
  tag: string;
  reduceOnly: boolean;
  /** For a hedge's long leg: the short leg order, which copies the long leg's filled qty. */
  pair: PendingOrder | null;
  /** For a hedge's short leg: waiting for the long leg. */
  waitsForPair: boolean;
}

interface Timer {
  at: UnixMs;
  seq: number;
  tag: string;
}

/**
 * The reused bar event: a cursor (series, row) with getters, so a hook that only looks at
 * `bar.instrument` costs no column reads.
 */
class BarCursor implements BarEvent {
  instrument: Instrument;
  series: BarSeries;
  row = 0;
  constructor(instrument: Instrument, series: BarSeries) {
    this.instrument = instrument;
    this.series = series;
  }
  get openTs(): number {
    return this.series.ts[this.row]!;
  }
  get open(): number {
    return this.series.open[this.row]!;
  }
  get high(): number {
    return this.series.high[this.row]!;
  }
  get low(): number {
    return this.series.low[this.row]!;
  }
  get close(): number {
    return this.series.close[this.row]!;
  }
  get volume(): number {
    return this.series.volume[this.row]!;
  }
}

/** Distinct times in the stream that carry an OHLCV bar (the equity sample instants). */
function countSampleInstants(ts: Float64Array, src: Uint16Array, isOhlcv: Uint8Array): number {
  let n = 0;
  let lastT = NaN;
  for (let k = 0; k < ts.length; k++) {
    if (isOhlcv[src[k]!] === 1 && ts[k] !== lastT) {
      n++;
      lastT = ts[k]!;
    }
  }
  return n;
}

/** Run a strategy over market data. Synchronous; the loop allocates nothing per event. */
export function runEngine(market: MarketData, strategy: Strategy, opts: EngineOptions): EngineResult {
  const tMerge0 = performance.now();
  const instruments = market.instruments;
  const ni = instruments.length;
  // Accounts for the run's venues (in the order given; the capital goes to the first) plus any
  // venue a strategy's universe added.
  const venues: VenueId[] = [...(opts.venues ?? [])];
  for (const ins of instruments) if (!venues.includes(ins.venue)) venues.push(ins.venue);
  const tfMs = market.timeframeMs;

  // ---- sources
  const sources: MergeSource[] = [];
  const srcKind: number[] = [];
  const srcInst: number[] = [];
  const srcBars: (BarSeries | null)[] = [];
  const srcFund: (FundingSeries | null)[] = [];
  /** First funding row inside the window per instrument (rows before are history). */
  const fundStart = new Int32Array(ni);
  const addBars = (kind: number, i: number, b: BarSeries | null): void => {
    if (!b) return;
    sources.push({ deliverTs: barDeliveryTimes(b.ts, tfMs), priority: kind });
    srcKind.push(kind);
    srcInst.push(i);
    srcBars.push(b);
    srcFund.push(null);
  };
  for (let i = 0; i < ni; i++) addBars(K_MARK, i, market.mark[i]!);
  for (let i = 0; i < ni; i++) addBars(K_OHLCV, i, market.bars[i]!);
  for (let i = 0; i < ni; i++) addBars(K_INDEX, i, market.index[i]!);
  for (let i = 0; i < ni; i++) {
    const f = market.funding[i];
    if (!f) continue;
    // Settlements strictly after the start; those at or before it are history.
    let s0 = 0;
    while (s0 < f.ts.length && f.ts[s0]! <= market.fromMs) s0++;
    fundStart[i] = s0;
    let s1 = s0;
    while (s1 < f.ts.length && f.ts[s1]! <= market.toMs) s1++;
    sources.push({ deliverTs: f.ts.subarray(s0, s1), priority: K_FUNDING });
    srcKind.push(K_FUNDING);
    srcInst.push(i);
    srcBars.push(null);
    srcFund.push(f);
  }
  const stream = mergeSources(sources);
  const N = stream.length;
  const sts = stream.ts;
  const ssrc = stream.src;
  const srow = stream.row;
  const sampleCount = countSampleInstants(sts, ssrc, Uint8Array.from(srcKind, (x) => (x === K_OHLCV ? 1 : 0)));
  const mergeMs = performance.now() - tMerge0;

  // ---- state
  const portfolio = new Portfolio({ instruments, venues, margin: opts.margin, interest: opts.interest, allowSpotBorrow: opts.allowSpotBorrow ?? false });
  // One spare slot: a final sample when cash moves after the last bar close (see the end of the run).
  const samples = new EquitySampler(portfolio, sampleCount + 1);
  const barIdx = new Int32Array(ni).fill(-1);
  const markIdx = new Int32Array(ni).fill(-1);
  const indexIdx = new Int32Array(ni).fill(-1);
  /** Settlements visible (history + settled), per instrument. */
  const fundCount = new Int32Array(ni);
  for (let i = 0; i < ni; i++) fundCount[i] = market.funding[i] ? fundStart[i]! : 0;
  const hasMark = new Uint8Array(ni);
  for (let i = 0; i < ni; i++) hasMark[i] = market.mark[i] ? 1 : 0;
  const isPerp = portfolio.isPerp;
  const lastPx = portfolio.lastPx;
  const markPx = portfolio.markPx;
  const qtyArr = portfolio.qty;
  const log: EngineResult['log'] = [];
  const emit = (level: 'info' | 'warn', message: string): void => {
    log.push({ level, ts: ctx.now, message });
    opts.onLog?.(level, ctx.now, message);
  };

  // ---- reused event objects
  const barEv = new BarCursor(instruments[0]!, market.bars[0]!);
  const fundEv = { instrument: instruments[0]!, ts: 0, rate: 0, intervalHours: 0, markPrice: 0, qty: 0, amount: 0 } as { -readonly [K in keyof FundingEvent]: FundingEvent[K] };
  const fillEv = { orderId: 0, instrument: instruments[0]!, ts: 0, side: 'buy', qty: 0, price: 0, fee: 0, slippage: 0, liquidity: 'taker', tag: '' } as { -readonly [K in keyof FillEvent]: FillEvent[K] };
  const liqEv = { instrument: instruments[0]!, ts: 0, qty: 0, price: 0, fee: 0 } as { -readonly [K in keyof LiquidationEvent]: LiquidationEvent[K] };
  const rejEv = { orderId: 0, instrument: instruments[0]!, ts: 0, side: 'buy', qty: 0, reason: 'no-price', tag: '' } as { -readonly [K in keyof RejectEvent]: RejectEvent[K] };
  const timerEv = { ts: 0, tag: '' } as { -readonly [K in keyof TimerEvent]: TimerEvent[K] };
  const quote: FillQuote = { refPrice: 0, price: 0, fee: 0, slippage: 0 };
  const lastBarEv = new BarCursor(instruments[0]!, market.bars[0]!);

  // ---- market view
  const byKey = new Map<string, Instrument>();
  for (const ins of instruments) byKey.set(`${ins.venue}|${ins.symbol}`, ins);
  const market_: MarketView = {
    timeframeMs: tfMs,
    instruments: () => instruments,
    instrument(venue, symbol) {
      const ins = byKey.get(`${venue}|${symbol}`);
      if (!ins) throw new Error(`instrument ${venue} ${symbol} is not loaded in this run (loaded: ${instruments.map((x) => `${x.venue} ${x.symbol}`).join(', ')})`);
      return ins;
    },
    close: (ins) => lastPx[ins.id]!,
    mark: (ins) => markPx[ins.id]!,
    index(ins) {
      const r = indexIdx[ins.id]!;
      return r < 0 ? NaN : market.index[ins.id]!.close[r]!;
    },
    fundingCount: (ins) => fundCount[ins.id]!,
    fundingRate(ins, k = 0) {
      const r = fundCount[ins.id]! - 1 - k;
      return r < 0 || k < 0 ? NaN : market.funding[ins.id]!.rate[r]!;
    },
    fundingIntervalHours(ins, k = 0) {
      const r = fundCount[ins.id]! - 1 - k;
      return r < 0 || k < 0 ? NaN : market.funding[ins.id]!.intervalHours[r]!;
    },
    fundingTs(ins, k = 0) {
      const r = fundCount[ins.id]! - 1 - k;
      return r < 0 || k < 0 ? NaN : market.funding[ins.id]!.ts[r]!;
    },
    trailingFundingApr(ins, lookback) {
      const n = Math.min(fundCount[ins.id]!, Math.max(0, Math.floor(lookback)));
      if (n === 0) return NaN;
      const f = market.funding[ins.id]!;
      const end = fundCount[ins.id]!;
      let s = 0;
      for (let r = end - n; r < end; r++) s += (f.rate[r]! * 8760) / f.intervalHours[r]!;
      return s / n;
    },
    lastBar(ins) {
      const r = barIdx[ins.id]!;
      if (r < 0) return null;
      lastBarEv.instrument = ins;
      lastBarEv.series = market.bars[ins.id]!;
      lastBarEv.row = r;
      return lastBarEv;
    },
  };

  // ---- portfolio view
  const perpViews = new Map<VenueId, PerpAccountView>();
  const perpView = (venue: VenueId): PerpAccountView => {
    let pv = perpViews.get(venue);
    if (pv) return pv;
    const v = portfolio.venueIndex(venue);
    pv = {
      venue,
      marginBalance: () => portfolio.perpEquity(v),
      walletBalance: () => portfolio.perpWallet(v),
      unrealizedPnl: () => portfolio.perpUnrealized(v),
      maintenanceMargin: () => portfolio.perpMaintenance(v),
      marginRatio: () => portfolio.marginRatio(v),
      liquidationPrice: (ins) => portfolio.liquidationPrice(ins.id),
      marginMode: () => portfolio.marginMode[v]!,
      withdrawable: () => portfolio.withdrawable(v, 'perp'),
    };
    perpViews.set(venue, pv);
    return pv;
  };
  const portfolioView: PortfolioView = {
    equity: () => portfolio.equity(),
    position: (ins) => qtyArr[ins.id]!,
    spotCash: (venue) => portfolio.spotCash[portfolio.venueIndex(venue)]!,
    perpAccount: perpView,
    entryPrice: (ins) => (isPerp[ins.id] && qtyArr[ins.id] !== 0 ? portfolio.entry[ins.id]! : NaN),
    spotEquity: (venue) => portfolio.spotEquity(portfolio.venueIndex(venue)),
    initialCapital: opts.capital,
  };

  // ---- orders and timers
  const pending: PendingOrder[] = [];
  let nextOrderId = 1;
  const timers: Timer[] = [];
  let timerSeq = 0;
  let rejected = 0;
  const checkInstrument = (ins: Instrument | undefined, what: string): number => {
    if (!ins || instruments[ins.id] !== ins) throw new Error(`${what}: not an instrument of this run (use ctx.market.instrument(venue, symbol))`);
    return ins.id;
  };
  const submit = (req: OrderRequest, waitsForPair: boolean): PendingOrder => {
    const i = checkInstrument(req.instrument, 'order');
    if (req.side !== 'buy' && req.side !== 'sell') throw new Error(`order: side must be 'buy' or 'sell' (got ${String(req.side)})`);
    const hasQty = req.qty !== undefined;
    const hasNotional = req.notional !== undefined;
    if (hasQty === hasNotional) throw new Error('order: give exactly one of qty or notional');
    const size = hasQty ? req.qty! : req.notional!;
    if (!(size > 0) || !Number.isFinite(size)) throw new Error(`order: ${hasQty ? 'qty' : 'notional'} must be a positive finite number (got ${size})`);
    const o: PendingOrder = {
      id: nextOrderId++,
      inst: i,
      side: req.side,
      qty: hasQty ? size : NaN,
      notional: hasNotional ? size : NaN,
      tag: req.tag ?? '',
      reduceOnly: req.reduceOnly ?? false,
      pair: null,
      waitsForPair,
    };
    pending.push(o);
    return o;
  };

  const ctx = {
    now: market.fromMs as UnixMs,
    market: market_,
    portfolio: portfolioView,
    params: Object.freeze({ ...opts.params }),
    rng: seedrandom(String(opts.seed)),
    log: {
      info: (m: string) => emit('info', m),
      warn: (m: string) => emit('warn', m),
    } as Logger,
    order: (req: OrderRequest) => submit(req, false).id,
    hedge(req: HedgeRequest): [number, number] {
      const li = checkInstrument(req.long, 'hedge.long');
      const si = checkInstrument(req.short, 'hedge.short');
      if (li === si) throw new Error('hedge: long and short legs must be different instruments');
      const tag = req.tag ?? 'hedge';
      const long = submit({ instrument: req.long, side: 'buy', qty: req.qty, notional: req.notional, tag }, false);
      const short = submit({ instrument: req.short, side: 'sell', qty: req.qty ?? 1, tag }, true);
      short.qty = NaN;
      long.pair = short;
      return [long.id, short.id];
    },
    transfer(req: TransferRequest) {
      const target = req.instrument ? checkInstrument(req.instrument, 'transfer.instrument') : -1;
      const moved = portfolio.transfer(ctx.now, req.fromVenue, req.fromAccount, req.toVenue, req.toAccount, req.amount, target);
      if (moved < req.amount * (1 - 1e-9)) emit('warn', `transfer of ${req.amount} from ${req.fromVenue} ${req.fromAccount} clamped to ${moved} (available)`);
    },
    setTimer(atMs: UnixMs, tag = '') {
      if (!(atMs > ctx.now)) throw new Error(`setTimer: time ${atMs} must be after now (${ctx.now})`);
      const tm: Timer = { at: atMs, seq: timerSeq++, tag };
      let p = timers.length;
      while (p > 0 && (timers[p - 1]!.at > atMs)) p--;
      timers.splice(p, 0, tm);
    },
    setLeverage(ins: Instrument, leverage: number) {
      portfolio.setLeverage(checkInstrument(ins, 'setLeverage'), leverage);
    },
    setMarginMode(venue: VenueId, mode: 'cross' | 'isolated') {
      if (mode !== 'cross' && mode !== 'isolated') throw new Error(`setMarginMode: mode must be 'cross' or 'isolated' (got ${String(mode)})`);
      portfolio.setMarginMode(venue, mode);
    },
  };
  const sctx = ctx as StrategyContext;

  const reject = (o: PendingOrder, reason: RejectEvent['reason']): void => {
    rejected++;
    emit('warn', `order ${o.id} ${o.side} ${Number.isNaN(o.qty) ? `notional ${o.notional}` : o.qty} ${instruments[o.inst]!.symbol} rejected: ${reason}`);
    if (o.pair) {
      const p = o.pair;
      const idx = pending.indexOf(p);
      if (idx >= 0) pending.splice(idx, 1);
      p.waitsForPair = false;
      reject(p, reason);
    }
    if (strategy.onReject) {
      rejEv.orderId = o.id;
      rejEv.instrument = instruments[o.inst]!;
      rejEv.ts = ctx.now;
      rejEv.side = o.side;
      rejEv.qty = o.qty;
      rejEv.reason = reason;
      rejEv.tag = o.tag;
      strategy.onReject(sctx, rejEv);
    }
  };

  /** Try to fill one order now. Returns true if it left the queue. */
  const tryFill = (o: PendingOrder, now: UnixMs, final: boolean): boolean => {
    if (o.waitsForPair) return false;
    const i = o.inst;
    const b = market.bars[i]!;
    let ref: number;
    if (opts.fillAt === 'close') {
      ref = lastPx[i]!;
      if (Number.isNaN(ref)) {
        if (final) {
          reject(o, 'end-of-data');
          return true;
        }
        return false;
      }
    } else {
      // The first bar opening at or after now: a bar already in progress (an order placed by a
      // timer between bar instants) is skipped; its open is a price from before the order.
      let nb = barIdx[i]! + 1;
      while (nb < b.ts.length && b.ts[nb]! < now) nb++;
      if (nb >= b.ts.length) {
        reject(o, 'end-of-data');
        return true;
      }
      if (b.ts[nb]! > now) {
        if (final) {
          reject(o, 'end-of-data');
          return true;
        }
        return false;
      }
      ref = b.open[nb]!;
    }
    let qty = Number.isNaN(o.qty) ? o.notional / ref : o.qty;
    if (o.reduceOnly && isPerp[i]) {
      const q0 = qtyArr[i]!;
      const dir = o.side === 'buy' ? 1 : -1;
      if (q0 === 0 || Math.sign(q0) === dir) {
        reject(o, 'reduce-only');
        return true;
      }
      qty = Math.min(qty, Math.abs(q0));
    }
    const vol = barIdx[i]! >= 0 ? b.volume[barIdx[i]!]! : NaN;
    quoteFill(quote, instruments[i]!, o.side, qty, ref, vol, opts.fees, opts.slippage);
    const why: RejectReason | null = isPerp[i]
      ? portfolio.perpTrade(now, i, o.side, qty, quote, o.tag, o.reduceOnly)
      : portfolio.spotTrade(now, i, o.side, qty, quote, o.tag);
    if (why) {
      reject(o, why);
      return true;
    }
    if (o.pair) {
      o.pair.qty = qty;
      o.pair.waitsForPair = false;
    }
    if (strategy.onFill) {
      fillEv.orderId = o.id;
      fillEv.instrument = instruments[i]!;
      fillEv.ts = now;
      fillEv.side = o.side;
      fillEv.qty = qty;
      fillEv.price = quote.price;
      fillEv.fee = quote.fee;
      fillEv.slippage = quote.slippage;
      fillEv.liquidity = 'taker';
      fillEv.tag = o.tag;
      strategy.onFill(sctx, fillEv);
    }
    return true;
  };

  const processOrders = (now: UnixMs, final: boolean): void => {
    // Orders placed in onFill join the queue and are tried in the same pass.
    let guard = 0;
    for (let p = 0; p < pending.length; ) {
      if (++guard > 100000) throw new Error('strategy placed more than 100000 orders in one instant (runaway onFill?)');
      const o = pending[p]!;
      if (tryFill(o, now, final)) {
        const idx = pending.indexOf(o);
        if (idx >= 0) pending.splice(idx, 1);
        p = 0;
        // restart: earlier orders may have been waiting for a hedge pair filled just now
      } else p++;
    }
  };

  const fireTimer = (tm: Timer): void => {
    if (strategy.onTimer) {
      timerEv.ts = tm.at;
      timerEv.tag = tm.tag;
      strategy.onTimer(sctx, timerEv);
    }
  };

  const notifyLiquidations = (from: number): void => {
    const liqs = portfolio.liquidations;
    for (let l = from; l < liqs.length; l++) {
      const r = liqs[l]!;
      emit('warn', `liquidated ${r.qty} ${r.symbol} on ${r.venue} at ${r.price} (${isoUtc(r.ts)})`);
      if (strategy.onLiquidation) {
        liqEv.instrument = byKey.get(`${r.venue}|${r.symbol}`)!;
        liqEv.ts = r.ts;
        liqEv.qty = r.qty;
        liqEv.price = r.price;
        liqEv.fee = r.fee;
        strategy.onLiquidation(sctx, liqEv);
      }
    }
  };

  // ---- run
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  portfolio.deposit(market.fromMs, venues[0]!, opts.capital);
  portfolio.accrueInterest(market.fromMs);
  strategy.onStart?.(sctx);
  processOrders(ctx.now, false);
  const progressStep = 1 << 18;
  let nextProgress = progressStep;
  const onBar = strategy.onBar ? strategy.onBar.bind(strategy) : null;
  const onSample = opts.onSample ?? null;
  const onFunding = strategy.onFunding ? strategy.onFunding.bind(strategy) : null;
  /**
   * Process one instant: every event at the time of event `k0`. A function of its own (rather than
   * the body of one long loop) so that V8 optimizes it early and the replay runs at full speed.
   */
  const instant = (k0: number): number => {
    let k = k0;
    const t = sts[k]!;
    // Timers due strictly before t fire at their own instant.
    while (timers.length > 0 && timers[0]!.at < t) {
      const tm = timers.shift()!;
      ctx.now = tm.at;
      portfolio.accrueInterest(tm.at); // hours ended by now, on the balances held over them
      fireTimer(tm);
      if (pending.length) processOrders(tm.at, false);
    }
    ctx.now = t;
    const liqBefore = portfolio.liquidations.length;
    // 1. absorb bars ending at t
    const g0 = k;
    let sawBar = false;
    for (; k < N && sts[k] === t; k++) {
      const s = ssrc[k]!;
      const kind = srcKind[s]!;
      if (kind === K_FUNDING) break;
      const r = srow[k]!;
      const i = srcInst[s]!;
      const b = srcBars[s]!;
      if (kind === K_OHLCV) {
        sawBar = true;
        barIdx[i] = r;
        lastPx[i] = b.close[r]!;
        if (hasMark[i] === 0 && isPerp[i]) {
          markPx[i] = b.close[r]!;
          if (qtyArr[i] !== 0) portfolio.checkLiquidation(t, i, b.high[r]!, b.low[r]!);
        }
      } else if (kind === K_MARK) {
        markIdx[i] = r;
        markPx[i] = b.close[r]!;
        if (qtyArr[i] !== 0) portfolio.checkLiquidation(t, i, b.high[r]!, b.low[r]!);
      } else {
        indexIdx[i] = r;
      }
    }
    const g1 = k;
    // Interest for the hours that ended at or before t, charged in arrears on the balances held
    // over them (before any hook or order at t can change them), valued at the closes at t.
    portfolio.accrueInterest(t);
    // 2. funding settlements at t
    const hadLiq = portfolio.liquidations.length !== liqBefore;
    if (hadLiq) notifyLiquidations(liqBefore);
    for (; k < N && sts[k] === t; k++) {
      const s = ssrc[k]!;
      const i = srcInst[s]!;
      const f = srcFund[s]!;
      const r = srow[k]! + fundStart[i]!;
      fundCount[i] = r + 1;
      let mp = f.markPrice[r]!;
      if (!(mp > 0)) mp = markPx[i]!;
      const q = qtyArr[i]!;
      const amount = q === 0 || !(mp > 0) ? 0 : portfolio.applyFunding(t, i, f.rate[r]!, f.intervalHours[r]!, mp);
      if (onFunding) {
        fundEv.instrument = instruments[i]!;
        fundEv.ts = t;
        fundEv.rate = f.rate[r]!;
        fundEv.intervalHours = f.intervalHours[r]!;
        fundEv.markPrice = mp;
        fundEv.qty = q;
        fundEv.amount = amount;
        onFunding(sctx, fundEv);
      }
    }
    // 3. onBar for OHLCV bars
    if (onBar && sawBar) {
      for (let e = g0; e < g1; e++) {
        const s = ssrc[e]!;
        if (srcKind[s] !== K_OHLCV) continue;
        barEv.instrument = instruments[srcInst[s]!]!;
        barEv.series = srcBars[s]!;
        barEv.row = srow[e]!;
        onBar(sctx, barEv);
      }
    }
    // 4. timers at t
    while (timers.length > 0 && timers[0]!.at === t) fireTimer(timers.shift()!);
    // 5. orders
    if (pending.length) processOrders(t, false);
    if (sawBar) {
      samples.sample(t);
      if (onSample) onSample(samples.length - 1, t, portfolio, samples);
    }
    if (k >= nextProgress) {
      nextProgress += progressStep;
      opts.onProgress?.(k / N);
    }
      return k;
  };
  let k = 0;
  try {
    while (k < N) k = instant(k);
  } catch (e) {
    // Say when it happened; the stack says where (strategy code or engine).
    if (e instanceof Error) e.message = `at ${isoUtc(ctx.now)} (event ${k} of ${N}): ${e.message}`;
    throw e;
  }
  // Timers due after the last event but within the window still fire.
  while (timers.length > 0 && timers[0]!.at <= market.toMs) {
    const tm = timers.shift()!;
    ctx.now = tm.at;
    portfolio.accrueInterest(tm.at);
    fireTimer(tm);
  }
  if (pending.length) processOrders(ctx.now, true);
  strategy.onEnd?.(sctx);
  if (pending.length) processOrders(ctx.now, true);
  // Fills placed in onEnd change holdings at the last sample's instant: overwrite it. Cash that
  // moved at a later instant with no bar close (a settlement at the window end while bars close
  // 4 h earlier, interest or timers after the last bar) gets a sample of its own, so the last
  // sample's equity always includes every ledger flow.
  if (samples.length > 0 && samples.stale()) {
    if (ctx.now > samples.ts[samples.length - 1]!) samples.sample(ctx.now);
    else samples.resample(ctx.now);
  }
  const loopMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  opts.onProgress?.(1);
  return { portfolio, samples, events: N, mergeMs, loopMs, loopCpuMs: (cpu.user + cpu.system) / 1000, rejected, log };
}
