/**
 * Read and validate scenario files. A bad file is a {@link UserError} naming the file and the JSON
 * path of the offending field (`shocks[2].basisPct`), unknown fields included.
 */
import { readFileSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import { MS_PER_MINUTE, parseInstant, type UnixMs } from '../core/time.js';
import type { Scenario, Shock } from './types.js';

type Json = Record<string, unknown>;

/** Fields every shock type accepts, and the ones it requires. */
const SHOCK_FIELDS: Record<Shock['type'], { required: readonly string[]; optional: readonly string[] }> = {
  basis: { required: ['venue', 'asset', 'from', 'to', 'basisPct'], optional: ['rampMinutes', 'note'] },
  funding: { required: ['venue', 'asset', 'from', 'ratePer8h'], optional: ['to', 'settlements', 'mode', 'note'] },
  'price-gap': { required: ['asset', 'at', 'pct'], optional: ['venues', 'note'] },
  outage: { required: ['venue', 'from', 'to'], optional: ['orders', 'note'] },
  'transfer-delay': { required: ['from', 'to'], optional: ['venues', 'delayMinutes', 'frozen', 'note'] },
  liquidity: { required: ['from', 'to', 'slippageMultiplier'], optional: ['venues', 'note'] },
  adl: { required: ['venue', 'at'], optional: ['asset', 'share', 'note'] },
};

class Reader {
  constructor(
    private readonly file: string,
    private readonly obj: Json,
    private readonly path: string,
  ) {}
  fail(field: string, msg: string): never {
    throw new UserError(`${this.file}: ${this.path}${this.path ? '.' : ''}${field}: ${msg}`);
  }
  has(field: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.obj, field);
  }
  string(field: string): string {
    const v = this.obj[field];
    if (typeof v !== 'string' || v.trim() === '') this.fail(field, `expected a non-empty string (got ${JSON.stringify(v)})`);
    return v.trim();
  }
  optString(field: string, dflt: string): string {
    return this.has(field) ? this.string(field) : dflt;
  }
  number(field: string, check?: (x: number) => string | null): number {
    const v = this.obj[field];
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(field, `expected a finite number (got ${JSON.stringify(v)})`);
    const why = check?.(v);
    if (why) this.fail(field, `${why} (got ${v})`);
    return v;
  }
  optNumber(field: string, dflt: number, check?: (x: number) => string | null): number {
    return this.has(field) ? this.number(field, check) : dflt;
  }
  boolean(field: string, dflt: boolean): boolean {
    if (!this.has(field)) return dflt;
    const v = this.obj[field];
    if (typeof v !== 'boolean') this.fail(field, `expected true or false (got ${JSON.stringify(v)})`);
    return v;
  }
  instant(field: string): UnixMs {
    const v = this.obj[field];
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(field, `expected an ISO time such as "2025-02-03T00:00Z" or epoch ms (got ${JSON.stringify(v)})`);
    try {
      const t = typeof v === 'number' ? v : parseInstant(v, field);
      if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) throw new Error('out of range');
      return t;
    } catch (e) {
      return this.fail(field, (e as Error).message);
    }
  }
  oneOf<T extends string>(field: string, values: readonly T[], dflt: T): T {
    if (!this.has(field)) return dflt;
    const v = this.obj[field];
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) this.fail(field, `expected one of ${values.join(', ')} (got ${JSON.stringify(v)})`);
    return v as T;
  }
  venues(field: string): string[] {
    if (!this.has(field)) return [];
    const v = this.obj[field];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !VENUE_RE.test(x))) this.fail(field, `expected a list of venue ids such as ["binance", "bybit"] (got ${JSON.stringify(v)})`);
    return v as string[];
  }
  venue(field: string): string {
    const v = this.string(field);
    if (!VENUE_RE.test(v)) this.fail(field, `"${v}" is not a venue id (lower-case ccxt id such as binance)`);
    return v;
  }
  asset(field: string): string {
    const v = this.string(field);
    if (!ASSET_RE.test(v)) this.fail(field, `"${v}" is not a base asset (upper-case, e.g. ETH)`);
    return v;
  }
  rejectUnknown(known: readonly string[]): void {
    for (const k of Object.keys(this.obj)) {
      if (!known.includes(k)) this.fail(k, `unknown field (known: ${known.join(', ')})`);
    }
  }
}

const VENUE_RE = /^[a-z][a-z0-9]{0,31}$/;
const ASSET_RE = /^[A-Z0-9]{1,20}$/;

function range(r: Reader): { fromMs: UnixMs; toMs: UnixMs } {
  const fromMs = r.instant('from');
  const toMs = r.instant('to');
  if (!(toMs > fromMs)) r.fail('to', 'must be after from');
  return { fromMs, toMs };
}

/** Validate one shock object. */
function parseShock(file: string, raw: unknown, path: string): Shock {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`${file}: ${path}: expected an object with a "type"`);
  const r = new Reader(file, raw as Json, path);
  const type = r.string('type') as Shock['type'];
  const fields = SHOCK_FIELDS[type];
  if (!Object.prototype.hasOwnProperty.call(SHOCK_FIELDS, type) || !fields) r.fail('type', `unknown shock type "${type}" (known: ${Object.keys(SHOCK_FIELDS).join(', ')})`);
  r.rejectUnknown(['type', ...fields.required, ...fields.optional]);
  for (const f of fields.required) if (!r.has(f)) r.fail(f, 'is required');
  const nonNegative = (x: number): string | null => (x >= 0 ? null : 'must be ≥ 0');
  switch (type) {
    case 'basis':
      return {
        type,
        venue: r.venue('venue'),
        asset: r.asset('asset'),
        ...range(r),
        basisPct: r.number('basisPct', (x) => (x > -100 && x < 100 ? null : 'must be in (−100, 100)')),
        rampMs: r.optNumber('rampMinutes', 0, nonNegative) * MS_PER_MINUTE,
      };
    case 'funding': {
      const fromMs = r.instant('from');
      const toMs = r.has('to') ? r.instant('to') : Infinity;
      if (!(toMs > fromMs)) r.fail('to', 'must be after from');
      if (!r.has('to') && !r.has('settlements')) r.fail('settlements', 'give settlements (a count) or to (an end time)');
      const settlements = r.optNumber('settlements', Infinity, (x) => (Number.isInteger(x) && x > 0 ? null : 'must be a positive integer'));
      return {
        type,
        venue: r.venue('venue'),
        asset: r.asset('asset'),
        fromMs,
        toMs,
        settlements,
        ratePer8h: r.number('ratePer8h', (x) => (Math.abs(x) < 0.05 ? null : 'is implausible (|rate| must be < 5 % per 8 h)')),
        mode: r.oneOf('mode', ['override', 'floor', 'cap'] as const, 'override'),
      };
    }
    case 'price-gap':
      return { type, asset: r.asset('asset'), venues: r.venues('venues'), atMs: r.instant('at'), pct: r.number('pct', (x) => (x > -100 && x < 1000 ? null : 'must be in (−100, 1000)')) };
    case 'outage':
      return { type, venue: r.venue('venue'), ...range(r), orders: r.oneOf('orders', ['refuse', 'queue'] as const, 'refuse') };
    case 'transfer-delay': {
      const frozen = r.boolean('frozen', false);
      if (!frozen && !r.has('delayMinutes')) r.fail('delayMinutes', 'give delayMinutes or frozen: true');
      return { type, venues: r.venues('venues'), ...range(r), delayMs: r.optNumber('delayMinutes', 0, nonNegative) * MS_PER_MINUTE, frozen };
    }
    case 'liquidity':
      return { type, venues: r.venues('venues'), ...range(r), slippageMultiplier: r.number('slippageMultiplier', (x) => (x >= 0 && x <= 1000 ? null : 'must be in [0, 1000]')) };
    case 'adl':
      return { type, venue: r.venue('venue'), asset: r.has('asset') ? r.asset('asset') : '', atMs: r.instant('at'), share: r.optNumber('share', NaN, (x) => (x > 0 && x <= 1 ? null : 'must be in (0, 1]')) };
  }
}

/** Validate a parsed scenario document (the object of a JSON file). */
export function parseScenario(file: string, doc: unknown): Scenario {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UserError(`${file}: expected an object with "name" and "shocks"`);
  const r = new Reader(file, doc as Json, '');
  r.rejectUnknown(['name', 'description', 'shocks']);
  const name = r.string('name');
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(name)) r.fail('name', `"${name}" must be kebab-case (a-z, 0-9, -)`);
  const description = r.optString('description', '');
  const shocks: unknown = (doc as Json)['shocks'];
  if (!Array.isArray(shocks) || shocks.length === 0) r.fail('shocks', 'expected a non-empty list of shocks');
  return { name, description, source: file, doc, shocks: (shocks as unknown[]).map((s, i) => parseShock(file, s, `shocks[${i}]`)) };
}

/** Read a scenario file (`.json`). */
export function readScenarioFile(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UserError(`--scenario ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UserError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseScenario(file, doc);
}
