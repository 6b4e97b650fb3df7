/**
 * Fee model `schedule`: a rate on the traded quote notional, maker or taker, per venue and market
 * type. Defaults are each venue profile's base-tier schedule (src/venue/venues/<venue>.ts cites
 * the source); override any rate with run.json `models.fee.params.venues.<venue>.<spot|perp>.<maker|taker>`.
 * Taker rates are ≥ 0; maker rates may be negative (a rebate) down to −0.1 %.
 */
import type { VenueId } from '../core/ids.js';
import { SchemaError, hasOwn, number, object, parse, record } from '../core/schema.js';
import type { Instrument } from './instrument.js';
import { VENUE_PROFILES, type VenueFeeRates } from './venues/index.js';

export type { FeeRates, VenueFeeRates } from './venues/index.js';

/** Parameters of the fee model: rates by venue id (every venue of a run needs an entry). */
export interface FeeModelParams {
  venues: Record<VenueId, VenueFeeRates>;
}

/** One fill, as the fee model sees it. */
export interface FeeInput {
  instrument: Instrument;
  side: 'buy' | 'sell';
  /** Filled base qty, > 0. */
  qty: number;
  /** Fill price (slippage included), quote per base. */
  price: number;
  liquidity: 'maker' | 'taker';
  ts: number;
}

/** A named fee model. */
export interface FeeModel {
  readonly name: string;
  readonly params: FeeModelParams;
  /** Fee rate (decimal of notional) for a fill. */
  rate(venue: VenueId, market: 'spot' | 'perp', liquidity: 'maker' | 'taker'): number;
  /** Fee of one fill, quote units (> 0 is a cost). */
  fee(input: FeeInput): number;
}

const ratesSchema = object({
  maker: number({ min: -0.001, max: 0.01, unit: 'decimal', help: 'maker fee rate (negative: a rebate)' }),
  taker: number({ min: 0, max: 0.01, unit: 'decimal', help: 'taker fee rate' }),
});
/** Schema of one venue's rates (all four required once merged over the profile). */
export const venueFeeSchema = object({ spot: ratesSchema, perp: ratesSchema });
const paramsSchema = object({ venues: record(venueFeeSchema) });

/** Base-tier rates of every profiled venue. */
export const DEFAULT_FEE_RATES: Record<VenueId, VenueFeeRates> = Object.fromEntries(
  Object.values(VENUE_PROFILES).map((p) => [p.id, { spot: { ...p.fees.spot }, perp: { ...p.fees.perp } }]),
);

/** Own-property deep merge of plain objects (`over` wins); other values are taken as given. */
function mergeOver(base: unknown, over: unknown): unknown {
  if (over === null || typeof over !== 'object' || Array.isArray(over) || base === null || typeof base !== 'object' || Array.isArray(base)) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const k of Object.keys(over)) out[k] = hasOwn(base, k) ? mergeOver((base as Record<string, unknown>)[k], (over as Record<string, unknown>)[k]) : (over as Record<string, unknown>)[k];
  return out;
}

/**
 * Validate (partial) fee params from run.json merged over the profiles' rates. A bad value or an
 * unknown key is a SchemaError naming its path (`models.fee.params.venues.binance.perp.taker`).
 */
export function parseFeeParams(raw: unknown = {}, path = 'models.fee.params'): FeeModelParams {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SchemaError(path, `expected an object (got ${JSON.stringify(raw)})`);
  return parse(paramsSchema, mergeOver({ venues: DEFAULT_FEE_RATES }, raw), path);
}

/** The `schedule` fee model: look the rate up in the per-venue table. */
export function scheduleFeeModel(params: unknown = {}): FeeModel {
  const full = parseFeeParams(params);
  const rate = (venue: VenueId, market: 'spot' | 'perp', liquidity: 'maker' | 'taker'): number => {
    const v = hasOwn(full.venues, venue) ? full.venues[venue] : undefined;
    if (!v) throw new SchemaError(`models.fee.params.venues.${venue}`, `no fee rates for venue "${venue}"`);
    return v[market][liquidity];
  };
  return {
    name: 'schedule',
    params: full,
    rate,
    fee: (f) => f.qty * f.price * rate(f.instrument.venue, f.instrument.type, f.liquidity),
  };
}
