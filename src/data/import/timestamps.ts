/**
 * Timestamp parsing for importers: epoch numbers in s/ms/µs/ns, ISO-8601 strings with or without
 * an offset, and simple `YYYY-MM-DD HH:mm:ss`-style formats. Wall-clock times without an offset are
 * read in an IANA time zone (default UTC) using Intl, so no tz database dependency is needed.
 */

/** Unit of a numeric timestamp, `iso` for strings, `auto` to decide per value by magnitude. */
export type TsUnit = 'auto' | 's' | 'ms' | 'us' | 'ns' | 'iso';

export const TS_UNITS: readonly TsUnit[] = ['auto', 's', 'ms', 'us', 'ns', 'iso'];

/** Result of parsing one timestamp: UnixMs, or an error message for the caller to wrap. */
export type TsParse = { ok: true; ts: number } | { ok: false; reason: string };

const fmtCache = new Map<string, Intl.DateTimeFormat>();

/** Throws a RangeError naming the zone if Intl does not know it. */
export function checkTimeZone(tz: string): void {
  zoneFormatter(tz);
}

function zoneFormatter(tz: string): Intl.DateTimeFormat {
  let f = fmtCache.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new RangeError(`unknown time zone "${tz}" (expected an IANA name like UTC or Europe/London)`);
    }
    fmtCache.set(tz, f);
  }
  return f;
}

const offsetCache = new Map<string, number>();

/** Offset (local wall clock − UTC) in ms of zone `tz` at instant `utcMs`. Cached per zone and hour. */
export function zoneOffsetMs(tz: string, utcMs: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const hourKey = Math.floor(utcMs / 3_600_000);
  const key = `${tz}|${hourKey}`;
  const hit = offsetCache.get(key);
  if (hit !== undefined) return hit;
  // Offsets change on whole minutes in every zone in use since 1970; evaluate at the hour start.
  const at = hourKey * 3_600_000;
  const parts = zoneFormatter(tz).formatToParts(new Date(at));
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const off = wall - at;
  if (offsetCache.size > 200_000) offsetCache.clear();
  offsetCache.set(key, off);
  return off;
}

/**
 * Convert a wall-clock time in zone `tz` (given as the UTC ms of the same wall reading) to UnixMs.
 * A time that occurs twice (autumn DST fall-back) resolves to the *earlier* instant; a time that
 * does not exist (spring-forward gap) is an error.
 */
export function wallTimeToUtc(wallMs: number, tz: string): TsParse {
  if (tz === 'UTC' || tz === 'Etc/UTC') return { ok: true, ts: wallMs };
  const cands = new Set<number>();
  for (const probe of [wallMs - 14 * 3_600_000, wallMs, wallMs + 14 * 3_600_000]) {
    const c = wallMs - zoneOffsetMs(tz, probe);
    if (c + zoneOffsetMs(tz, c) === wallMs) cands.add(c);
  }
  if (cands.size === 0) return { ok: false, reason: `local time does not exist in ${tz} (DST gap)` };
  return { ok: true, ts: Math.min(...cands) };
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;

function fracToMs(frac: string | undefined): number {
  if (!frac) return 0;
  return Math.round(Number(`0.${frac}`) * 1000);
}

function offsetToMs(off: string): number {
  if (off === 'Z' || off === 'UTC') return 0;
  const sign = off[0] === '-' ? -1 : 1;
  const digits = off.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (h * 60 + m) * 60_000;
}

function validWall(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return false;
  const dim = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  return d <= dim;
}

/** Parse an ISO-8601 date/time; no offset ⇒ wall time in `tz`. */
export function parseIsoTimestamp(text: string, tz: string): TsParse {
  const m = ISO_RE.exec(text.trim());
  if (!m) return { ok: false, reason: `unparsable timestamp "${text}"` };
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (!validWall(y, mo, d, h, mi, s)) return { ok: false, reason: `invalid date/time "${text}"` };
  const wall = Date.UTC(y, mo - 1, d, h, mi, s) + fracToMs(m[7]);
  if (m[8] !== undefined) return { ok: true, ts: wall - offsetToMs(m[8]) };
  return wallTimeToUtc(wall, tz);
}

/**
 * Compile a format such as `DD/MM/YYYY HH:mm:ss` (tokens YYYY MM DD HH mm ss SSS; any other
 * character is literal) into a parser. Parsed times are wall times in `tz`.
 */
export function compileTsFormat(format: string): (text: string, tz: string) => TsParse {
  const tokens = ['YYYY', 'SSS', 'MM', 'DD', 'HH', 'mm', 'ss'];
  const order: string[] = [];
  let re = '^';
  for (let i = 0; i < format.length; ) {
    const tok = tokens.find((t) => format.startsWith(t, i));
    if (tok) {
      order.push(tok);
      re += tok === 'YYYY' ? '(\\d{4})' : tok === 'SSS' ? '(\\d{1,3})' : '(\\d{1,2})';
      i += tok.length;
    } else {
      re += format[i]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  if (!order.includes('YYYY') || !order.includes('MM') || !order.includes('DD')) {
    throw new RangeError(`timestamp format "${format}" must contain YYYY, MM and DD`);
  }
  const rx = new RegExp(re + '$');
  return (text, tz) => {
    const m = rx.exec(text.trim());
    if (!m) return { ok: false, reason: `timestamp "${text}" does not match format "${format}"` };
    const v: Record<string, number> = { YYYY: 0, MM: 1, DD: 1, HH: 0, mm: 0, ss: 0, SSS: 0 };
    order.forEach((t, k) => (v[t] = Number(m[k + 1])));
    if (!validWall(v.YYYY!, v.MM!, v.DD!, v.HH!, v.mm!, v.ss!)) return { ok: false, reason: `invalid date/time "${text}"` };
    return wallTimeToUtc(Date.UTC(v.YYYY!, v.MM! - 1, v.DD, v.HH, v.mm, v.ss, v.SSS), tz);
  };
}

/** Epoch number → UnixMs for a unit; `auto` picks s/ms/µs/ns by magnitude (valid for 1973–5138). */
export function epochToMs(v: number, unit: TsUnit): number {
  let u = unit;
  if (u === 'auto' || u === 'iso') {
    const a = Math.abs(v);
    u = a < 1e11 ? 's' : a < 1e14 ? 'ms' : a < 1e17 ? 'us' : 'ns';
  }
  switch (u) {
    case 's':
      return Math.round(v * 1000);
    case 'ms':
      return Math.round(v);
    case 'us':
      return Math.round(v / 1000);
    default:
      return Math.round(v / 1e6);
  }
}

const EPOCH_RE = /^-?\d+(\.\d+)?$/;

/**
 * Parse one raw cell into UnixMs. Accepts numbers, bigints (parquet INT64), Dates (parquet
 * TIMESTAMP) and strings (epoch digits or ISO, or `format` when given).
 */
export function parseTimestampCell(
  v: unknown,
  unit: TsUnit,
  tz: string,
  format?: (text: string, tz: string) => TsParse,
): TsParse {
  const p = parseTimestampRaw(v, unit, tz, format);
  if (p.ok && !inTsRange(p.ts)) {
    return { ok: false, reason: `timestamp ${String(v)} is outside years 0001-9999 as ${unit === 'auto' ? 'read' : unit} (wrong --ts-unit?)` };
  }
  return p;
}

/** Instants an ISO-8601 string with a 4-digit year can name: 0001-01-01 to 9999-12-31. */
const MIN_TS_MS = -62_135_596_800_000;
const MAX_TS_MS = 253_402_300_800_000;

/** Whether UnixMs `ts` lies in the years 0001–9999 that an imported timestamp may name. */
function inTsRange(ts: number): boolean {
  return ts >= MIN_TS_MS && ts < MAX_TS_MS;
}

/**
 * UnixMs of an epoch number `v` read from plain digits (unit `auto` or `ms`, no format), or NaN
 * when it is outside years 0001–9999: the same instant {@link parseTimestampCell} gives for the
 * digits' text, whose error the caller then reports through that function.
 */
export function epochDigitsToMs(v: number, unit: TsUnit): number {
  const ms = epochToMs(v, unit);
  return inTsRange(ms) ? ms : NaN;
}

function parseTimestampRaw(
  v: unknown,
  unit: TsUnit,
  tz: string,
  format?: (text: string, tz: string) => TsParse,
): TsParse {
  if (v === null || v === undefined || v === '') return { ok: false, reason: 'empty timestamp' };
  if (v instanceof Date) {
    const t = v.getTime();
    return Number.isFinite(t) ? { ok: true, ts: t } : { ok: false, reason: 'invalid Date' };
  }
  if (typeof v === 'bigint') {
    // Exact integer division before the Number conversion keeps µs/ns timestamps exact.
    const a = v < 0n ? -v : v;
    const u = unit === 'auto' || unit === 'iso' ? (a < 100_000_000_000n ? 's' : a < 100_000_000_000_000n ? 'ms' : a < 100_000_000_000_000_000n ? 'us' : 'ns') : unit;
    const ms = u === 's' ? Number(v) * 1000 : u === 'ms' ? Number(v) : u === 'us' ? Number(v / 1000n) : Number(v / 1_000_000n);
    return { ok: true, ts: ms };
  }
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return { ok: false, reason: `timestamp is ${v}` };
    if (unit === 'iso') return { ok: false, reason: `numeric timestamp ${v} where an ISO string was declared` };
    return { ok: true, ts: epochToMs(v, unit) };
  }
  if (typeof v !== 'string') return { ok: false, reason: `unsupported timestamp value ${JSON.stringify(v)}` };
  const s = v.trim();
  if (format) return format(s, tz);
  if (EPOCH_RE.test(s)) {
    if (unit === 'iso') return { ok: false, reason: `numeric timestamp "${s}" where an ISO string was declared` };
    if (!s.includes('.') && s.length > 16) {
      // ns (or long µs) digit strings exceed 2^53: cut digits instead of going through float.
      const u = unit === 'auto' ? (s.replace('-', '').length >= 18 ? 'ns' : 'us') : unit;
      if (u === 'ns') return { ok: true, ts: Number(s.slice(0, -6)) };
      if (u === 'us') return { ok: true, ts: Number(s.slice(0, -3)) };
    }
    return { ok: true, ts: epochToMs(Number(s), unit) };
  }
  if (unit !== 'auto' && unit !== 'iso') return { ok: false, reason: `"${s}" is not an epoch number in ${unit}` };
  return parseIsoTimestamp(s, tz);
}
