/** Binary searches over ascending timestamp columns (UnixMs in a Float64Array). */

/**
 * Index of the last element `≤ t` of the ascending `ts`, or −1 when every element is after `t`
 * (or `ts` is empty). O(log n).
 */
export function lastAtOrBefore(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid]! <= t) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}
