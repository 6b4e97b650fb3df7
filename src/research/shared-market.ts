/**
 * A prepared market whose columns live in SharedArrayBuffers, so worker threads read the same
 * memory instead of a copy: structured cloning (postMessage, a pool task) of a Float64Array over a
 * SharedArrayBuffer passes a handle to the memory, O(1). The columns are copied into shared memory
 * once per process (the loaders return views over file buffers); runs never write them.
 */
import { preparedFrom, type PreparedMarket, type ShockRecord } from '../engine/backtest.js';
import type { BarSeries, FundingSeries, MarketData } from '../engine/data.js';

/** A {@link PreparedMarket}'s content as a structured-cloneable object with shared columns. */
export interface SharedMarket {
  /** {@link PreparedMarket.key}. */
  key: string;
  fundingHistoryDays: number;
  market: MarketData;
  /** {@link PreparedMarket.shocked}: scenarios already applied to these columns. */
  shocked: ShockRecord[];
}

/**
 * Copies into shared memory, one per distinct array: series of one load share arrays (one `ts`
 * per bar grid, one all-NaN volume column), and so do their shared copies.
 */
function sharer(): (a: Float64Array) => Float64Array {
  const copies = new Map<Float64Array, Float64Array>();
  return (a) => {
    if (a.buffer instanceof SharedArrayBuffer) return a;
    let out = copies.get(a);
    if (!out) {
      out = new Float64Array(new SharedArrayBuffer(a.byteLength));
      out.set(a);
      copies.set(a, out);
    }
    return out;
  };
}

/** Copy a prepared market's columns into shared memory (once; already shared columns are reused). */
export function shareMarket(p: PreparedMarket): SharedMarket {
  const shared = sharer();
  const sharedBars = (b: BarSeries | null): BarSeries | null =>
    b && { ts: shared(b.ts), open: shared(b.open), high: shared(b.high), low: shared(b.low), close: shared(b.close), volume: shared(b.volume) };
  const sharedFunding = (f: FundingSeries | null): FundingSeries | null =>
    f && { ts: shared(f.ts), rate: shared(f.rate), intervalHours: shared(f.intervalHours), markPrice: shared(f.markPrice) };
  const m = p.market;
  const market: MarketData = {
    instruments: m.instruments.map((i) => ({ ...i })),
    timeframe: m.timeframe,
    timeframeMs: m.timeframeMs,
    fromMs: m.fromMs,
    toMs: m.toMs,
    bars: m.bars.map((b) => sharedBars(b)!),
    mark: m.mark.map(sharedBars),
    index: m.index.map(sharedBars),
    funding: m.funding.map(sharedFunding),
    files: m.files.map((f) => ({ ...f })),
    problems: [...m.problems],
  };
  return { key: p.key, fundingHistoryDays: p.fundingHistoryDays, market, shocked: p.shocked.map((r) => ({ ...r, applied: [...r.applied] })) };
}

/**
 * The prepared market of a {@link SharedMarket} received by a worker (no copy). The key is
 * recomputed from the content and must match: a corrupted hand-over fails loudly.
 */
export function openShared(s: SharedMarket): PreparedMarket {
  const m = s.market;
  const market: MarketData = { ...m, instruments: m.instruments.map((i) => Object.freeze({ ...i })) };
  const p = preparedFrom(market, s.fundingHistoryDays, 0, s.shocked);
  if (p.key !== s.key) throw new Error(`shared market: key ${p.key} of the received content ≠ ${s.key}`);
  return p;
}

/** Whether every column of a market is backed by shared memory (tests). */
export function isShared(m: MarketData): boolean {
  const all: Float64Array[] = [];
  for (const b of [...m.bars, ...m.mark, ...m.index]) if (b) all.push(b.ts, b.open, b.high, b.low, b.close, b.volume);
  for (const f of m.funding) if (f) all.push(f.ts, f.rate, f.intervalHours, f.markPrice);
  return all.every((a) => a.buffer instanceof SharedArrayBuffer);
}
