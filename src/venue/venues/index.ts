/**
 * The known venue profiles. A venue without one is an error listing these, unless the run.json
 * supplies a full profile (fees and liquidation fee; see src/venue/registry.ts).
 */
import type { VenueId } from '../../core/ids.js';
import { UserError } from '../../core/errors.js';
import type { VenueProfile } from './profile.js';
import { binance } from './binance.js';
import { bybit } from './bybit.js';
import { okx } from './okx.js';
import { hyperliquid } from './hyperliquid.js';

export type { VenueProfile, VenueFeeRates, FeeRates, FundingConventions } from './profile.js';

/** Every profile, by venue id. */
export const VENUE_PROFILES: Readonly<Record<VenueId, VenueProfile>> = Object.freeze({ binance, bybit, okx, hyperliquid });

/** Ids of the venues with a profile, sorted. */
export function knownVenues(): VenueId[] {
  return Object.keys(VENUE_PROFILES).sort();
}

/** The profile of `venue`, or a UserError listing the known ones. */
export function venueProfile(venue: VenueId): VenueProfile {
  const p = Object.prototype.hasOwnProperty.call(VENUE_PROFILES, venue) ? VENUE_PROFILES[venue] : undefined;
  if (!p) throw new UserError(`venue "${venue}" has no profile (known: ${knownVenues().join(', ')}): add src/venue/venues/${venue}.ts, or give its fees and liquidation fee in run.json (models.fee.params.venues.${venue}, models.margin.params.liquidationFeeRate.${venue})`);
  return p;
}
