/**
 * `perpcarry data fetch`: download funding, OHLCV, mark/index candles and open interest with ccxt
 * and store them in the Arrow store, incrementally and resumably.
 *
 * Paging: each request asks for one fixed window [s, s + W) with W = pageLimit × the smallest row
 * spacing possible (the timeframe for bars, 1 h for funding), so a window can never hold more rows
 * than the page limit, whether the exchange returns the oldest (Binance) or the newest (Bybit, OKX)
 * rows first. An empty window therefore means "no data here" and paging simply goes on. A full
 * page that stops short of its window's last slot was trimmed (ccxt cuts a page to `limit`, e.g.
 * when an exchange repeats rows): paging continues from its last row instead of the window end.
 * Rows outside [since, until) are dropped; overlapping, duplicated and out-of-order rows are merged
 * into one sorted series. Pages are stored with `storeSeries` (atomic file + catalog writes) every
 * `flushRows` rows, so a killed fetch leaves valid files and a rerun resumes from the last stored ts.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../core/errors.js';
import { parseSymbol, perpOf, seriesRelPath, spotOf, type SeriesKind, type Symbol } from '../../core/ids.js';
import { floorTo, isoUtc, MS_PER_HOUR, timeframeToMs, type UnixMs } from '../../core/time.js';
import { readCatalog, storeSeries, type Provenance } from '../catalog.js';
import { validateArrowFile } from '../validate-files.js';
import { KIND_COLUMNS } from '../schema.js';
import { mergeSeries, readSeriesFile, type SeriesColumns } from '../store.js';
import { openExchange, withRetry, DEFAULT_RETRY_POLICY, FetchFailedError, type OpenExchange, type RetryPolicy } from './exchange.js';
import {
  cleanWindow,
  fillFundingIntervals,
  fundingIntervalChanges,
  fundingToSeries,
  ohlcvToSeries,
  openInterestToSeries,
  type CcxtFundingRow,
  type CcxtOhlcvRow,
  type CcxtOpenInterestRow,
} from './rows.js';
import { venueSpec, type VenueSpec } from './venues.js';

/** Options of {@link runFetch}. Times are UnixMs; `until` is exclusive. */
export interface FetchOptions {
  dataDir: string;
  exchange: string;
  /** ccxt unified symbol; a perp (`BTC/USDT:USDT`) or a spot pair (`BTC/USDT`, OHLCV only). */
  symbol: Symbol;
  kinds: SeriesKind[];
  /** Bar timeframe for ohlcv/mark/index/open_interest (default `1h`). */
  timeframe: string;
  sinceMs: UnixMs;
  /** Exclusive end; default now. Bars that have not closed yet are never stored. */
  untilMs?: UnixMs;
  /** Also fetch the matching spot OHLCV (`BTC/USDT` for `BTC/USDT:USDT`). */
  withSpot?: boolean;
  /** Testing: send every request to this base URL (`http://127.0.0.1:PORT`) instead of the exchange. */
  apiBase?: string;
  /** Override the venue's rows per request (testing, or to be gentle with an API). */
  pageLimit?: number;
  /** Store after this many new rows have been fetched (default 5000; 1 = after every page). */
  flushRows?: number;
  retry?: Partial<RetryPolicy>;
  /** ccxt `rateLimit` in ms (spacing per unit of endpoint weight); default ccxt's value per exchange. */
  rateLimitMs?: number;
  /** Clock, for tests. */
  nowMs?: UnixMs;
  /** Progress callback (the CLI draws a bar on a TTY). */
  onProgress?: (p: FetchProgress) => void;
  /** Retry notices (the CLI prints them on stderr). */
  onRetry?: (msg: string) => void;
}

/** Progress of one series. */
export interface FetchProgress {
  label: string;
  /** Fraction of the requested range done, 0..1. */
  fraction: number;
  rows: number;
  /** End of the range covered so far (exclusive), UnixMs. */
  doneUntilMs: UnixMs;
  fromMs: UnixMs;
  toMs: UnixMs;
  requests: number;
}

/** Outcome of one series. */
export interface SeriesFetchSummary {
  venue: string;
  symbol: Symbol;
  kind: SeriesKind;
  timeframe?: string;
  /** Path relative to the data dir; absent when skipped. */
  path?: string;
  /** Why the series was not fetched (unsupported on the venue, wrong market type). */
  skipped?: string;
  /** Ranges actually requested, ISO. */
  ranges: [string, string][];
  requests: number;
  fetchedRows: number;
  added: number;
  replaced: number;
  rowsInFile: number;
  firstIso?: string;
  lastIso?: string;
  /** Funding only: `[iso, fromHours, toHours]` for each interval change in the stored series. */
  intervalChanges?: [string, number, number][];
  /** `data validate` on the stored file (with its catalog entry) after the fetch. */
  validation?: { ok: boolean; errors: number; warnings: number; infos: number; issues: { severity: string; code: string; count: number; message: string }[] };
}

/** Outcome of {@link runFetch}. */
export interface FetchSummary {
  exchange: string;
  symbol: Symbol;
  ccxtVersion: string;
  sinceIso: string;
  untilIso: string;
  fetchedAt: string;
  retries: number;
  series: SeriesFetchSummary[];
}

interface SeriesJob {
  symbol: Symbol;
  kind: SeriesKind;
  timeframe?: string;
  skipped?: string;
}

/** Parse `--kinds funding,ohlcv,mark` into kinds, naming the option on error. */
export function parseKinds(text: string): SeriesKind[] {
  const all: SeriesKind[] = ['ohlcv', 'mark', 'index', 'funding', 'open_interest'];
  const out: SeriesKind[] = [];
  for (const raw of text.split(',')) {
    const k = raw.trim();
    if (!k) continue;
    if (!(all as string[]).includes(k)) throw new UserError(`--kinds: unknown kind "${k}" (choose from ${all.join(', ')})`);
    if (!out.includes(k as SeriesKind)) out.push(k as SeriesKind);
  }
  if (out.length === 0) throw new UserError('--kinds: name at least one kind');
  return out;
}

function planJobs(spec: VenueSpec, opts: FetchOptions): SeriesJob[] {
  const parts = parseSymbol(opts.symbol);
  const jobs: SeriesJob[] = [];
  for (const kind of opts.kinds) {
    const timeframe = kind === 'funding' ? undefined : opts.timeframe;
    let skipped = spec.unsupported[kind];
    if (!parts.isPerp && kind !== 'ohlcv') skipped = `${kind} needs a perpetual symbol (e.g. ${perpOf(opts.symbol)}), ${opts.symbol} is spot`;
    jobs.push({ symbol: opts.symbol, kind, timeframe, skipped });
  }
  if (opts.withSpot) {
    if (!parts.isPerp) throw new UserError(`--with-spot: ${opts.symbol} is already a spot symbol`);
    jobs.push({ symbol: spotOf(opts.symbol), kind: 'ohlcv', timeframe: opts.timeframe });
  }
  return jobs;
}

/** The ccxt method a kind uses (for provenance and messages). */
function ccxtMethod(kind: SeriesKind): string {
  if (kind === 'funding') return 'fetchFundingRateHistory';
  if (kind === 'open_interest') return 'fetchOpenInterestHistory';
  return 'fetchOHLCV';
}

/** A fetched page: rows as (unsorted) series columns, plus ccxt's row count and latest raw ts. */
interface PageResult {
  page: SeriesColumns;
  rawCount: number;
  rawMaxTs: number;
}

function rawStats(ts: (number | null | undefined)[]): { rawCount: number; rawMaxTs: number } {
  let rawMaxTs = -Infinity;
  for (const t of ts) if (typeof t === 'number' && t > rawMaxTs) rawMaxTs = t;
  return { rawCount: ts.length, rawMaxTs };
}

/** One request for the inclusive window [s, e]. */
async function fetchPage(oe: OpenExchange, spec: VenueSpec, job: SeriesJob, s: UnixMs, e: UnixMs, limit: number): Promise<PageResult> {
  const ex = oe.ex;
  const until = spec.untilExclusive ? e + 1 : e;
  const what = `${spec.id} ${ccxtMethod(job.kind)} ${job.symbol}`;
  switch (job.kind) {
    case 'funding': {
      // ccxt okx ignores `until` for funding; its exclusive `after` cursor bounds the window.
      const params = spec.id === 'okx' ? { after: until } : { until };
      const rows = (await ex.fetchFundingRateHistory(job.symbol, s, limit, params)) as unknown as CcxtFundingRow[];
      return { page: fundingToSeries(rows, what), ...rawStats(rows.map((r) => r.timestamp)) };
    }
    case 'open_interest': {
      const rows = (await ex.fetchOpenInterestHistory(job.symbol, job.timeframe, s, limit, { until })) as unknown as CcxtOpenInterestRow[];
      return { page: openInterestToSeries(rows, what), ...rawStats(rows.map((r) => r.timestamp)) };
    }
    default: {
      const params: Record<string, unknown> = { until };
      if (job.kind === 'mark' || job.kind === 'index') params['price'] = job.kind;
      const rows = (await ex.fetchOHLCV(job.symbol, job.timeframe, s, limit, params)) as unknown as CcxtOhlcvRow[];
      return { page: ohlcvToSeries(rows, job.kind, what), ...rawStats(rows.map((r) => r[0])) };
    }
  }
}

/**
 * Delete temp files a killed earlier write left next to `absPath` (`.<name>.<pid>.<n>.tmp`, see
 * writeFileAtomic). They are never read, only clutter; the stored file itself is always whole.
 */
function removeOrphanTemps(absPath: string): void {
  const dir = dirname(absPath);
  if (!existsSync(dir)) return;
  const prefix = `.${basename(absPath)}.`;
  for (const f of readdirSync(dir)) if (f.startsWith(prefix) && f.endsWith('.tmp')) rmSync(join(dir, f), { force: true });
}

/** First and last ts of the stored file of a series, read from the file itself (not the catalog). */
function storedBounds(dataDir: string, venue: string, job: SeriesJob): { first: UnixMs; last: UnixMs } | undefined {
  const abs = join(dataDir, seriesRelPath(venue, job.symbol, job.kind, job.timeframe));
  if (!existsSync(abs)) return undefined;
  const s = readSeriesFile(abs);
  if (s.ts.length === 0) return undefined;
  return { first: s.ts[0]!, last: s.ts[s.ts.length - 1]! };
}

/**
 * The ranges still to fetch for [from, to) given what is stored: the part before the first stored
 * row (a backfill), then from the last stored row on. The last stored row is fetched again because
 * it may have been written before the exchange finalised it.
 */
export function planRanges(from: UnixMs, to: UnixMs, stored: { first: UnixMs; last: UnixMs } | undefined): [UnixMs, UnixMs][] {
  if (!(from < to)) return [];
  if (!stored) return [[from, to]];
  const out: [UnixMs, UnixMs][] = [];
  if (from < stored.first) out.push([from, Math.min(stored.first, to)]);
  const resume = Math.max(from, stored.last);
  if (resume < to) out.push([resume, to]);
  return out;
}

/**
 * Provenance of one fetch. `sources` names the call and the range, so a series grown by several
 * fetches lists each (storeSeries accumulates sources); `details` describe the latest fetch.
 */
function provenanceFor(oe: OpenExchange, job: SeriesJob, opts: FetchOptions, fetchedAt: string, limit: number, untilMs: UnixMs): Provenance {
  const method = ccxtMethod(job.kind);
  const params: Record<string, unknown> = { symbol: job.symbol, since: isoUtc(opts.sinceMs), until: isoUtc(untilMs), pageLimit: limit };
  if (job.timeframe) params['timeframe'] = job.timeframe;
  if (job.kind === 'mark' || job.kind === 'index') params['price'] = job.kind;
  const details: Record<string, string> = {
    exchange: oe.venue,
    method,
    params: JSON.stringify(params),
    ccxtVersion: oe.ccxtVersion,
    fetchedAt,
  };
  if (opts.apiBase) details['apiBase'] = opts.apiBase;
  const notes: string[] = [];
  if (job.kind === 'funding') {
    notes.push('settlement ts snapped to the hour; interval_hours from the spacing of settlements (>8h spacing = gap)');
    if (oe.venue !== 'binance') notes.push(`${oe.venue} funding history has no mark price: mark_price is null`);
  } else if (job.kind !== 'open_interest') {
    notes.push('only closed bars are stored');
  }
  const call = `ccxt ${oe.venue}.${method}(${job.symbol}${job.timeframe ? ', ' + job.timeframe : ''}${job.kind === 'mark' || job.kind === 'index' ? `, price=${job.kind}` : ''})`;
  return { method: 'fetch', sources: [`${call} ${isoUtc(opts.sinceMs)} → ${isoUtc(untilMs)}`], notes, details, updatedAt: fetchedAt };
}

/**
 * Store fetched rows. Funding is merged here so `interval_hours` can be recomputed over the whole
 * series (a row's interval depends on its predecessor, which may be in the file or in this page);
 * other kinds merge inside `storeSeries`.
 */
function storeRows(opts: FetchOptions, spec: VenueSpec, job: SeriesJob, rows: SeriesColumns, provenance: Provenance): { added: number; replaced: number; rowsInFile: number; file: SeriesColumns } {
  const cols = KIND_COLUMNS[job.kind];
  const base = { dataDir: opts.dataDir, venue: spec.id, symbol: job.symbol, kind: job.kind, timeframe: job.timeframe, provenance };
  if (job.kind === 'funding') {
    const abs = join(opts.dataDir, seriesRelPath(spec.id, job.symbol, job.kind));
    let full = rows;
    let added = rows.ts.length;
    let replaced = 0;
    if (existsSync(abs)) {
      const m = mergeSeries(readSeriesFile(abs), rows, cols);
      full = m.merged;
      added = m.added;
      replaced = m.replaced;
    }
    // merged columns may be views of the file buffer: copy before filling in place
    full = { ts: Float64Array.from(full.ts), columns: Object.fromEntries(cols.map((c) => [c, Float64Array.from(full.columns[c]!)])) };
    fillFundingIntervals(full, spec.defaultFundingHours);
    storeSeries(full, base);
    return { added, replaced, rowsInFile: full.ts.length, file: full };
  }
  const r = storeSeries(rows, base);
  return { added: r.added, replaced: r.replaced, rowsInFile: r.entry.rows, file: rows };
}

async function fetchSeries(oe: OpenExchange, spec: VenueSpec, job: SeriesJob, opts: FetchOptions, nowMs: UnixMs, fetchedAt: string): Promise<SeriesFetchSummary> {
  const summary: SeriesFetchSummary = {
    venue: spec.id,
    symbol: job.symbol,
    kind: job.kind,
    ranges: [],
    requests: 0,
    fetchedRows: 0,
    added: 0,
    replaced: 0,
    rowsInFile: 0,
  };
  if (job.timeframe) summary.timeframe = job.timeframe;
  if (job.skipped) {
    summary.skipped = job.skipped;
    return summary;
  }
  summary.path = seriesRelPath(spec.id, job.symbol, job.kind, job.timeframe);
  removeOrphanTemps(join(opts.dataDir, summary.path));
  const stepMs = job.kind === 'funding' ? MS_PER_HOUR : timeframeToMs(job.timeframe!);
  // Only closed bars: a bar stamped t closes at t + step. Funding rows exist only once settled.
  const cutoff = job.kind === 'funding' ? nowMs + 1 : floorTo(nowMs, stepMs);
  const to = Math.min(opts.untilMs ?? nowMs, cutoff);
  const from = opts.sinceMs;
  const limit = Math.max(1, Math.floor(opts.pageLimit ?? spec.pageLimit[job.kind]));
  const windowMs = limit * stepMs;
  const ranges = planRanges(from, to, storedBounds(opts.dataDir, spec.id, job));
  summary.ranges = ranges.map(([a, b]) => [isoUtc(a), isoUtc(b)]);
  const provenance = provenanceFor(oe, job, opts, fetchedAt, limit, opts.untilMs ?? nowMs);
  const flushRows = Math.max(1, opts.flushRows ?? 5000);
  const label = `${spec.id} ${job.symbol} ${job.kind}${job.timeframe ? ' ' + job.timeframe : ''}`;
  const total = ranges.reduce((acc, [a, b]) => acc + (b - a), 0);
  let done = 0;
  const pending: SeriesColumns[] = [];
  let pendingRows = 0;
  const cols = KIND_COLUMNS[job.kind];
  const flush = (): void => {
    if (pendingRows === 0) return;
    let batch = pending[0]!;
    for (let i = 1; i < pending.length; i++) batch = mergeSeries(batch, pending[i]!, cols).merged;
    pending.length = 0;
    pendingRows = 0;
    const r = storeRows(opts, spec, job, batch, provenance);
    summary.added += r.added;
    summary.replaced += r.replaced;
  };
  for (const [a, b] of ranges) {
    let s = a;
    while (s < b) {
      const e = Math.min(s + windowMs, b) - 1;
      const what = `${label} [${isoUtc(s)} .. ${isoUtc(e + 1)})`;
      const start = s;
      const res = await withRetry(oe, what, () => fetchPage(oe, spec, job, start, e, limit), ({ attempt, delayMs, cause }) =>
        opts.onRetry?.(`${what}: retry ${attempt}/${oe.policy.retries} in ${delayMs} ms after ${cause}`),
      );
      summary.requests++;
      const clean = cleanWindow(res.page, job.kind, from, to);
      summary.fetchedRows += clean.ts.length;
      if (clean.ts.length > 0) {
        pending.push(clean);
        pendingRows += clean.ts.length;
      }
      if (pendingRows >= flushRows) flush();
      // A window holds at most `limit` rows, so a full page normally ends in the window's last
      // slot. A full page that stops earlier was cut short (duplicates, or ccxt trimming to
      // `limit`): continue from its last row instead of skipping the rest of the window.
      let next = e + 1;
      if (res.rawCount >= limit && res.rawMaxTs + stepMs <= e) next = Math.max(res.rawMaxTs, s + 1);
      done += next - s;
      s = next;
      opts.onProgress?.({ label, fraction: total > 0 ? Math.min(1, done / total) : 1, rows: summary.fetchedRows, doneUntilMs: s, fromMs: from, toMs: to, requests: summary.requests });
    }
  }
  flush();
  const abs = join(opts.dataDir, summary.path);
  if (existsSync(abs)) {
    const file = readSeriesFile(abs);
    const n = file.ts.length;
    summary.rowsInFile = n;
    if (n > 0) {
      summary.firstIso = isoUtc(file.ts[0]!);
      summary.lastIso = isoUtc(file.ts[n - 1]!);
    }
    if (job.kind === 'funding') summary.intervalChanges = fundingIntervalChanges(file).map(([t, f, x]) => [isoUtc(t), f, x]);
    const entry = readCatalog(opts.dataDir).entries.find((x) => x.path === summary.path);
    const rep = validateArrowFile(abs, entry);
    summary.validation = {
      ok: rep.ok,
      errors: rep.errors,
      warnings: rep.warnings,
      infos: rep.infos,
      issues: rep.issues.map((i) => ({ severity: i.severity, code: i.code, count: i.count, message: i.message })),
    };
  }
  return summary;
}

/**
 * Fetch every requested series of one symbol on one exchange. Loads ccxt lazily, loads only the
 * market types needed, checks the symbol exists, then fetches the series one after another.
 * Throws a UserError (non-zero exit) on bad options, an unknown symbol, or an exchange that stays
 * unreachable; rows stored before a failure stay valid and a rerun resumes from them.
 */
export async function runFetch(opts: FetchOptions): Promise<FetchSummary> {
  const spec = venueSpec(opts.exchange);
  parseSymbol(opts.symbol);
  timeframeToMs(opts.timeframe);
  const nowMs = opts.nowMs ?? Date.now();
  if (opts.untilMs !== undefined && !(opts.untilMs > opts.sinceMs)) {
    throw new UserError(`--until ${isoUtc(opts.untilMs)} must be after --since ${isoUtc(opts.sinceMs)}`);
  }
  if (opts.sinceMs >= nowMs) throw new UserError(`--since ${isoUtc(opts.sinceMs)} is in the future`);
  const jobs = planJobs(spec, opts);
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...opts.retry };
  const oe = await openExchange(spec, { apiBase: opts.apiBase, withSpot: jobs.some((j) => !parseSymbol(j.symbol).isPerp), policy, rateLimitMs: opts.rateLimitMs });
  const fetchedAt = new Date(nowMs).toISOString();
  try {
    await withRetry(oe, `${spec.id} loadMarkets`, () => oe.ex.loadMarkets(), ({ attempt, delayMs, cause }) =>
      opts.onRetry?.(`${spec.id} loadMarkets: retry ${attempt}/${policy.retries} in ${delayMs} ms after ${cause}`),
    );
  } catch (e) {
    if (e instanceof UserError) e.message += ' Nothing was stored.';
    throw e;
  }
  for (const job of jobs) {
    if (job.skipped) continue;
    const market = (oe.ex.markets as Record<string, { swap?: boolean; spot?: boolean } | undefined>)[job.symbol];
    if (!market) {
      const similar = Object.keys(oe.ex.markets ?? {})
        .filter((k) => k.startsWith(parseSymbol(job.symbol).base + '/'))
        .slice(0, 6);
      throw new UserError(`--symbol: ${spec.id} has no market ${job.symbol}${similar.length ? ` (did you mean ${similar.join(', ')}?)` : ''}`);
    }
    if (job.kind !== 'ohlcv' && !market.swap) job.skipped = `${job.symbol} is not a perpetual swap on ${spec.id}`;
  }
  const series: SeriesFetchSummary[] = [];
  for (const job of jobs) {
    try {
      series.push(await fetchSeries(oe, spec, job, opts, nowMs, fetchedAt));
    } catch (e) {
      if (e instanceof FetchFailedError) e.message += ' Rows stored before the failure are intact; rerun the same command to resume.';
      throw e;
    }
  }
  return {
    exchange: spec.id,
    symbol: opts.symbol,
    ccxtVersion: oe.ccxtVersion,
    sinceIso: isoUtc(opts.sinceMs),
    untilIso: isoUtc(opts.untilMs ?? nowMs),
    fetchedAt,
    retries: oe.retriesUsed,
    series,
  };
}
