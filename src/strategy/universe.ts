import { UserError } from '../core/errors.js';
import { perpOf, spotOf } from '../core/ids.js';
import type { InstrumentSpec, UniverseInput } from './types.js';

/**
 * The venue of a single-venue strategy: `--venue` must name exactly one. Throws a UserError naming
 * the strategy and the venues given otherwise (silently using the first would hide a typo).
 */
export function singleVenue(strategyName: string, input: UniverseInput): string {
  const venue = input.venues[0];
  if (input.venues.length !== 1 || venue === undefined) {
    throw new UserError(`${strategyName} trades exactly one venue (got ${input.venues.length}: ${input.venues.join(',')})`);
  }
  return venue;
}

/** Universe of a one-venue hedge: the spot market and the linear perp of `--symbol` on `--venue`. */
export function spotAndPerpOnOneVenue(strategyName: string, input: UniverseInput): InstrumentSpec[] {
  const venue = singleVenue(strategyName, input);
  return [
    { venue, symbol: spotOf(input.symbol) },
    { venue, symbol: perpOf(input.symbol) },
  ];
}
