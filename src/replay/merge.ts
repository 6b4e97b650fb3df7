/**
 * The replay core's merge: many time-sorted event sources (bar closes, funding settlements) become
 * one deterministic time-ordered stream, precomputed once as parallel typed arrays so that the hot
 * loop is a plain indexed walk with no allocation per event.
 *
 * Order: by delivery time; at equal times by source priority (lower first), then by source index
 * (the order sources were given), then by row. The merge is stable: rows of one source keep their
 * order. The same-timestamp rule built on top of it is documented and implemented in
 * `src/engine/engine.ts`.
 */

/** One input of the merge: delivery times (UnixMs, non-decreasing) and a priority. */
export interface MergeSource {
  /**
   * When each row is delivered, minus {@link offsetMs} (settlements: the settlement times; bars:
   * their open times with `offsetMs` = the timeframe, so no shifted copy of the column is made).
   */
  deliverTs: Float64Array;
  /** Added to every `deliverTs` value (ms). Default 0. */
  offsetMs?: number;
  /** Lower goes first at equal delivery times. Small non-negative integer. */
  priority: number;
}

/** The merged stream: event k is row `row[k]` of source `src[k]`, delivered at `ts[k]`. */
export interface MergedStream {
  ts: Float64Array;
  src: Uint16Array;
  row: Uint32Array;
  length: number;
}

/**
 * Merge sources into one stream. O(N log S) with a binary heap over the S source heads; throws if a
 * source is not sorted (the loaders guarantee sorted data; this is a guard, not validation).
 */
export function mergeSources(sources: readonly MergeSource[]): MergedStream {
  const s = sources.length;
  if (s > 65535) throw new Error(`too many sources (${s})`);
  let total = 0;
  for (let i = 0; i < s; i++) {
    const d = sources[i]!.deliverTs;
    for (let r = 1; r < d.length; r++) {
      if (!(d[r]! >= d[r - 1]!)) throw new Error(`merge source ${i} is not sorted at row ${r} (${d[r - 1]} then ${d[r]})`);
    }
    total += d.length;
  }
  const ts = new Float64Array(total);
  const src = new Uint16Array(total);
  const row = new Uint32Array(total);
  if (s <= 8) return mergeFew(sources, ts, src, row, total);
  const cursor = new Uint32Array(s);
  // Heap of source indices ordered by (head ts, priority, source index).
  const heap = new Int32Array(s);
  let hn = 0;
  const off = Float64Array.from(sources, (x) => x.offsetMs ?? 0);
  const less = (a: number, b: number): boolean => {
    const ta = sources[a]!.deliverTs[cursor[a]!]! + off[a]!;
    const tb = sources[b]!.deliverTs[cursor[b]!]! + off[b]!;
    if (ta !== tb) return ta < tb;
    const pa = sources[a]!.priority;
    const pb = sources[b]!.priority;
    if (pa !== pb) return pa < pb;
    return a < b;
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= hn) return;
      const r = l + 1;
      const m = r < hn && less(heap[r]!, heap[l]!) ? r : l;
      if (!less(heap[m]!, heap[i]!)) return;
      const tmp = heap[m]!;
      heap[m] = heap[i]!;
      heap[i] = tmp;
      i = m;
    }
  };
  const siftUp = (i: number): void => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i]!, heap[p]!)) return;
      const tmp = heap[p]!;
      heap[p] = heap[i]!;
      heap[i] = tmp;
      i = p;
    }
  };
  for (let i = 0; i < s; i++) {
    if (sources[i]!.deliverTs.length > 0) {
      heap[hn++] = i;
      siftUp(hn - 1);
    }
  }
  let k = 0;
  while (hn > 0) {
    const top = heap[0]!;
    const d = sources[top]!.deliverTs;
    const c = cursor[top]!;
    ts[k] = d[c]! + off[top]!;
    src[k] = top;
    row[k] = c;
    k++;
    // Fast path: keep taking from the same source while it stays ahead of every other head.
    cursor[top] = c + 1;
    if (c + 1 >= d.length) {
      heap[0] = heap[--hn]!;
      if (hn > 0) siftDown(0);
    } else {
      siftDown(0);
    }
  }
  return { ts, src, row, length: total };
}

/**
 * The same merge for a handful of sources: a linear scan of the heads in (priority, index) order,
 * taking the first strictly smallest time. Faster than a heap below ~8 sources.
 */
function mergeFew(sources: readonly MergeSource[], ts: Float64Array, src: Uint16Array, row: Uint32Array, total: number): MergedStream {
  const s = sources.length;
  const order = Array.from({ length: s }, (_, i) => i).sort((a, b) => sources[a]!.priority - sources[b]!.priority || a - b);
  const arrays = order.map((i) => sources[i]!.deliverTs);
  const offs = Float64Array.from(order, (i) => sources[i]!.offsetMs ?? 0);
  const lens = Int32Array.from(arrays.map((a) => a.length));
  const ids = Int32Array.from(order);
  const cur = new Int32Array(s);
  const head = new Float64Array(s);
  for (let j = 0; j < s; j++) head[j] = lens[j]! > 0 ? arrays[j]![0]! + offs[j]! : Infinity;
  for (let k = 0; k < total; k++) {
    let best = 0;
    let bt = head[0]!;
    for (let j = 1; j < s; j++) {
      const h = head[j]!;
      if (h < bt) {
        bt = h;
        best = j;
      }
    }
    const c = cur[best]!;
    ts[k] = bt;
    src[k] = ids[best]!;
    row[k] = c;
    const nc = c + 1;
    cur[best] = nc;
    head[best] = nc < lens[best]! ? arrays[best]![nc]! + offs[best]! : Infinity;
  }
  return { ts, src, row, length: total };
}

/** Delivery times of bars stamped at open time: `openTs + timeframeMs`. */
export function barDeliveryTimes(openTs: Float64Array, timeframeMs: number): Float64Array {
  const out = new Float64Array(openTs.length);
  for (let i = 0; i < openTs.length; i++) out[i] = openTs[i]! + timeframeMs;
  return out;
}
