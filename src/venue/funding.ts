/**
 * Funding model: which mark price a settlement uses and what it pays.
 *
 * Payment = −signedQty × markPrice × rate (a long pays a positive rate, a short receives it), in
 * quote units, for the interval that ends at the settlement (Binance USDⓈ-M "Funding Fee =
 * Position Value × Funding Rate", https://www.binance.com/en/support/faq/360033525031; Bybit and
 * OKX the same). The interval comes from the data row, never assumed.
 *
 * Mark at the settlement, in order: the row's own `mark_price` when the venue published one;
 * else the latest mark the replay has revealed at the settlement — the close of the mark bar
 * ending at t, or without a mark series the perp's own close (the engine keeps this in the price
 * store). When bars and settlements are at different phases, that is the latest close at or
 * before t, never a later bar.
 */

/** What a settlement's mark is chosen from. */
export interface FundingMarkInput {
  /** The settlement row's mark price (NaN or ≤ 0 when absent). */
  rowMarkPrice: number;
  /** Latest mark revealed at the settlement (mark series close, else perp close; NaN before any). */
  latestMark: number;
}

/** Mark price of a settlement (NaN when none is known yet: no payment). */
export function fundingMarkPrice(input: FundingMarkInput): number {
  return input.rowMarkPrice > 0 ? input.rowMarkPrice : input.latestMark;
}

/** One settlement on one position. */
export interface FundingPaymentInput {
  /** Signed position qty held over the settlement, base units. */
  signedQty: number;
  markPrice: number;
  /** Decimal rate for the interval. */
  rate: number;
}

/** Cash the position receives (+) or pays (−), quote units: −signedQty × markPrice × rate. */
export function fundingPayment(input: FundingPaymentInput): number {
  return -input.signedQty * input.markPrice * input.rate;
}
