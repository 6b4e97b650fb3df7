/**
 * Time in perpcarry: every instant is a UnixMs, a float64 count of milliseconds since the Unix
 * epoch, UTC. float64 is exact for integers up to 2^53, i.e. for any ms timestamp until year 287396.
 */
import { UserError } from './errors.js';

export type UnixMs = number;

/** Milliseconds in common units. */
export const MS_PER_SECOND = 1_000;
export const MS_PER_MINUTE = 60_000;
export const MS_PER_HOUR = 3_600_000;
export const MS_PER_DAY = 86_400_000;
/** Milliseconds in a 365-day year: the annualization basis used throughout perpcarry. */
export const MS_PER_YEAR = 365 * MS_PER_DAY;

const TIMEFRAME_RE = /^(\d+)(m|h|d|w)$/;

/**
 * Duration of a ccxt-style timeframe string (`1m`, `5m`, `1h`, `4h`, `8h`, `1d`, `1w`) in ms.
 * Throws on anything else.
 */
export function timeframeToMs(timeframe: string): number {
  const m = TIMEFRAME_RE.exec(timeframe);
  if (!m) throw new UserError(`invalid timeframe "${timeframe}" (expected e.g. 1m, 5m, 1h, 4h, 1d)`);
  const n = Number(m[1]);
  if (!(n > 0)) throw new UserError(`invalid timeframe "${timeframe}": count must be positive`);
  const unit = m[2];
  const per = unit === 'm' ? MS_PER_MINUTE : unit === 'h' ? MS_PER_HOUR : unit === 'd' ? MS_PER_DAY : 7 * MS_PER_DAY;
  return n * per;
}

/** Canonical timeframe string for a duration in ms (inverse of {@link timeframeToMs}). */
export function msToTimeframe(ms: number): string {
  if (ms % (7 * MS_PER_DAY) === 0 && ms >= 7 * MS_PER_DAY) return `${ms / (7 * MS_PER_DAY)}w`;
  if (ms % MS_PER_DAY === 0) return `${ms / MS_PER_DAY}d`;
  if (ms % MS_PER_HOUR === 0) return `${ms / MS_PER_HOUR}h`;
  if (ms % MS_PER_MINUTE === 0) return `${ms / MS_PER_MINUTE}m`;
  throw new Error(`${ms} ms is not a whole number of minutes`);
}

/** ISO-8601 UTC string (`2025-02-03T00:00:00.000Z`) of a UnixMs. */
export function isoUtc(ts: UnixMs): string {
  return new Date(ts).toISOString();
}

/**
 * An instant as UTC ISO 8601 to the minute, `2025-02-03T14:00Z` (seconds, then ms, only when
 * nonzero: `2025-02-03T14:00:05Z`); `–` for null/non-finite.
 */
export function isoTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const iso = new Date(ms).toISOString(); // 2025-02-03T14:00:05.123Z
  if (iso.endsWith(':00.000Z')) return `${iso.slice(0, 16)}Z`;
  if (iso.endsWith('.000Z')) return `${iso.slice(0, 19)}Z`;
  return iso;
}

/** The UTC day of an instant, `2025-02-03`. */
export function isoDay(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : '–';
}

/** The UTC month of an instant, `2025-02`. */
export function isoMonth(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 7) : '–';
}

/** A window `[fromMs, toMs)` as `2025-02-02T00:00Z → 2025-02-05T00:00Z`. */
export function isoWindow(fromMs: number, toMs: number): string {
  return `${isoTime(fromMs)} → ${isoTime(toMs)}`;
}

/**
 * Parse a user-supplied instant. Accepts ISO dates (`2025-02-03`, `2025-02-03T12:00`,
 * with or without `Z`/offset: no offset means UTC) and integer epoch ms. Throws with `what` named.
 */
export function parseInstant(text: string, what = 'time'): UnixMs {
  const s = text.trim();
  if (/^-?\d{11,}$/.test(s)) {
    const ms = Number(s);
    if (!(Math.abs(ms) <= 8.64e15)) throw new UserError(`${what} "${text}": epoch ms outside the range of dates (±8.64e15)`);
    return ms;
  }
  let iso = s;
  if (/^\d{4}-\d{2}-\d{2}$/.test(iso)) iso += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(iso)) iso = iso.replace(' ', 'T') + 'Z';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) throw new UserError(`cannot parse ${what} "${text}" (expected ISO date like 2025-02-03 or 2025-02-03T08:00Z, or epoch ms)`);
  return t;
}

/** Floor `ts` to a multiple of `stepMs` (UTC-aligned). */
export function floorTo(ts: UnixMs, stepMs: number): UnixMs {
  return Math.floor(ts / stepMs) * stepMs;
}

/** Round `ts` to the nearest multiple of `stepMs` (used to snap exchange settlement jitter). */
export function roundTo(ts: UnixMs, stepMs: number): UnixMs {
  return Math.round(ts / stepMs) * stepMs;
}
