import type { Symbol, VenueId } from '../core/ids.js';

/**
 * A loaded instrument. `id` is a dense index (0..n−1) used for typed-array lookups in the engine,
 * the portfolio and the market view. Re-exported by `src/strategy/types.ts`.
 */
export interface Instrument {
  readonly id: number;
  readonly venue: VenueId;
  /** ccxt unified symbol: `ETH/USDT` (spot) or `ETH/USDT:USDT` (linear perp). */
  readonly symbol: Symbol;
  readonly type: 'spot' | 'perp';
  readonly base: string;
  readonly quote: string;
}
