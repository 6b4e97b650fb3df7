/**
 * The ccxt boundary: creates a ccxt exchange (ccxt is imported lazily, only here), points it at a
 * test server when asked, and runs calls with retries. This is the only file that loads ccxt.
 */
import { existsSync, readFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { Agent as HttpAgent } from 'node:http';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exchange } from 'ccxt';
import { UserError } from '../../core/errors.js';
import type { FetchVenue, VenueSpec } from './venues.js';

/** Retry, timeout and pacing settings of a fetch. */
export interface RetryPolicy {
  /** Retries after the first attempt (so `retries + 1` attempts in all). */
  retries: number;
  /** First backoff delay in ms; doubles on each retry (exponential backoff). */
  backoffMs: number;
  /** Upper bound of one backoff delay, ms (also caps a server's Retry-After). */
  maxBackoffMs: number;
  /** ccxt request timeout in ms (a slower response counts as a timeout and is retried). */
  timeoutMs: number;
}

/** Defaults: 5 retries, 1 s → 16 s backoff, 10 s timeout (ccxt's own default timeout). */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 5, backoffMs: 1_000, maxBackoffMs: 60_000, timeoutMs: 10_000 };

/** A response body that is not valid JSON (e.g. truncated): retried like a network error. */
export class MalformedResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedResponseError';
  }
}

/** The exchange gave up after all retries. `httpStatus` is undefined when no response came back. */
export class FetchFailedError extends UserError {
  readonly httpStatus: number | undefined;
  readonly attempts: number;
  constructor(message: string, httpStatus: number | undefined, attempts: number) {
    super(message, 3);
    this.name = 'FetchFailedError';
    this.httpStatus = httpStatus;
    this.attempts = attempts;
  }
}

/** An open ccxt exchange with the state the retry loop reads. */
export interface OpenExchange {
  ex: Exchange;
  venue: FetchVenue;
  ccxtVersion: string;
  /** Base URL requests go to (the override, or the exchange's first API URL). */
  apiBase: string;
  /** Status code and Retry-After header of the last HTTP response, reset before each attempt. */
  last: { status: number | undefined; retryAfter: string | undefined };
  /** Attempts that failed and were retried, over the life of this exchange. */
  retriesUsed: number;
  policy: RetryPolicy;
  /** ccxt's NetworkError class (timeouts, 429, 5xx, connection failures). */
  isNetworkError(e: unknown): boolean;
  /** ccxt's BadSymbol class. */
  isBadSymbol(e: unknown): boolean;
}

type Loose = Record<string, unknown>;

/**
 * Replace the scheme and host of every URL in `exchange.urls.api` with `base` + `/<venue>`, keeping
 * the path: `https://fapi.binance.com/fapi/v1` → `http://127.0.0.1:PORT/binance/fapi/v1`,
 * `https://api.{hostname}` (bybit) → `http://127.0.0.1:PORT/bybit`. Used by tests to point ccxt at
 * the loopback emulator; ccxt builds every request URL from these entries.
 */
export function overrideApiUrls(api: unknown, base: string, venue: string): unknown {
  const prefix = `${base.replace(/\/+$/, '')}/${venue}`;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/^https?:\/\/[^/]+/, prefix);
    if (v && typeof v === 'object') {
      const out: Loose = {};
      for (const [k, x] of Object.entries(v as Loose)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(api);
}

function firstUrl(api: unknown): string {
  if (typeof api === 'string') return api;
  if (api && typeof api === 'object') {
    for (const v of Object.values(api as Loose)) {
      const u = firstUrl(v);
      if (u) return u;
    }
  }
  return '';
}

/**
 * Create a ccxt exchange for `spec` with rate limiting on, the given timeout, only the market
 * types needed (so loadMarkets makes one or two requests), and, if `apiBase` is set, every API URL
 * rewritten to it. Truncated JSON bodies raise {@link MalformedResponseError} instead of ccxt's
 * default of passing the raw string on.
 */
export async function openExchange(
  spec: VenueSpec,
  opts: { apiBase?: string; withSpot: boolean; policy: RetryPolicy; rateLimitMs?: number },
): Promise<OpenExchange> {
  const ccxt = await import('ccxt');
  const Cls = (ccxt as unknown as Record<string, new (cfg: Loose) => Exchange>)[spec.id];
  if (!Cls) throw new UserError(`ccxt ${ccxt.version} has no exchange "${spec.id}"`);
  const cfg: Loose = { enableRateLimit: true, timeout: opts.policy.timeoutMs };
  // ccxt spaces requests by rateLimit × the endpoint's weight; a larger value is gentler.
  if (opts.rateLimitMs !== undefined) cfg['rateLimit'] = opts.rateLimitMs;
  const ex = new Cls(cfg);
  const options = ex.options as Loose;
  options['fetchMarkets'] = { ...((options['fetchMarkets']) ?? {}), types: spec.marketTypes(opts.withSpot) };
  options['adjustForTimeDifference'] = false;
  const urls = ex.urls as Loose;
  if (opts.apiBase) urls['api'] = overrideApiUrls(urls['api'], opts.apiBase, spec.id);
  // ccxt defaults to an https agent, which refuses plain-http URLs such as a loopback emulator's.
  if (opts.apiBase?.startsWith('http:')) (ex as unknown as Loose)['agent'] = new HttpAgent({ keepAlive: true });
  const apiBase = opts.apiBase ?? firstUrl(urls['api']).replace(/^(https?:\/\/[^/]+).*$/, '$1');
  await assertHostResolves(spec.id, apiBase, DNS_TIMEOUT_MS);
  const last: OpenExchange['last'] = { status: undefined, retryAfter: undefined };
  // Record the status and Retry-After of each response before ccxt turns it into an exception.
  const loose = ex as unknown as Loose;
  const origHandle = (loose['handleRestResponse'] as (...a: unknown[]) => unknown).bind(ex);
  loose['handleRestResponse'] = (response: { status: number; headers: { get(k: string): string | null } }, ...rest: unknown[]) => {
    last.status = response.status;
    last.retryAfter = response.headers.get('retry-after') ?? undefined;
    return origHandle(response, ...rest);
  };
  const origParse = (loose['parseJson'] as (s: unknown) => unknown).bind(ex);
  const onJson = (loose['onJsonResponse'] as (s: string) => string).bind(ex);
  loose['parseJson'] = (s: unknown): unknown => {
    if (typeof s === 'string' && /^\s*[[{]/.test(s)) {
      try {
        return JSON.parse(onJson(s)) as unknown;
      } catch (e) {
        throw new MalformedResponseError(`${spec.id}: response body is not valid JSON (${(e as Error).message}; ${s.length} bytes)`);
      }
    }
    return origParse(s);
  };
  return {
    ex,
    venue: spec.id,
    ccxtVersion: ccxtPackageVersion(ccxt.version),
    apiBase,
    last,
    retriesUsed: 0,
    policy: opts.policy,
    isNetworkError: (e) => e instanceof ccxt.NetworkError,
    isBadSymbol: (e) => e instanceof ccxt.BadSymbol,
  };
}

/** How long the up-front DNS lookup of the API host may take, ms. */
const DNS_TIMEOUT_MS = 5_000;
/** getaddrinfo answers that retrying with backoff cannot fix within a fetch's time. */
const DNS_FATAL = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ENODATA', 'ESERVFAIL', 'ETIMEOUT']);

/**
 * Resolve the API host once before the first request: without DNS (offline, no resolver) every
 * ccxt attempt fails the same way, and the retry loop's backoff spent ~31 s before saying
 * "unreachable". An IP literal (the loopback emulator) needs no lookup.
 */
export async function assertHostResolves(venue: string, base: string, timeoutMs: number): Promise<void> {
  let host: string;
  try {
    host = new URL(base).hostname.replace(/^\[|\]$/g, '');
  } catch {
    throw new UserError(`${venue}: API base "${base}" is not a URL`);
  }
  if (isIP(host) !== 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEOUT' })), timeoutMs);
    timer.unref();
  });
  try {
    await Promise.race([lookup(host), timeout]);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (!DNS_FATAL.has(code)) throw e;
    throw new UserError(`${venue} is unreachable at ${base}: cannot resolve ${host} (${code}: ${(e as Error).message}). Check the network connection and DNS. Nothing was stored.`);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The installed ccxt package version (its package.json). ccxt's exported `version` constant can
 * lag the package by a patch release (4.5.26 exports "4.5.25"), so provenance records the package.
 */
function ccxtPackageVersion(fallback: string): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve('ccxt')));
    for (let i = 0; i < 4; i++, dir = dirname(dir)) {
      const pj = join(dir, 'package.json');
      if (!existsSync(pj)) continue;
      const pkg = JSON.parse(readFileSync(pj, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ccxt' && pkg.version) return pkg.version;
    }
  } catch {
    // fall through: resolution differs under some bundlers
  }
  return fallback;
}

/** HTTP statuses worth retrying: timeouts, rate limits, server errors. */
function retryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true; // no response at all: connection refused, DNS, timeout
  return status === 408 || status === 418 || status === 429 || status >= 500 || (status >= 200 && status < 300);
}

/** Parse a Retry-After header (delta seconds or an HTTP date) into ms from now. */
export function retryAfterMs(header: string | undefined, nowMs: number): number | undefined {
  if (!header) return undefined;
  const s = header.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : undefined;
}

/** The delay before retry number `retry` (0-based): backoff·2^retry, at least Retry-After, capped. */
export function backoffDelayMs(policy: RetryPolicy, retry: number, retryAfter: number | undefined): number {
  const exp = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** retry);
  return Math.min(policy.maxBackoffMs, Math.max(exp, retryAfter ?? 0));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Run `call` with retries: ccxt network errors (timeouts, connection failures, 429 and 5xx) and
 * malformed bodies are retried with exponential backoff honouring Retry-After; other errors (bad
 * symbol, 4xx) fail at once. After the last attempt it throws a {@link FetchFailedError} naming the
 * request, the attempts and the last cause. `onRetry` is told about each retry.
 */
export async function withRetry<T>(
  oe: OpenExchange,
  what: string,
  call: () => Promise<T>,
  onRetry?: (info: { attempt: number; delayMs: number; cause: string }) => void,
): Promise<T> {
  const { policy } = oe;
  let sawResponse = false;
  for (let attempt = 0; ; attempt++) {
    oe.last.status = undefined;
    oe.last.retryAfter = undefined;
    try {
      return await call();
    } catch (e) {
      const status = oe.last.status;
      if (status !== undefined) sawResponse = true;
      const cause = `${(e as Error).name ?? 'Error'}: ${String((e as Error).message ?? e).slice(0, 300)}`;
      const transient = (oe.isNetworkError(e) || e instanceof MalformedResponseError) && retryableStatus(status);
      if (!transient) {
        if (oe.isBadSymbol(e)) throw new UserError(`${what}: ${cause}`);
        throw new FetchFailedError(`${what} failed${status !== undefined ? ` (HTTP ${String(status)})` : ''}: ${cause}`, status, attempt + 1);
      }
      if (attempt >= policy.retries) {
        const where = /https?:\/\/[^/\s]+/.exec(cause)?.[0] ?? oe.apiBase;
        if (!sawResponse) {
          throw new FetchFailedError(
            `${oe.venue} is unreachable at ${where}: ${what} got no response in ${attempt + 1} attempts (last: ${cause}). Check the network connection.`,
            undefined,
            attempt + 1,
          );
        }
        throw new FetchFailedError(`${what} failed after ${attempt + 1} attempts${status !== undefined ? ` (last HTTP ${String(status)})` : ''}: ${cause}`, status, attempt + 1);
      }
      const delayMs = backoffDelayMs(policy, attempt, retryAfterMs(oe.last.retryAfter, Date.now()));
      oe.retriesUsed++;
      onRetry?.({ attempt: attempt + 1, delayMs, cause });
      await sleep(delayMs);
    }
  }
}
