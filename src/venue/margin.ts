/**
 * Margin model `tiered`: maintenance margin from per-venue tiered brackets (a.k.a. leverage
 * brackets / risk limits).
 *
 * Maintenance margin of a position = |notional| × rate(tier) − deduction(tier), where the tier is
 * chosen by |notional| and the deduction ("maintenance amount" on Binance, `cum` in
 * `/fapi/v1/leverageBracket`) makes the function continuous:
 * deduction(k) = deduction(k−1) + floor(k) × (rate(k) − rate(k−1)). We store each tier's floor and rate
 * and derive the deductions, exactly as the venues define them.
 *
 * The tier tables and liquidation fees come from the venue profiles (src/venue/venues/<venue>.ts,
 * which cite their sources); override with run.json `models.margin.params`. Liquidation itself
 * (trigger, price, fee) is src/venue/liquidation.ts.
 *
 * Binance 2021 tables (`BINANCE_TIERS_2021`, for runs on 2021-era data): BTCUSDT as in Binance's
 * 2021-03 bracket table (floors 50k/250k/1M/10M/20M/50M/100M/200M/300M, `cum` 50/1300/16300/...),
 * ETHUSDT 0.5 % to 10k, 0.65 % to 100k, 1 % to 500k, ... (`cum` 15/365/5365/...), both as
 * reverse-engineered from Binance's web client in public liquidation calculators
 * (gist.github.com/highfestiva/b71e76f51eed84d56c1be8ebbcc286b5, 2021-03-26;
 * gist.github.com/crackcomm/e29582030d9eeac6c6124a7503cd0ac2).
 * (The gist's ETH table ends at 25 % from 20M; the 50 % tier from 50M is unverified.)
 */
import type { VenueId } from '../core/ids.js';
import { VENUE_PROFILES } from './venues/index.js';
import { DEFAULT_LIQUIDATION_FEE_RATES } from './liquidation.js';
import { UserError } from '../core/errors.js';
import { SchemaError, hasOwn, number, object, parse, record } from '../core/schema.js';

/** One tier: applies for |notional| > floor (quote units); `rate` is decimal. */
export interface MarginTier {
  floor: number;
  rate: number;
}

/** Tier tables keyed by `<venue>:<base>` (e.g. `binance:BTC`); `default` for anything else. */
export interface MarginModelParams {
  tiers: Record<string, MarginTier[]>;
  default: MarginTier[];
  /**
   * Liquidation fee per venue, decimal of the liquidated notional, charged on top of the close at
   * the liquidation price and capped at the margin left after the close (the venue does not
   * charge more than remains; a shortfall is the insurance fund's).
   */
  liquidationFeeRate: Record<VenueId, number>;
}

/** A tier table with derived deductions, ready for fast lookups. */
export interface TierTable {
  floors: Float64Array;
  rates: Float64Array;
  deductions: Float64Array;
}

/** A named margin model. */
export interface MarginModel {
  readonly name: 'tiered';
  readonly params: MarginModelParams;
  /** The tier table of a perp (`venue`, base asset such as `BTC`). */
  table(venue: VenueId, base: string): TierTable;
  liquidationFeeRate(venue: VenueId): number;
}

const t = (pairs: [number, number][]): MarginTier[] => pairs.map(([floor, rate]) => ({ floor, rate }));

/** Default tier tables `<venue>:<base>`, from the venue profiles (see each profile for sources). */
export const DEFAULT_MARGIN_TIERS: Record<string, MarginTier[]> = Object.fromEntries(
  Object.values(VENUE_PROFILES).flatMap((p) => Object.entries(p.tiers).map(([base, tiers]) => [`${p.id}:${base}`, tiers.map((x) => ({ ...x }))])),
);

/**
 * Binance's 2021 BTCUSDT and ETHUSDT tables (see the module comment), for runs on 2021-era data:
 * `models.margin.params.tiers` = `BINANCE_TIERS_2021` in a run.json.
 */
export const BINANCE_TIERS_2021: Record<string, MarginTier[]> = {
  'binance:BTC': t([[0, 0.004], [50_000, 0.005], [250_000, 0.01], [1_000_000, 0.025], [10_000_000, 0.05], [20_000_000, 0.1], [50_000_000, 0.125], [100_000_000, 0.15], [200_000_000, 0.25], [300_000_000, 0.5]]),
  'binance:ETH': t([[0, 0.005], [10_000, 0.0065], [100_000, 0.01], [500_000, 0.02], [1_000_000, 0.05], [2_000_000, 0.1], [5_000_000, 0.125], [10_000_000, 0.15], [20_000_000, 0.25], [50_000_000, 0.5]]),
};

/** A conservative table for perps without a specific one: 1 % then rising. */
export const DEFAULT_OTHER_TIERS: MarginTier[] = t([[0, 0.01], [100_000, 0.025], [1_000_000, 0.05], [5_000_000, 0.1], [20_000_000, 0.25], [50_000_000, 0.5]]);

/** Build the tier table with deductions from floors and rates; validates monotonicity. */
export function buildTierTable(tiers: readonly MarginTier[], what = 'tiers'): TierTable {
  const given: unknown = tiers; // run.json may hold anything here
  if (!Array.isArray(given)) throw new UserError(`${what}: expected an array of {floor, rate}, got ${JSON.stringify(tiers)}`);
  if (tiers.length === 0) throw new UserError(`${what}: need at least one tier`);
  const n = tiers.length;
  const floors = new Float64Array(n);
  const rates = new Float64Array(n);
  const deductions = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const tier = tiers[k]!;
    if (tier === null || typeof tier !== 'object') throw new UserError(`${what}[${k}]: expected {floor, rate}, got ${JSON.stringify(tier)}`);
    if (!(tier.rate > 0 && tier.rate <= 1)) throw new UserError(`${what}[${k}]: rate ${tier.rate} must be in (0, 1]`);
    if (k === 0 ? tier.floor !== 0 : !(tier.floor > tiers[k - 1]!.floor)) throw new UserError(`${what}[${k}]: floors must start at 0 and increase`);
    if (k > 0 && !(tier.rate >= tiers[k - 1]!.rate)) throw new UserError(`${what}[${k}]: rates must not decrease`);
    floors[k] = tier.floor;
    rates[k] = tier.rate;
    deductions[k] = k === 0 ? 0 : deductions[k - 1]! + tier.floor * (tier.rate - tiers[k - 1]!.rate);
  }
  return { floors, rates, deductions };
}

/** Index of the tier for an absolute notional (tier k covers floor(k) < notional ≤ floor(k+1)). */
export function tierIndex(table: TierTable, absNotional: number): number {
  const f = table.floors;
  const last = f.length - 1;
  // Scan up from the first tier: realistic positions sit in the first one or two.
  let k = 0;
  while (k < last && absNotional > f[k + 1]!) k++;
  return k;
}

/** Maintenance margin (quote units) of a position with |notional| `absNotional`. */
export function maintenanceMargin(table: TierTable, absNotional: number): number {
  if (absNotional <= 0) return 0;
  const k = tierIndex(table, absNotional);
  return absNotional * table.rates[k]! - table.deductions[k]!;
}

/** Schema of the liquidation fee rates (decimal of the liquidated notional, per venue). */
const liquidationFeeSchema = record(number({ min: 0, max: 0.1, unit: 'decimal', help: 'liquidation fee, decimal of the liquidated notional' }));

/** Check a tier list given in run.json: an array of `{ floor, rate }` (the table rules are buildTierTable's). */
function parseTiers(raw: unknown, path: string): MarginTier[] {
  if (!Array.isArray(raw)) throw new SchemaError(path, `expected a list of { floor, rate } tiers (got ${JSON.stringify(raw)})`);
  const out = raw.map((x: unknown, k) => parse(tierSchema, x, `${path}[${k}]`));
  try {
    buildTierTable(out, path);
  } catch (e) {
    throw new SchemaError('', (e as Error).message);
  }
  return out;
}
const tierSchema = object({
  floor: number({ min: 0, unit: 'USDT', help: 'the tier applies above this |notional|' }),
  rate: number({ min: 0, max: 1, unit: 'decimal', help: 'maintenance margin rate of the tier' }),
});

/**
 * Validate (partial) margin params from run.json and merge them over the venue profiles' tables:
 * `tiers` (by `<venue>:<base>`), `default` (perps without a table) and `liquidationFeeRate` (by
 * venue). A bad value is a SchemaError naming its path (`models.margin.params.tiers.binance:BTC[1].rate`).
 */
export function parseMarginParams(raw: unknown = {}, path = 'models.margin.params'): MarginModelParams {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SchemaError(path, `expected an object (got ${JSON.stringify(raw)})`);
  const known = ['tiers', 'default', 'liquidationFeeRate'];
  for (const k of Object.keys(raw)) if (!known.includes(k)) throw new SchemaError(`${path}.${k}`, `unknown key (known: ${known.join(', ')})`);
  const r = raw as Record<string, unknown>;
  const tiers: Record<string, MarginTier[]> = { ...DEFAULT_MARGIN_TIERS };
  if (hasOwn(r, 'tiers')) {
    const given = r['tiers'];
    if (given === null || typeof given !== 'object' || Array.isArray(given)) throw new SchemaError(`${path}.tiers`, 'expected an object of tier lists by "<venue>:<base>"');
    for (const [key, list] of Object.entries(given)) tiers[key] = parseTiers(list, `${path}.tiers.${key}`);
  }
  return {
    tiers,
    default: hasOwn(r, 'default') ? parseTiers(r['default'], `${path}.default`) : DEFAULT_OTHER_TIERS,
    liquidationFeeRate: { ...DEFAULT_LIQUIDATION_FEE_RATES, ...parse(liquidationFeeSchema, r['liquidationFeeRate'] ?? {}, `${path}.liquidationFeeRate`) },
  };
}

/** The `tiered` margin model; `params` as in run.json (validated, merged over the profiles). */
export function tieredMarginModel(params: unknown = {}): MarginModel {
  const full = parseMarginParams(params);
  const cache = new Map<string, TierTable>();
  return {
    name: 'tiered',
    params: full,
    table(venue, base) {
      const key = `${venue}:${base}`;
      let tbl = cache.get(key);
      if (!tbl) {
        tbl = buildTierTable(full.tiers[key] ?? full.default, `margin tiers ${key}`);
        cache.set(key, tbl);
      }
      return tbl;
    },
    liquidationFeeRate(venue) {
      const rate = full.liquidationFeeRate[venue];
      if (rate === undefined) throw new UserError(`no liquidation fee for venue "${venue}" (models.margin.params.liquidationFeeRate.${venue})`);
      return rate;
    },
  };
}
