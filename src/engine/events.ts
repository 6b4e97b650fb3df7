/**
 * The event objects handed to hooks, sealed: each is one reused instance per run whose state is
 * `#private` (getters only, frozen instance, prototype and class), moved by the engine through a
 * module-private writer. A hook can read an event, not change it, and nothing on it leads to
 * engine state.
 */
import type { UnixMs } from '../core/time.js';
import type { Instrument } from '../venue/instrument.js';
import type { FillEvent, FundingEvent, HedgeBrokenEvent, LiquidationEvent, RejectEvent, TimerEvent } from '../strategy/types.js';

type Side = 'buy' | 'sell';
const seal = (c: { prototype: object }): void => {
  Object.freeze(c.prototype);
  Object.freeze(c);
};

let writeFunding: (e: FundingEventSlot, instrument: Instrument, ts: UnixMs, rate: number, intervalHours: number, markPrice: number, qty: number, amount: number) => void;

/** Reused {@link FundingEvent}. */
export class FundingEventSlot implements FundingEvent {
  #instrument: Instrument;
  #ts = 0;
  #rate = 0;
  #intervalHours = 0;
  #markPrice = 0;
  #qty = 0;
  #amount = 0;
  static {
    writeFunding = (e, instrument, ts, rate, intervalHours, markPrice, qty, amount) => {
      e.#instrument = instrument;
      e.#ts = ts;
      e.#rate = rate;
      e.#intervalHours = intervalHours;
      e.#markPrice = markPrice;
      e.#qty = qty;
      e.#amount = amount;
    };
  }
  constructor(instrument: Instrument) {
    this.#instrument = instrument;
    Object.freeze(this);
  }
  get instrument(): Instrument {
    return this.#instrument;
  }
  get ts(): UnixMs {
    return this.#ts;
  }
  get rate(): number {
    return this.#rate;
  }
  get intervalHours(): number {
    return this.#intervalHours;
  }
  get markPrice(): number {
    return this.#markPrice;
  }
  get qty(): number {
    return this.#qty;
  }
  get amount(): number {
    return this.#amount;
  }
}
seal(FundingEventSlot);

/** Engine side: fill in a settlement. */
export function setFundingEvent(e: FundingEventSlot, instrument: Instrument, ts: UnixMs, rate: number, intervalHours: number, markPrice: number, qty: number, amount: number): FundingEventSlot {
  writeFunding(e, instrument, ts, rate, intervalHours, markPrice, qty, amount);
  return e;
}

let writeFill: (e: FillEventSlot, orderId: number, instrument: Instrument, ts: UnixMs, side: Side, qty: number, price: number, fee: number, slippage: number, liquidity: 'maker' | 'taker', tag: string) => void;

/** Reused {@link FillEvent}. */
export class FillEventSlot implements FillEvent {
  #orderId = 0;
  #instrument: Instrument;
  #ts = 0;
  #side: Side = 'buy';
  #qty = 0;
  #price = 0;
  #fee = 0;
  #slippage = 0;
  #liquidity: 'maker' | 'taker' = 'taker';
  #tag = '';
  static {
    writeFill = (e, orderId, instrument, ts, side, qty, price, fee, slippage, liquidity, tag) => {
      e.#orderId = orderId;
      e.#instrument = instrument;
      e.#ts = ts;
      e.#side = side;
      e.#qty = qty;
      e.#price = price;
      e.#fee = fee;
      e.#slippage = slippage;
      e.#liquidity = liquidity;
      e.#tag = tag;
    };
  }
  constructor(instrument: Instrument) {
    this.#instrument = instrument;
    Object.freeze(this);
  }
  get orderId(): number {
    return this.#orderId;
  }
  get instrument(): Instrument {
    return this.#instrument;
  }
  get ts(): UnixMs {
    return this.#ts;
  }
  get side(): Side {
    return this.#side;
  }
  get qty(): number {
    return this.#qty;
  }
  get price(): number {
    return this.#price;
  }
  get fee(): number {
    return this.#fee;
  }
  get slippage(): number {
    return this.#slippage;
  }
  get liquidity(): 'maker' | 'taker' {
    return this.#liquidity;
  }
  get tag(): string {
    return this.#tag;
  }
}
seal(FillEventSlot);

/** Engine side: fill in a fill. */
export function setFillEvent(e: FillEventSlot, orderId: number, instrument: Instrument, ts: UnixMs, side: Side, qty: number, price: number, fee: number, slippage: number, liquidity: 'maker' | 'taker', tag: string): FillEventSlot {
  writeFill(e, orderId, instrument, ts, side, qty, price, fee, slippage, liquidity, tag);
  return e;
}

let writeLiq: (e: LiquidationEventSlot, instrument: Instrument, ts: UnixMs, qty: number, price: number, fee: number) => void;

/** Reused {@link LiquidationEvent}. */
export class LiquidationEventSlot implements LiquidationEvent {
  #instrument: Instrument;
  #ts = 0;
  #qty = 0;
  #price = 0;
  #fee = 0;
  static {
    writeLiq = (e, instrument, ts, qty, price, fee) => {
      e.#instrument = instrument;
      e.#ts = ts;
      e.#qty = qty;
      e.#price = price;
      e.#fee = fee;
    };
  }
  constructor(instrument: Instrument) {
    this.#instrument = instrument;
    Object.freeze(this);
  }
  get instrument(): Instrument {
    return this.#instrument;
  }
  get ts(): UnixMs {
    return this.#ts;
  }
  get qty(): number {
    return this.#qty;
  }
  get price(): number {
    return this.#price;
  }
  get fee(): number {
    return this.#fee;
  }
}
seal(LiquidationEventSlot);

/** Engine side: fill in a liquidation. */
export function setLiquidationEvent(e: LiquidationEventSlot, instrument: Instrument, ts: UnixMs, qty: number, price: number, fee: number): LiquidationEventSlot {
  writeLiq(e, instrument, ts, qty, price, fee);
  return e;
}

type RejectReason = RejectEvent['reason'];
let writeReject: (e: RejectEventSlot, orderId: number, instrument: Instrument, ts: UnixMs, side: Side, qty: number, reason: RejectReason, tag: string) => void;

/** Reused {@link RejectEvent}. */
export class RejectEventSlot implements RejectEvent {
  #orderId = 0;
  #instrument: Instrument;
  #ts = 0;
  #side: Side = 'buy';
  #qty = 0;
  #reason: RejectReason = 'no-price';
  #tag = '';
  static {
    writeReject = (e, orderId, instrument, ts, side, qty, reason, tag) => {
      e.#orderId = orderId;
      e.#instrument = instrument;
      e.#ts = ts;
      e.#side = side;
      e.#qty = qty;
      e.#reason = reason;
      e.#tag = tag;
    };
  }
  constructor(instrument: Instrument) {
    this.#instrument = instrument;
    Object.freeze(this);
  }
  get orderId(): number {
    return this.#orderId;
  }
  get instrument(): Instrument {
    return this.#instrument;
  }
  get ts(): UnixMs {
    return this.#ts;
  }
  get side(): Side {
    return this.#side;
  }
  get qty(): number {
    return this.#qty;
  }
  get reason(): RejectReason {
    return this.#reason;
  }
  get tag(): string {
    return this.#tag;
  }
}
seal(RejectEventSlot);

/** Engine side: fill in a rejection. */
export function setRejectEvent(e: RejectEventSlot, orderId: number, instrument: Instrument, ts: UnixMs, side: Side, qty: number, reason: RejectReason, tag: string): RejectEventSlot {
  writeReject(e, orderId, instrument, ts, side, qty, reason, tag);
  return e;
}

let writeTimer: (e: TimerEventSlot, ts: UnixMs, tag: string) => void;

/** Reused {@link TimerEvent}. */
export class TimerEventSlot implements TimerEvent {
  #ts = 0;
  #tag = '';
  static {
    writeTimer = (e, ts, tag) => {
      e.#ts = ts;
      e.#tag = tag;
    };
  }
  constructor() {
    Object.freeze(this);
  }
  get ts(): UnixMs {
    return this.#ts;
  }
  get tag(): string {
    return this.#tag;
  }
}
seal(TimerEventSlot);

/** Engine side: fill in a timer. */
export function setTimerEvent(e: TimerEventSlot, ts: UnixMs, tag: string): TimerEventSlot {
  writeTimer(e, ts, tag);
  return e;
}

/** What the engine fills into a {@link HedgeBrokenEventSlot} (one reused object, no allocation). */
export interface HedgeBrokenFields {
  ts: UnixMs;
  longOrderId: number;
  shortOrderId: number;
  filledOrderId: number;
  filled: Instrument;
  qty: number;
  refusedOrderId: number;
  refused: Instrument;
  reason: RejectReason;
  unwindOrderId: number;
  tag: string;
}

let writeBroken: (e: HedgeBrokenEventSlot, f: HedgeBrokenFields) => void;

/** Reused {@link HedgeBrokenEvent}. */
export class HedgeBrokenEventSlot implements HedgeBrokenEvent {
  #ts = 0;
  #longOrderId = 0;
  #shortOrderId = 0;
  #filledOrderId = 0;
  #filled: Instrument;
  #qty = 0;
  #refusedOrderId = 0;
  #refused: Instrument;
  #reason: RejectReason = 'no-price';
  #unwindOrderId = 0;
  #tag = '';
  static {
    writeBroken = (e, f) => {
      e.#ts = f.ts;
      e.#longOrderId = f.longOrderId;
      e.#shortOrderId = f.shortOrderId;
      e.#filledOrderId = f.filledOrderId;
      e.#filled = f.filled;
      e.#qty = f.qty;
      e.#refusedOrderId = f.refusedOrderId;
      e.#refused = f.refused;
      e.#reason = f.reason;
      e.#unwindOrderId = f.unwindOrderId;
      e.#tag = f.tag;
    };
  }
  constructor(instrument: Instrument) {
    this.#filled = instrument;
    this.#refused = instrument;
    Object.freeze(this);
  }
  get ts(): UnixMs {
    return this.#ts;
  }
  get longOrderId(): number {
    return this.#longOrderId;
  }
  get shortOrderId(): number {
    return this.#shortOrderId;
  }
  get filledOrderId(): number {
    return this.#filledOrderId;
  }
  get filled(): Instrument {
    return this.#filled;
  }
  get qty(): number {
    return this.#qty;
  }
  get refusedOrderId(): number {
    return this.#refusedOrderId;
  }
  get refused(): Instrument {
    return this.#refused;
  }
  get reason(): RejectReason {
    return this.#reason;
  }
  get unwindOrderId(): number {
    return this.#unwindOrderId;
  }
  get tag(): string {
    return this.#tag;
  }
}
seal(HedgeBrokenEventSlot);

/** Engine side: fill in a broken hedge. */
export function setHedgeBrokenEvent(e: HedgeBrokenEventSlot, f: HedgeBrokenFields): HedgeBrokenEventSlot {
  writeBroken(e, f);
  return e;
}
