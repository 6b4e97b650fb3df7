import { UserError } from '../core/errors.js';
import { perpOf, spotOf, type Symbol } from '../core/ids.js';
import type { Instrument, InstrumentSpec, UniverseInput } from './types.js';

/**
 * The venue of a single-venue strategy: `--venue` must name exactly one. Throws a UserError naming
 * the strategy and the venues given otherwise (silently using the first would hide a typo).
 */
export function singleVenue(strategyName: string, input: Pick<UniverseInput<unknown>, 'venues'>): string {
  const venue = input.venues[0];
  if (input.venues.length !== 1 || venue === undefined) {
    throw new UserError(`${strategyName} trades exactly one venue (got ${input.venues.length}: ${input.venues.join(',')})`);
  }
  return venue;
}

/**
 * The symbol of a one-asset strategy: `--symbol` must name exactly one (a list such as
 * `BTC/USDT,ETH/USDT` is for multi-asset strategies like carry-rotation).
 */
export function singleSymbol(strategyName: string, input: Pick<UniverseInput<unknown>, 'symbol' | 'symbols'>): Symbol {
  const symbols = input.symbols ?? [input.symbol];
  if (symbols.length !== 1) throw new UserError(`${strategyName} trades one asset (got ${symbols.length} symbols: ${symbols.join(',')})`);
  return input.symbol;
}

/**
 * The roles of a one-venue hedge: the spot market and the linear perp of one asset. (A type alias,
 * not an interface, so that it fits the index signature of a role record.)
 */
export type SpotPerpRoles = {
  readonly spot: InstrumentSpec;
  readonly perp: InstrumentSpec;
};

/** Spot and linear perp of `symbol` (spot or perp form) on `venue`. */
export function spotPerpOf(venue: string, symbol: Symbol): SpotPerpRoles {
  return { spot: { venue, symbol: spotOf(symbol) }, perp: { venue, symbol: perpOf(symbol) } };
}

/** Roles `{ spot, perp }` of a one-venue, one-asset hedge: `--venue` and `--symbol` must name one each. */
export function spotPerp(strategyName: string, input: UniverseInput<unknown>): SpotPerpRoles {
  return spotPerpOf(singleVenue(strategyName, input), singleSymbol(strategyName, input));
}

/** One `{ spot, perp }` per symbol of `--symbol` (comma-separated), all on the one `--venue`. */
export function spotPerpPerAsset(strategyName: string, input: UniverseInput<unknown>): readonly SpotPerpRoles[] {
  const venue = singleVenue(strategyName, input);
  const seen = new Set<string>();
  for (const s of input.symbols) {
    const base = spotOf(s);
    if (seen.has(base)) throw new UserError(`${strategyName}: --symbol lists ${base} twice`);
    seen.add(base);
  }
  return input.symbols.map((s) => spotPerpOf(venue, s));
}

/** Universe of a one-venue hedge as a flat list: the spot market and the linear perp of `--symbol` on `--venue`. */
export function spotAndPerpOnOneVenue(strategyName: string, input: UniverseInput<unknown>): InstrumentSpec[] {
  const r = spotPerp(strategyName, input);
  return [r.spot, r.perp];
}

/** The loaded instruments of {@link SpotPerpRoles}, as `onStart` receives them. */
export interface SpotPerpInstruments {
  readonly spot: Instrument;
  readonly perp: Instrument;
}
