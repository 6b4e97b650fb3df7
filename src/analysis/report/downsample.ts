/**
 * Display-only downsampling (never used for metrics): min/max per bucket, so a year of 1-minute
 * samples becomes a few thousand points whose envelope looks exactly like the full series
 * at screen resolution. Every series of a chart shares the same buckets so x stays aligned.
 */

/** Aligned chart data: x (UnixMs) and one value array per series (null = gap). */
export interface Aligned {
  x: number[];
  ys: (number | null)[][];
}

/** Default bucket count: about one bucket per horizontal pixel of a wide chart. */
export const DEFAULT_BUCKETS = 1600;

/** Round to 7 significant digits for the page (saves bytes; invisible on a chart). */
export function roundForDisplay(v: number): number | null {
  return Number.isFinite(v) ? Number(v.toPrecision(7)) : null;
}

/**
 * Downsample aligned series sharing `ts`. If `ts.length <= 2 × buckets`, every sample is kept.
 * Otherwise each bucket of consecutive samples yields two points, at the bucket's first and last
 * ts: per series its min and max, in the order they occur (NaN skipped; all-NaN ⇒ null).
 */
export function minMaxDownsample(ts: Float64Array, series: readonly Float64Array[], buckets = DEFAULT_BUCKETS): Aligned {
  const n = ts.length;
  if (n <= 2 * buckets) {
    return { x: Array.from(ts), ys: series.map((s) => Array.from(s, (v) => roundForDisplay(v))) };
  }
  const x = new Array<number>(2 * buckets);
  const ys: (number | null)[][] = series.map(() => new Array<number | null>(2 * buckets));
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.floor(((b + 1) * n) / buckets); // exclusive
    x[2 * b] = ts[lo]!;
    x[2 * b + 1] = ts[hi - 1]!;
    for (let k = 0; k < series.length; k++) {
      const s = series[k]!;
      let mn = Infinity;
      let mx = -Infinity;
      let iMn = -1;
      let iMx = -1;
      for (let i = lo; i < hi; i++) {
        const v = s[i]!;
        if (v < mn) {
          mn = v;
          iMn = i;
        }
        if (v > mx) {
          mx = v;
          iMx = i;
        }
      }
      const out = ys[k]!;
      if (iMn < 0) {
        out[2 * b] = null;
        out[2 * b + 1] = null;
      } else if (iMn <= iMx) {
        out[2 * b] = roundForDisplay(mn);
        out[2 * b + 1] = roundForDisplay(mx);
      } else {
        out[2 * b] = roundForDisplay(mx);
        out[2 * b + 1] = roundForDisplay(mn);
      }
    }
  }
  // A bucket of one sample emits the same ts twice; uPlot needs strictly increasing x.
  return dedupeX({ x, ys });
}

/** Drop repeated x values (keeping the later point) so x is strictly increasing. */
function dedupeX(a: Aligned): Aligned {
  const keep: number[] = [];
  for (let i = 0; i < a.x.length; i++) if (i === a.x.length - 1 || a.x[i + 1] !== a.x[i]) keep.push(i);
  if (keep.length === a.x.length) return a;
  return { x: keep.map((i) => a.x[i]!), ys: a.ys.map((y) => keep.map((i) => y[i]!)) };
}

/**
 * Merge several aligned parts with different x into one x axis (sorted union); each part's series
 * get null where that part has no point.
 */
export function unionAlign(parts: readonly Aligned[]): Aligned {
  const set = new Set<number>();
  for (const p of parts) for (const t of p.x) set.add(t);
  const x = Array.from(set).sort((a, b) => a - b);
  const pos = new Map<number, number>();
  x.forEach((t, i) => pos.set(t, i));
  const ys: (number | null)[][] = [];
  for (const p of parts) {
    for (const y of p.ys) {
      const out = new Array<number | null>(x.length).fill(null);
      for (let i = 0; i < p.x.length; i++) out[pos.get(p.x[i]!)!] = y[i]!;
      ys.push(out);
    }
  }
  return { x, ys };
}
