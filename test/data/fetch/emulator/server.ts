/**
 * A loopback exchange emulator: a real HTTP server on 127.0.0.1 (random port) that answers the REST
 * endpoints ccxt 4.5 calls for Binance, Bybit, OKX and Hyperliquid, in their response shapes (see
 * /work/shared/data/fixtures), backed by real values (./datasets.ts). ccxt is pointed at it by
 * rewriting `exchange.urls.api` to `http://127.0.0.1:PORT/<venue>/…` (`--api-base`).
 *
 * Paging follows each API: Binance returns the oldest `limit` rows of [startTime, endTime]; Bybit
 * the newest `limit` rows of [start, end], newest first; OKX the newest `limit` rows with
 * before < ts < after, newest first; Hyperliquid the oldest rows of [startTime, endTime].
 *
 * Faults, by data-request ordinal (market-loading requests are not counted): 429 with Retry-After,
 * 500, a response slower than the client's timeout, truncated JSON, a connection reset. Page
 * transforms: extra rows before/after the window (overlapping pages), duplicated rows, shuffled
 * rows (out of order), and holes in the data set (a window that comes back empty mid-range).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadVenueData, type Candle, type EmulatedVenue, type FundingRow, type OiRow, type VenueData } from './datasets.js';

/** A fault served instead of (or around) a data response. */
export type Fault =
  | { type: '429'; retryAfterSec: number }
  | { type: '500' }
  | { type: 'slow'; delayMs: number }
  | { type: 'truncate' }
  | { type: 'reset' };

/** Fault plan of an emulator; mutable between requests. */
export interface FaultPlan {
  /** Faults by 1-based data-request ordinal. */
  at?: Record<number, Fault>;
  /** Every data request from this ordinal on gets HTTP 500 (a persistent outage). */
  always500From?: number;
  /** Each page also carries this many rows before its window start and after its window end. */
  overlapRows?: number;
  /** Each page repeats every row twice. */
  duplicate?: boolean;
  /** Each page's rows come in a scrambled order. */
  shuffle?: boolean;
  /** Rows with ts in any [from, to) are missing from the exchange (an outage in the data). */
  holes?: [number, number][];
  /** Funding rows served instead of the venue's own (e.g. an interval-change scenario). */
  funding?: FundingRow[];
}

/** One request the emulator saw. */
export interface LoggedRequest {
  /** 1-based data-request ordinal, or 0 for market/metadata requests. */
  n: number;
  venue: string;
  path: string;
  params: Record<string, unknown>;
  status: number;
  atMs: number;
  fault?: Fault['type'];
}

/** A running emulator. */
export interface Emulator {
  base: string;
  port: number;
  data: Record<EmulatedVenue, VenueData>;
  faults: FaultPlan;
  log: LoggedRequest[];
  /** Called after each data response is fully written (tests use it to kill a client midway). */
  onDataResponse?: (n: number) => void;
  /** Clear the log, the fault plan and the data-request counter. */
  reset(): void;
  close(): Promise<void>;
}

type Params = Record<string, unknown>;
type Kind = 'perp' | 'spot' | 'mark' | 'index' | 'funding' | 'oi';
type Row = Candle | FundingRow | OiRow;

interface Page {
  body: unknown;
}

const HOUR = 3_600_000;

const n = (p: Params, k: string): number | undefined => (p[k] === undefined || p[k] === '' ? undefined : Number(p[k]));

/** A deterministic scramble: reverse, then swap neighbours. */
function scramble<T>(rows: T[]): T[] {
  const r = [...rows].reverse();
  for (let i = 0; i + 1 < r.length; i += 2) [r[i], r[i + 1]] = [r[i + 1]!, r[i]!];
  return r;
}

/**
 * Select rows for a request: rows in [lo, hi] (inclusive), `limit` of them from the oldest or the
 * newest end, then apply the page transforms of the fault plan. Returns rows ascending unless
 * shuffled; callers reverse for newest-first APIs.
 */
function select<T extends Row>(all: T[], lo: number, hi: number, limit: number, newestFirst: boolean, plan: FaultPlan): T[] {
  const visible = all.filter((r) => !(plan.holes ?? []).some(([a, b]) => r.t >= a && r.t < b));
  const inWin = visible.filter((r) => r.t >= lo && r.t <= hi);
  let rows = newestFirst ? inWin.slice(Math.max(0, inWin.length - limit)) : inWin.slice(0, limit);
  const k = plan.overlapRows ?? 0;
  if (k > 0) {
    const before = visible.filter((r) => r.t < lo).slice(-k);
    const after = visible.filter((r) => r.t > hi).slice(0, k);
    rows = [...before, ...rows, ...after];
  }
  if (plan.duplicate) rows = rows.flatMap((r) => [r, r]);
  if (plan.shuffle) rows = scramble(rows);
  return rows;
}

const s = (x: number): string => String(x);

// ---------------------------------------------------------------- Binance
const binanceFutureSymbol = {
  symbol: 'BTCUSDT', pair: 'BTCUSDT', contractType: 'PERPETUAL', deliveryDate: 4133404800000, onboardDate: 1569398400000,
  status: 'TRADING', baseAsset: 'BTC', quoteAsset: 'USDT', marginAsset: 'USDT', pricePrecision: 2, quantityPrecision: 3,
  baseAssetPrecision: 8, quotePrecision: 8, underlyingType: 'COIN', settlePlan: 0, triggerProtect: '0.0500',
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '261.10', maxPrice: '809484', tickSize: '0.10' },
    { filterType: 'LOT_SIZE', minQty: '0.001', maxQty: '1000', stepSize: '0.001' },
    { filterType: 'MARKET_LOT_SIZE', minQty: '0.001', maxQty: '120', stepSize: '0.001' },
    { filterType: 'MIN_NOTIONAL', notional: '100' },
  ],
  orderTypes: ['LIMIT', 'MARKET'], timeInForce: ['GTC', 'IOC', 'FOK', 'GTX'],
};
const binanceSpotSymbol = {
  symbol: 'BTCUSDT', status: 'TRADING', baseAsset: 'BTC', baseAssetPrecision: 8, quoteAsset: 'USDT', quotePrecision: 8,
  quoteAssetPrecision: 8, orderTypes: ['LIMIT', 'MARKET'], icebergAllowed: true, isSpotTradingAllowed: true, isMarginTradingAllowed: true,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
    { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
  ],
  permissions: [], permissionSets: [['SPOT', 'MARGIN']],
};

function binanceKline(c: Candle, stepMs: number, withVolume: boolean): unknown[] {
  const v = withVolume ? s(c.v) : '0';
  return [c.t, s(c.o), s(c.h), s(c.l), s(c.c), v, c.t + stepMs - 1, withVolume ? s(c.v * c.c) : '0', 1000, '0', '0', '0'];
}

function binance(path: string, p: Params, d: VenueData, plan: FaultPlan): Page | undefined {
  if (path === '/fapi/v1/exchangeInfo') return { body: { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], exchangeFilters: [], assets: [], symbols: [binanceFutureSymbol] } };
  if (path === '/api/v3/exchangeInfo') return { body: { timezone: 'UTC', serverTime: Date.now(), rateLimits: [], exchangeFilters: [], symbols: [binanceSpotSymbol] } };
  const lo = n(p, 'startTime') ?? 0;
  const hi = n(p, 'endTime') ?? Number.MAX_SAFE_INTEGER;
  const kl = (rows: Candle[], vol: boolean): Page => {
    const step = 3_600_000;
    return { body: select(rows, lo, hi, n(p, 'limit') ?? 500, false, plan).map((c) => binanceKline(c, step, vol)) };
  };
  if (path === '/fapi/v1/klines') return kl(d.perp, true);
  if (path === '/api/v3/klines') return kl(d.spot, true);
  if (path === '/fapi/v1/markPriceKlines') return kl(d.mark, false);
  if (path === '/fapi/v1/indexPriceKlines') return kl(d.index, false);
  if (path === '/fapi/v1/fundingRate') {
    const rows = select(plan.funding ?? d.funding, lo, hi, n(p, 'limit') ?? 100, false, plan);
    return { body: rows.map((r) => ({ symbol: 'BTCUSDT', fundingTime: r.t, fundingRate: r.rate.toFixed(8), markPrice: r.mark !== undefined ? r.mark.toFixed(8) : '' })) };
  }
  if (path === '/futures/data/openInterestHist') {
    const rows = select(d.oi, lo, hi, n(p, 'limit') ?? 30, false, plan);
    return { body: rows.map((r) => ({ symbol: 'BTCUSDT', sumOpenInterest: r.qty.toFixed(8), sumOpenInterestValue: r.value.toFixed(8), timestamp: r.t })) };
  }
  return undefined;
}

// ---------------------------------------------------------------- Bybit
const bybitEnvelope = (result: unknown): unknown => ({ retCode: 0, retMsg: 'OK', result, retExtInfo: {}, time: Date.now() });
const bybitLinear = {
  symbol: 'BTCUSDT', contractType: 'LinearPerpetual', status: 'Trading', baseCoin: 'BTC', quoteCoin: 'USDT', settleCoin: 'USDT',
  launchTime: '1585526400000', deliveryTime: '0', deliveryFeeRate: '', priceScale: '2', fundingInterval: 480, copyTrading: 'both',
  leverageFilter: { minLeverage: '1', maxLeverage: '100.00', leverageStep: '0.01' },
  priceFilter: { minPrice: '0.10', maxPrice: '1999999.80', tickSize: '0.10' },
  lotSizeFilter: { maxOrderQty: '1190.000', minOrderQty: '0.001', qtyStep: '0.001', postOnlyMaxOrderQty: '1190.000', maxMktOrderQty: '500.000', minNotionalValue: '5' },
  unifiedMarginTrade: true,
};
const bybitSpot = {
  symbol: 'BTCUSDT', baseCoin: 'BTC', quoteCoin: 'USDT', innovation: '0', status: 'Trading', marginTrading: 'both',
  lotSizeFilter: { basePrecision: '0.000001', quotePrecision: '0.00000001', minOrderQty: '0.000048', maxOrderQty: '71.73956243', minOrderAmt: '1', maxOrderAmt: '2000000' },
  priceFilter: { tickSize: '0.01' },
};

function bybit(path: string, p: Params, d: VenueData, plan: FaultPlan): Page | undefined {
  if (path === '/v5/market/instruments-info') {
    const cat = p['category'];
    const list = p['status'] === 'PreLaunch' ? [] : cat === 'linear' ? [bybitLinear] : cat === 'spot' ? [bybitSpot] : [];
    return { body: bybitEnvelope({ category: cat, list, nextPageCursor: '' }) };
  }
  const cat = typeof p['category'] === 'string' ? p['category'] : 'linear';
  const kline = (rows: Candle[], withVolume: boolean, lo: number, hi: number): Page => {
    const sel = select(rows, lo, hi, n(p, 'limit') ?? 200, true, plan);
    const list = (plan.shuffle ? sel : [...sel].reverse()).map((c) =>
      withVolume ? [s(c.t), s(c.o), s(c.h), s(c.l), s(c.c), s(c.v), s(c.v * c.c)] : [s(c.t), s(c.o), s(c.h), s(c.l), s(c.c)],
    );
    return { body: bybitEnvelope({ category: cat, symbol: p['symbol'], list }) };
  };
  const lo = n(p, 'start') ?? 0;
  const hi = n(p, 'end') ?? Number.MAX_SAFE_INTEGER;
  if (path === '/v5/market/kline') return kline(cat === 'spot' ? d.spot : d.perp, true, lo, hi);
  if (path === '/v5/market/mark-price-kline') return kline(d.mark, false, lo, hi);
  if (path === '/v5/market/index-price-kline') return kline(d.index, false, lo, hi);
  const lo2 = n(p, 'startTime') ?? 0;
  const hi2 = n(p, 'endTime') ?? Number.MAX_SAFE_INTEGER;
  if (path === '/v5/market/funding/history') {
    const sel = select(plan.funding ?? d.funding, lo2, hi2, n(p, 'limit') ?? 200, true, plan);
    const list = (plan.shuffle ? sel : [...sel].reverse()).map((r) => ({ symbol: 'BTCUSDT', fundingRate: s(r.rate), fundingRateTimestamp: s(r.t) }));
    return { body: bybitEnvelope({ category: cat, list }) };
  }
  if (path === '/v5/market/open-interest') {
    const sel = select(d.oi, lo2, hi2, n(p, 'limit') ?? 50, true, plan);
    const list = (plan.shuffle ? sel : [...sel].reverse()).map((r) => ({ openInterest: r.qty.toFixed(8), timestamp: s(r.t) }));
    return { body: bybitEnvelope({ category: cat, symbol: 'BTCUSDT', list, nextPageCursor: '' }) };
  }
  return undefined;
}

// ---------------------------------------------------------------- OKX
const okxEnvelope = (data: unknown): unknown => ({ code: '0', msg: '', data });
const okxSwap = {
  instType: 'SWAP', instId: 'BTC-USDT-SWAP', uly: 'BTC-USDT', instFamily: 'BTC-USDT', baseCcy: '', quoteCcy: '', settleCcy: 'USDT',
  ctVal: '0.01', ctMult: '1', ctValCcy: 'BTC', ctType: 'linear', lotSz: '0.01', tickSz: '0.1', minSz: '0.01', lever: '100',
  state: 'live', listTime: '1573557408000', expTime: '', alias: '', category: '1', optType: '', stk: '', maxMktSz: '10000',
};
const okxSpot = {
  instType: 'SPOT', instId: 'BTC-USDT', uly: '', instFamily: '', baseCcy: 'BTC', quoteCcy: 'USDT', settleCcy: '', ctVal: '', ctMult: '',
  ctValCcy: '', ctType: '', lotSz: '0.00000001', tickSz: '0.1', minSz: '0.00001', lever: '10', state: 'live', listTime: '1548133413000',
  expTime: '', alias: '', category: '1', optType: '', stk: '', maxMktSz: '1000000',
};

function okx(path: string, p: Params, d: VenueData, plan: FaultPlan): Page | undefined {
  if (path === '/api/v5/public/instruments') {
    const t = p['instType'];
    return { body: okxEnvelope(t === 'SWAP' ? [okxSwap] : t === 'SPOT' ? [okxSpot] : []) };
  }
  // OKX cursors are exclusive: before < ts < after.
  const lo = (n(p, 'before') ?? -1) + 1;
  const hi = (n(p, 'after') ?? Number.MAX_SAFE_INTEGER) - 1;
  const limit = n(p, 'limit') ?? 100;
  const candles = (rows: Candle[], markLike: boolean): Page => {
    const sel = select(rows, lo, hi, limit, true, plan);
    const ordered = plan.shuffle ? sel : [...sel].reverse();
    return {
      body: okxEnvelope(
        ordered.map((c) =>
          markLike ? [s(c.t), s(c.o), s(c.h), s(c.l), s(c.c), '1'] : [s(c.t), s(c.o), s(c.h), s(c.l), s(c.c), s(c.v * 100), s(c.v), s(c.v * c.c), '1'],
        ),
      ),
    };
  };
  const instId = typeof p['instId'] === 'string' ? p['instId'] : '';
  if (path === '/api/v5/market/candles' || path === '/api/v5/market/history-candles') return candles(instId === 'BTC-USDT' ? d.spot : d.perp, false);
  if (path === '/api/v5/market/mark-price-candles' || path === '/api/v5/market/history-mark-price-candles') return candles(d.mark, true);
  if (path === '/api/v5/market/index-candles' || path === '/api/v5/market/history-index-candles') return candles(d.index, true);
  if (path === '/api/v5/public/funding-rate-history') {
    const sel = select(plan.funding ?? d.funding, lo, hi, limit, true, plan);
    const ordered = plan.shuffle ? sel : [...sel].reverse();
    return {
      body: okxEnvelope(
        ordered.map((r) => ({ instType: 'SWAP', instId: 'BTC-USDT-SWAP', formulaType: 'withRate', fundingRate: s(r.rate), realizedRate: s(r.rate), fundingTime: s(r.t), method: 'current_period' })),
      ),
    };
  }
  return undefined;
}

// ---------------------------------------------------------------- Hyperliquid
function hyperliquid(body: Params, d: VenueData, plan: FaultPlan): Page | undefined {
  const type = body['type'];
  if (type === 'metaAndAssetCtxs') {
    return {
      body: [
        { universe: [{ szDecimals: 5, name: 'BTC', maxLeverage: 40, marginTableId: 56 }], marginTables: [] },
        [{ funding: '0.0000125', openInterest: '30000.0', prevDayPx: '110000.0', dayNtlVlm: '1000000000.0', premium: '0.0001', oraclePx: '110000.0', markPx: '110000.0', midPx: '110000.5', impactPxs: ['110000.0', '110001.0'], dayBaseVlm: '9000.0' }],
      ],
    };
  }
  if (type === 'spotMeta') return { body: { universe: [], tokens: [] } };
  if (type === 'spotMetaAndAssetCtxs') return { body: [{ universe: [], tokens: [] }, []] };
  if (type === 'perpDexs') return { body: [null] };
  if (type === 'fundingHistory') {
    const sel = select(plan.funding ?? d.funding, Number(body['startTime'] ?? 0), Number(body['endTime'] ?? Number.MAX_SAFE_INTEGER), 500, false, plan);
    return { body: sel.map((r) => ({ coin: 'BTC', fundingRate: s(r.rate), premium: s(r.premium ?? 0), time: r.t })) };
  }
  if (type === 'candleSnapshot') {
    const req = (body['req'] ?? {}) as Params;
    const sel = select(d.perp, Number(req['startTime'] ?? 0), Number(req['endTime'] ?? Number.MAX_SAFE_INTEGER), 5000, false, plan);
    return { body: sel.map((c) => ({ t: c.t, T: c.t + HOUR - 1, s: 'BTC', i: String(req['interval']), o: s(c.o), c: s(c.c), h: s(c.h), l: s(c.l), v: s(c.v), n: 1000 })) };
  }
  return undefined;
}

function isMarketRequest(venue: string, path: string, p: Params): boolean {
  if (venue === 'hyperliquid') return ['metaAndAssetCtxs', 'spotMeta', 'spotMetaAndAssetCtxs', 'perpDexs'].includes(String(p['type']));
  return /exchangeInfo|instruments/.test(path);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Start an emulator on 127.0.0.1 with a random free port. */
export async function startEmulator(faults: FaultPlan = {}): Promise<Emulator> {
  const data = loadVenueData();
  let dataCount = 0;
  const emu: Emulator = {
    base: '',
    port: 0,
    data,
    faults,
    log: [],
    reset() {
      emu.log.length = 0;
      emu.faults = {};
      emu.onDataResponse = undefined;
      dataCount = 0;
    },
    close: async () => {},
  };
  const route = (venue: string, path: string, params: Params, plan: FaultPlan): Page | undefined => {
    if (venue === 'binance') return binance(path, params, data.binance, plan);
    if (venue === 'bybit') return bybit(path, params, data.bybit, plan);
    if (venue === 'okx') return okx(path, params, data.okx, plan);
    if (venue === 'hyperliquid' && path === '/info') return hyperliquid(params, data.hyperliquid, plan);
    return undefined;
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, venue, ...rest] = url.pathname.split('/');
      const path = '/' + rest.join('/');
      let params: Params = Object.fromEntries(url.searchParams.entries());
      if (req.method === 'POST') {
        const text = await readBody(req);
        try {
          params = { ...params, ...(JSON.parse(text) as Params) };
        } catch {
          params = {};
        }
      }
      const entry: LoggedRequest = { n: 0, venue: venue ?? '', path, params, status: 200, atMs: Date.now() };
      emu.log.push(entry);
      const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
        entry.status = status;
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(body, () => {
          if (entry.n > 0) emu.onDataResponse?.(entry.n);
        });
      };
      const market = isMarketRequest(venue ?? '', path, params);
      const plan = emu.faults;
      if (!market) {
        entry.n = ++dataCount;
        const fault = plan.at?.[entry.n] ?? (plan.always500From !== undefined && entry.n >= plan.always500From ? ({ type: '500' }) : undefined);
        if (fault) {
          entry.fault = fault.type;
          if (fault.type === '429') { send(429, 'Too Many Requests', { 'Retry-After': String(fault.retryAfterSec) }); return; }
          if (fault.type === '500') { send(500, '<html><body>500 Internal Server Error</body></html>', { 'Content-Type': 'text/html' }); return; }
          if (fault.type === 'reset') {
            entry.status = 0;
            req.socket.destroy();
            return;
          }
          if (fault.type === 'slow') await new Promise((r) => setTimeout(r, fault.delayMs));
        }
        const page = route(venue ?? '', path, params, plan);
        if (!page) { send(404, JSON.stringify({ error: `emulator: no route ${venue} ${path}` })); return; }
        const body = JSON.stringify(page.body);
        if (fault?.type === 'truncate') { send(200, body.slice(0, Math.max(1, Math.floor(body.length / 2)))); return; }
        if (res.destroyed) return;
        send(200, body); return;
      }
      const page = route(venue ?? '', path, params, plan);
      if (!page) { send(404, JSON.stringify({ error: `emulator: no route ${venue} ${path}` })); return; }
      send(200, JSON.stringify(page.body));
    })().catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end(String(e));
      }
    });
  });
  server.on('clientError', (_e, sock) => sock.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  emu.port = port;
  emu.base = `http://127.0.0.1:${port}`;
  emu.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return emu;
}

/** The rows of `kind` a venue serves with ts in [from, to), ascending, holes applied. */
export function servedRows(emu: Emulator, venue: EmulatedVenue, kind: Kind, from: number, to: number): Row[] {
  const d = emu.data[venue];
  const all: Row[] = d[kind];
  return all.filter((r) => r.t >= from && r.t < to && !(emu.faults.holes ?? []).some(([a, b]) => r.t >= a && r.t < b));
}
