/**
 * One schema mechanism for typed params: strategy params (`--param k=v`, run.json `params`) and
 * venue model params (run.json `models.<model>.params`) are both described and validated with it.
 *
 * A schema is a plain, JSON-printable object (`{ type: 'number', default: 2, min: 0.1, help }`),
 * so a hand-written plain object works as well as one made by a builder; the builders only add
 * TypeScript inference (`Infer<typeof schema>`) and literal types for enums.
 *
 * ```ts
 * const feeParams = object({
 *   venues: record(object({ taker: number({ default: 0.0005, min: 0, help: 'taker fee rate' }) }), { keys: ['binance', 'bybit'] }),
 * });
 * type FeeParams = Infer<typeof feeParams>; // { venues: Record<string, { taker: number }> }
 * const p = parse(feeParams, json, 'models.fee.params');
 * // bad input → SchemaError "models.fee.params.venues.binance.taker: -1 is below the minimum 0"
 * ```
 *
 * Rules: unknown keys are errors listing the known ones; keys are looked up as own properties only
 * (`toString`, `constructor`, `__proto__` are unknown, never found through a prototype); numbers
 * accept JSON numbers or decimal text (`2`, `-0.5`, `1e-4`; not `0x10`, `Infinity`, ` `);
 * booleans accept true/false/1/0/yes/no/on/off; a missing key takes its default, a key without a
 * default is required (or `undefined` when `optional: true`). Parsed objects are fresh (the input is
 * never returned or mutated).
 */
import { UserError } from './errors.js';

/** A number (float64). Bounds are inclusive. */
export interface NumberSchema {
  readonly type: 'number';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  /** Unit shown in help and errors: `x`, `bps`, `h`, `USDT`, `decimal APR`. */
  readonly unit?: string;
  readonly help: string;
  readonly optional?: boolean;
}
/** An integer (a number with no fractional part). */
export interface IntegerSchema {
  readonly type: 'integer';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
  readonly help: string;
  readonly optional?: boolean;
}
export interface BooleanSchema {
  readonly type: 'boolean';
  readonly default?: boolean;
  readonly help: string;
  readonly optional?: boolean;
}
/** One of a fixed list of strings. */
export interface EnumSchema<V extends string = string> {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default?: V;
  readonly help: string;
  readonly optional?: boolean;
}
export interface StringSchema {
  readonly type: 'string';
  readonly default?: string;
  readonly help: string;
  readonly optional?: boolean;
}
/** A value that is one number, boolean, string or enum. */
export type LeafSchema = NumberSchema | IntegerSchema | BooleanSchema | EnumSchema | StringSchema;

/** An object with fixed keys; missing keys take their defaults, unknown keys are errors. */
export interface ObjectSchema<F extends Record<string, Schema> = Record<string, Schema>> {
  readonly type: 'object';
  readonly fields: F;
  readonly help?: string;
  readonly optional?: boolean;
}
/**
 * A map from string keys to values of one schema (e.g. per venue). `keys`, if given, limits the
 * keys (unknown ones are errors); `default` is the value when the key is missing (else `{}`).
 */
export interface RecordSchema<V extends Schema = Schema> {
  readonly type: 'record';
  readonly values: V;
  readonly keys?: readonly string[];
  readonly default?: Readonly<Record<string, unknown>>;
  readonly help?: string;
  readonly optional?: boolean;
}
export type Schema = LeafSchema | ObjectSchema | RecordSchema;

/** The value type a schema describes. */
export type Infer<S> = S extends { readonly optional: true } ? InferRequired<S> | undefined : InferRequired<S>;
type InferRequired<S> = S extends { readonly type: 'number' | 'integer' }
  ? number
  : S extends { readonly type: 'boolean' }
    ? boolean
    : S extends { readonly type: 'string' }
      ? string
      : S extends { readonly type: 'enum'; readonly values: readonly (infer V)[] }
        ? V
        : S extends { readonly type: 'object'; readonly fields: infer F }
          ? { -readonly [K in keyof F]: Infer<F[K]> }
          : S extends { readonly type: 'record'; readonly values: infer V }
            ? Record<string, Infer<V>>
            : never;
/** The value type of a record of schemas (e.g. a strategy's `params`). */
export type InferFields<F> = { -readonly [K in keyof F]: Infer<F[K]> };

type LeafOpts<T> = { default?: T; help: string; optional?: boolean };
type NumOpts = LeafOpts<number> & { min?: number; max?: number; unit?: string };

/** Keep only the keys that were given, so the schema prints clean JSON. */
function clean<T extends object>(o: T): T {
  const out = {} as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return Object.freeze(out) as T;
}

/** A number param: `number({ default: 2, min: 0.1, max: 20, unit: 'x', help: 'leverage' })`. */
export function number<const O extends NumOpts>(opts: O): O & { readonly type: 'number' } {
  return clean({ type: 'number', ...opts } as const);
}
/** An integer param. */
export function integer<const O extends NumOpts>(opts: O): O & { readonly type: 'integer' } {
  return clean({ type: 'integer', ...opts } as const);
}
/** A boolean param. */
export function boolean<const O extends LeafOpts<boolean>>(opts: O): O & { readonly type: 'boolean' } {
  return clean({ type: 'boolean', ...opts } as const);
}
/** A string param. */
export function string<const O extends LeafOpts<string>>(opts: O): O & { readonly type: 'string' } {
  return clean({ type: 'string', ...opts } as const);
}
/** One of `values`: `enumOf(['latest', 'mean'], { default: 'latest', help })` infers `'latest' | 'mean'`. */
export function enumOf<const V extends string, const O extends LeafOpts<NoInfer<V>>>(values: readonly V[], opts: O): O & { readonly type: 'enum'; readonly values: readonly V[] } {
  if (values.length === 0) throw new Error('enumOf: give at least one value');
  if (opts.default !== undefined && !values.includes(opts.default)) throw new Error(`enumOf: default "${opts.default}" is not one of ${values.join(', ')}`);
  return clean({ type: 'enum', values: Object.freeze([...values]), ...opts } as const);
}
/** Alias of {@link enumOf}. */
export const oneOf = enumOf;
type ObjectOpts = { help?: string; optional?: boolean };
type RecordOpts = { keys?: readonly string[]; default?: Record<string, unknown>; help?: string; optional?: boolean };

/** An object with fixed keys. */
export function object<const F extends Record<string, Schema>>(fields: F): ObjectSchema<F>;
export function object<const F extends Record<string, Schema>, const O extends ObjectOpts>(fields: F, opts: O): ObjectSchema<F> & O;
export function object(fields: Record<string, Schema>, opts: ObjectOpts = {}): ObjectSchema {
  return clean({ type: 'object', fields: Object.freeze({ ...fields }), ...opts });
}
/** A map from string keys (optionally limited to `keys`) to values of `values`. */
export function record<const V extends Schema>(values: V): RecordSchema<V>;
export function record<const V extends Schema, const O extends RecordOpts>(values: V, opts: O): RecordSchema<V> & O;
export function record(values: Schema, opts: RecordOpts = {}): RecordSchema {
  return clean({ type: 'record', values, ...opts, keys: opts.keys ? Object.freeze([...opts.keys]) : undefined });
}

/** A value that does not fit its schema. `path` is the dotted location (`models.fee.params.venues.binance.taker`). */
export class SchemaError extends UserError {
  readonly path: string;
  readonly detail: string;
  constructor(path: string, detail: string) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = 'SchemaError';
    this.path = path;
    this.detail = detail;
  }
}

/** `Object.hasOwn` (own properties only: `toString` or `__proto__` are never found through a prototype). */
export function hasOwn(o: object, key: PropertyKey): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** A decimal number as text: `2`, `-0.5`, `.5`, `1e-4`. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function join(path: string, key: string): string {
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
  return path ? `${path}.${k}` : k;
}
function show(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(raw) : typeof raw === 'object' && raw !== null ? (Array.isArray(raw) ? 'an array' : 'an object') : String(raw);
}
function isPlainObject(raw: unknown): raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return false;
  const proto = Object.getPrototypeOf(raw) as unknown;
  return proto === Object.prototype || proto === null;
}
/** Set an own data property (a `__proto__` key must not reach the prototype setter). */
function put(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function parseLeaf(s: LeafSchema, raw: unknown, path: string): unknown {
  switch (s.type) {
    case 'number':
    case 'integer': {
      const x = typeof raw === 'number' ? raw : typeof raw === 'string' && DECIMAL.test(raw.trim()) ? Number(raw) : NaN;
      const unit = s.unit ? ' ' + s.unit : '';
      if (!Number.isFinite(x)) throw new SchemaError(path, `${show(raw)} is not a number (${s.help})`);
      if (s.type === 'integer' && !Number.isInteger(x)) throw new SchemaError(path, `${x} is not an integer`);
      if (s.min !== undefined && x < s.min) throw new SchemaError(path, `${x} is below the minimum ${s.min}${unit}`);
      if (s.max !== undefined && x > s.max) throw new SchemaError(path, `${x} is above the maximum ${s.max}${unit}`);
      return x;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const t = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim().toLowerCase() : '';
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      throw new SchemaError(path, `${show(raw)} is not a boolean (true/false)`);
    }
    case 'enum': {
      if (typeof raw !== 'string' || !s.values.includes(raw)) throw new SchemaError(path, `${show(raw)} is not one of ${s.values.join(', ')}`);
      return raw;
    }
    case 'string':
      if (typeof raw === 'string') return raw;
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      throw new SchemaError(path, `${show(raw)} is not a string`);
  }
}

/** The value of a schema when its key is missing: its default, `undefined` if optional, else an error. */
function missing(s: Schema, path: string): unknown {
  if (s.type === 'object') return s.optional ? undefined : parseObject(s, {}, path);
  if (s.type === 'record') return s.default !== undefined ? parseRecord(s, s.default, path) : s.optional ? undefined : {};
  if (s.default !== undefined) return s.default;
  if (s.optional) return undefined;
  throw new SchemaError(path, `missing (${s.help})`);
}

function parseObject(s: ObjectSchema, raw: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(raw)) throw new SchemaError(path, `expected an object, got ${show(raw)}`);
  for (const k of Object.keys(raw)) {
    if (!hasOwn(s.fields, k)) {
      const known = Object.keys(s.fields);
      throw new SchemaError(join(path, k), `unknown key (known: ${known.length ? known.join(', ') : 'none'})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(s.fields)) {
    const sub = s.fields[k]!;
    const p = join(path, k);
    put(out, k, hasOwn(raw, k) && raw[k] !== undefined ? parseAt(sub, raw[k], p) : missing(sub, p));
  }
  return out;
}

function parseRecord(s: RecordSchema, raw: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(raw)) throw new SchemaError(path, `expected an object, got ${show(raw)}`);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(raw)) {
    if (s.keys && !s.keys.includes(k)) throw new SchemaError(join(path, k), `unknown key (known: ${s.keys.join(', ')})`);
    put(out, k, parseAt(s.values, raw[k], join(path, k)));
  }
  return out;
}

function parseAt(s: Schema, raw: unknown, path: string): unknown {
  if (s.type === 'object') return parseObject(s, raw, path);
  if (s.type === 'record') return parseRecord(s, raw, path);
  return parseLeaf(s, raw, path);
}

/**
 * Validate `raw` against `schema` and return a fresh value with defaults applied. `path` prefixes
 * every error (`models.fee.params`). Throws a {@link SchemaError} naming the full path of the first
 * problem.
 */
export function parse<S extends Schema>(schema: S, raw: unknown, path = ''): Infer<S> {
  if (raw === undefined) return missing(schema, path) as Infer<S>;
  return parseAt(schema, raw, path) as Infer<S>;
}

/** Validate a record of schemas (e.g. a strategy's `params`) as one object; see {@link parse}. */
export function parseFields<F extends Record<string, Schema>>(fields: F, raw: unknown, path = ''): InferFields<F> {
  return parseObject({ type: 'object', fields }, raw ?? {}, path) as InferFields<F>;
}

/** Check that `s` is a well-formed schema (e.g. a plain object from a plugin); returns the problems with their paths. */
export function checkSchema(s: unknown, path = ''): string[] {
  const at = (m: string) => (path ? `${path}: ${m}` : m);
  if (!isPlainObject(s)) return [at('not a schema object')];
  const t = s['type'];
  switch (t) {
    case 'number':
    case 'integer':
    case 'boolean':
    case 'string':
    case 'enum': {
      const out: string[] = [];
      if (typeof s['help'] !== 'string') out.push(at('help text missing'));
      if (t === 'enum' && (!Array.isArray(s['values']) || s['values'].length === 0 || s['values'].some((v) => typeof v !== 'string'))) out.push(at('values must be a non-empty list of strings'));
      if (s['default'] !== undefined && out.length === 0) {
        try {
          parseLeaf(s as unknown as LeafSchema, s['default'], path);
        } catch (e) {
          out.push(at(`default: ${(e as SchemaError).detail}`));
        }
      }
      return out;
    }
    case 'object': {
      const f = s['fields'];
      if (!isPlainObject(f)) return [at('fields must be an object')];
      return Object.keys(f).flatMap((k) => checkSchema(f[k], join(path, k)));
    }
    case 'record':
      return checkSchema(s['values'], join(path, '*'));
    default:
      return [at(`unknown type ${show(t)}`)];
  }
}

/** One help line per leaf: `path (type, default x, bounds, unit): help`, nested keys dotted (`*` for record keys). */
export function describe(s: Schema, path = ''): string[] {
  if (s.type === 'object') return Object.keys(s.fields).flatMap((k) => describe(s.fields[k]!, join(path, k)));
  if (s.type === 'record') return describe(s.values, `${path ? path + '.' : ''}${s.keys ? `{${s.keys.join('|')}}` : '*'}`);
  const range = s.type === 'number' || s.type === 'integer' ? `${s.min ?? ''}..${s.max ?? ''}` : s.type === 'enum' ? s.values.join('|') : '';
  const unit = (s.type === 'number' || s.type === 'integer') && s.unit ? s.unit : '';
  const dflt = s.default !== undefined ? `default ${String(s.default)}` : s.optional ? 'optional' : 'required';
  return [`${path} (${[s.type, dflt, range, unit].filter((x) => x !== '').join(', ')}): ${s.help}`];
}
