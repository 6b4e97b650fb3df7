/**
 * Exact number parsing straight from CSV bytes, for the cells that make up nearly every row of a
 * big file: plain decimals (`-40013.37622102`) and epoch digits (`1736073540000`). Each function
 * either returns exactly what `Number(text)` returns for the same bytes, or declines (NaN / −1)
 * and the caller takes the general, string-based path. Why not always `Number(text)`: a string per
 * cell costs more than the rest of an import together (10M rows × 6 cells).
 */

/** Exact powers of ten: 10^0 … 10^22 are exactly representable doubles. */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** Largest count of decimals read exactly (10^22 is the largest exact power of ten). */
const MAX_DECIMALS = 22;
/** 2^53: integers below it are exact doubles. */
const TWO_POW_53 = 9_007_199_254_740_992;

const ZERO = 48;
const DOT = 46;
const MINUS = 45;
const PLUS = 43;

/**
 * Reads numbers from bytes where they stand, in one pass, and says where each stopped ({@link end}),
 * so a CSV reader need not find a field's end first and parse it second.
 *
 * Exactness: the digits (without the dot) form an integer m, accumulated as m·10 + d, which is
 * exact while m < 2^53; a true value ≥ 2^53 can only come out ≥ 2^53 (rounding is monotone and
 * 2^53 is a double), so `m < 2^53` after the loop proves every step was exact. With m exact and
 * 10^decimals exact (≤ 22), one IEEE division is correctly rounded (Clinger's fast path), as
 * `Number(text)` is. Anything outside that is declined, never approximated.
 */
export class ByteNumberReader {
  /** Offset of the first byte after the number last read (where reading stopped). */
  end = 0;
  /** The digits read so far as an integer (exact while < 2^53). */
  private m = 0;

  /**
   * A plain decimal starting at `start`: optional sign, digits with at most one `.`, at least one
   * digit (no exponent, no spaces). Reading stops at the first byte that cannot continue it, or at
   * `limit`; {@link end} is set there. Returns `Number(text)` of the bytes read, or NaN when they
   * are not such a decimal or not exact by the rule above (the caller then takes the string path).
   */
  decimal(bytes: Uint8Array, start: number, limit: number): number {
    let p = start;
    let neg = false;
    if (p < limit) {
      const c = bytes[p]!;
      if (c === MINUS || c === PLUS) {
        neg = c === MINUS;
        p++;
      }
    }
    this.m = 0;
    const intStart = p;
    p = this.digits(bytes, p, limit);
    let digits = p - intStart;
    let decimals = 0;
    if (p < limit && bytes[p] === DOT) {
      const fracStart = ++p;
      p = this.digits(bytes, p, limit);
      decimals = p - fracStart;
      digits += decimals;
    }
    const m = this.m;
    this.end = p;
    if (digits === 0 || !(m < TWO_POW_53) || decimals > MAX_DECIMALS) return NaN;
    const v = decimals === 0 ? m : m / POW10[decimals]!;
    return neg ? -v : v;
  }

  /**
   * Unsigned epoch digits starting at `start` (1–16 of them, worth less than 2^53: exactly
   * `Number(text)`); stops like {@link decimal}. −1 when there are none, more than 16, or the value
   * is not exact. Epoch ms (13 digits) and µs (16, data.binance.vision's 2025+ spot files) fit.
   */
  epochDigits(bytes: Uint8Array, start: number, limit: number): number {
    this.m = 0;
    const p = this.digits(bytes, start, limit);
    this.end = p;
    const digits = p - start;
    return digits === 0 || digits > 16 || !(this.m < TWO_POW_53) ? -1 : this.m;
  }

  /**
   * Append the ASCII digits from `p` on to {@link m}; returns where they stop. Up to 9 digits are
   * gathered in int32 arithmetic and folded in as m·10^k + chunk: one double multiply-add per 9
   * digits instead of per digit (the serial chain of double operations was the parser's bottleneck).
   * Every fold is exact while the result is below 2^53, and a result at or above it stays there
   * (see the class comment), so the exactness test on m is unchanged.
   */
  private digits(bytes: Uint8Array, p: number, limit: number): number {
    let m = this.m;
    let q = p;
    for (;;) {
      const start = q;
      const stop = Math.min(limit, q + 9);
      let chunk = 0;
      for (; q < stop; q++) {
        const d = bytes[q]! - ZERO;
        if (d < 0 || d > 9) break;
        chunk = (chunk * 10 + d) | 0;
      }
      const k = q - start;
      if (k > 0) m = m * POW10[k]! + chunk;
      if (k < 9 || q >= limit) break;
    }
    this.m = m;
    return q;
  }
}

const whole = new ByteNumberReader();

/**
 * `bytes[start, end)` as a plain decimal read exactly (see {@link ByteNumberReader.decimal}), or
 * NaN when the range holds anything else (an empty range included).
 */
export function parsePlainDecimal(bytes: Uint8Array, start: number, end: number): number {
  const v = whole.decimal(bytes, start, end);
  return whole.end === end ? v : NaN;
}

/** `bytes[start, end)` as epoch digits (see {@link ByteNumberReader.epochDigits}), or −1. */
export function parseEpochDigits(bytes: Uint8Array, start: number, end: number): number {
  const v = whole.epochDigits(bytes, start, end);
  return whole.end === end ? v : -1;
}
