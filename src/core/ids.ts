/**
 * Identifiers. Venues are lower-case ccxt exchange ids; instruments are ccxt unified symbols:
 * `BTC/USDT` is spot, `BTC/USDT:USDT` a USDT-margined linear perpetual, `BTC/USD:BTC` an inverse perp.
 */
import { UserError } from './errors.js';
import { timeframeToMs } from './time.js';

/** A venue id, lower-case as in ccxt (`binance`, `bybit`, `okx`, `hyperliquid`). */
export type VenueId = string;

/** A ccxt unified market symbol. */
export type Symbol = string;

/** Kinds of series perpcarry stores. */
export type SeriesKind = 'ohlcv' | 'mark' | 'index' | 'funding' | 'open_interest';

export const SERIES_KINDS: readonly SeriesKind[] = ['ohlcv', 'mark', 'index', 'funding', 'open_interest'];

/** Parsed parts of a ccxt unified symbol. */
export interface SymbolParts {
  base: string;
  quote: string;
  /** Settlement currency for derivatives (`USDT` in `BTC/USDT:USDT`); undefined for spot. */
  settle?: string;
  isPerp: boolean;
}

const SYMBOL_RE = /^([A-Z0-9]+)\/([A-Z0-9]+)(?::([A-Z0-9]+))?$/;

/** Parse a ccxt unified symbol; throws on malformed input. */
export function parseSymbol(symbol: Symbol): SymbolParts {
  const m = SYMBOL_RE.exec(symbol);
  if (!m) throw new UserError(`invalid symbol "${symbol}" (expected ccxt unified form like BTC/USDT or BTC/USDT:USDT)`);
  return { base: m[1]!, quote: m[2]!, settle: m[3], isPerp: m[3] !== undefined };
}

/** The linear perp symbol matching a spot or perp symbol: `ETH/USDT` → `ETH/USDT:USDT`. */
export function perpOf(symbol: Symbol): Symbol {
  const p = parseSymbol(symbol);
  return `${p.base}/${p.quote}:${p.settle ?? p.quote}`;
}

/** The spot symbol matching a spot or perp symbol: `ETH/USDT:USDT` → `ETH/USDT`. */
export function spotOf(symbol: Symbol): Symbol {
  const p = parseSymbol(symbol);
  return `${p.base}/${p.quote}`;
}

/** Directory-safe form of a symbol: `BTC/USDT:USDT` → `BTC-USDT-USDT`, `BTC/USDT` → `BTC-USDT`. */
export function symbolToDir(symbol: Symbol): string {
  parseSymbol(symbol);
  return symbol.replace('/', '-').replace(':', '-');
}

/** Inverse of {@link symbolToDir}: 2 parts ⇒ spot, 3 parts ⇒ derivative. */
export function dirToSymbol(dir: string): Symbol {
  const parts = dir.split('-');
  if (parts.length === 2) return `${parts[0]}/${parts[1]}`;
  if (parts.length === 3) return `${parts[0]}/${parts[1]}:${parts[2]}`;
  throw new Error(`cannot read a symbol from directory name "${dir}"`);
}

/** Relative path of a series file in the store: `binance/BTC-USDT-USDT/ohlcv-1h.arrow`, `…/funding.arrow`. */
export function seriesRelPath(venue: VenueId, symbol: Symbol, kind: SeriesKind, timeframe?: string): string {
  checkVenueId(venue);
  const name = kind === 'funding' ? 'funding' : `${kind}-${requireTimeframe(kind, timeframe)}`;
  return `${venue}/${symbolToDir(symbol)}/${name}.arrow`;
}

const VENUE_RE = /^[a-z0-9][a-z0-9_]*$/;

/**
 * Throw a UserError unless `venue` looks like a ccxt exchange id (lower-case letters, digits, `_`).
 * Venue ids become directory names in the store, so `../x` or `a/b` must never reach a path.
 */
export function checkVenueId(venue: VenueId): void {
  if (typeof venue !== 'string' || !VENUE_RE.test(venue)) {
    throw new UserError(`invalid venue "${String(venue)}" (expected a lower-case ccxt exchange id like binance)`);
  }
}

function requireTimeframe(kind: SeriesKind, timeframe: string | undefined): string {
  if (!timeframe) throw new UserError(`series kind "${kind}" needs a timeframe`);
  timeframeToMs(timeframe);
  return timeframe;
}
