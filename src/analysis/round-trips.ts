/**
 * Round trips: one row per position episode per leg (venue, symbol, spot|perp), rebuilt from a
 * run's records (fills, ledger), with the PnL attribution split over the episodes so that the
 * rows (plus the account-level flows no leg owns) sum to the run's attribution (summary.json
 * `pnl`). Written to positions.csv (docs/RUN_FORMAT.md); definitions in
 * docs/reports-and-metrics.md § Round trips.
 *
 * An episode opens when the leg's qty leaves 0 and closes when it returns to 0; a fill that flips
 * the sign closes one episode and opens the next, its fee and slippage (and a spot fill's cash)
 * split by qty. Adds and partial reduces stay inside the episode.
 */
import { MS_PER_HOUR, type UnixMs } from '../core/time.js';
import { unrealizedPnl } from '../portfolio/accounting.js';
import type { Portfolio } from '../portfolio/portfolio.js';
import type { LedgerEntry, PnlBreakdown, TradeRecord } from '../portfolio/records.js';

/** The attribution parts a round trip carries (summary.json `pnl` without `total`); costs are negative. */
export const ROUND_TRIP_PARTS = ['funding', 'trading', 'fees', 'slippage', 'interest', 'liquidation', 'adl'] as const;
/** One attribution part. */
export type RoundTripPart = (typeof ROUND_TRIP_PARTS)[number];
/** Signed PnL per attribution part, quote units (costs negative, as in summary.json `pnl`). */
export type PnlParts = Record<RoundTripPart, number>;

/** A leg: one instrument of one venue. */
export interface LegId {
  venue: string;
  /** ccxt unified symbol (`ETH/USDT` spot, `ETH/USDT:USDT` perp). */
  symbol: string;
  type: 'spot' | 'perp';
}

/** One position episode of one leg. Prices in quote per base unit, qty in base units. */
export interface RoundTrip extends LegId, PnlParts {
  side: 'long' | 'short';
  /** Time of the opening fill, UnixMs. */
  openTs: UnixMs;
  /** Time of the closing fill, UnixMs; NaN while open at the end (marked to market). */
  closeTs: UnixMs;
  /** Largest absolute qty held during the episode, base units. */
  qty: number;
  /** Qty-weighted average booking price (before slippage) of the fills that increased the position. */
  entryPrice: number;
  /**
   * Qty-weighted average booking price of the fills that reduced it; an open episode counts its
   * remaining qty at the last close (spot) or mark (perp).
   */
  exitPrice: number;
  /** (closeTs, or the run end while open) − openTs, hours. */
  holdingHours: number;
  /** Sum of the seven parts, quote units. */
  net: number;
  /**
   * Tag of the closing fill: `liquidation`, `adl`, `close-at-end`, `hedge-unwind` or the
   * strategy's tag (`order` when it gave none); `open` when still open at the end.
   */
  exitReason: string;
  /** Number of fills in the episode (a flipping fill counts in both). */
  fills: number;
}

/** Flows that belong to no leg, per venue: interest on the spot wallet's quote balance. */
export interface AccountFlows extends PnlParts {
  venue: string;
}

/** Round trips of a run and the account-level flows; rows + account sum to the attribution. */
export interface RoundTrips {
  rows: RoundTrip[];
  /** Per venue with a nonzero flow, in venue order of first appearance. */
  account: AccountFlows[];
}

/** The state of one leg at the end of the run (to value an episode still open). */
export interface LegEnd extends LegId {
  /** Signed qty held at the end, base units. */
  qty: number;
  /** Perp average entry price (unused for spot). */
  entry: number;
  /** Last close (spot) or mark (perp) the run is valued at. */
  price: number;
}

/** Inputs of {@link buildRoundTrips}: the records of a finished run. */
export interface RoundTripInput {
  /** Every fill in booking order (Portfolio.trades). */
  trades: readonly TradeRecord[];
  /** The ledger in seq order (Portfolio.ledger): funding, interest, liquidation fees and ADL costs come from here. */
  ledger: readonly LedgerEntry[];
  /** Every leg's end state; a leg with qty ≠ 0 must match the fills. */
  end: readonly LegEnd[];
  /** End of the run (the window end), UnixMs: open episodes are held until then. */
  endTs: UnixMs;
}

const EPS = 1e-9;

/** An episode under construction. */
interface Episode {
  row: RoundTrip;
  entryQty: number;
  entryValue: number;
  exitQty: number;
  exitValue: number;
}

interface LegState extends LegId {
  qty: number;
  open: Episode | null;
  last: Episode | null;
}

function zeroParts(): PnlParts {
  return { funding: 0, trading: 0, fees: 0, slippage: 0, interest: 0, liquidation: 0, adl: 0 };
}

/** Which attribution part a ledger entry type feeds on its own (fills' flows come from the trade records). */
const LEDGER_PART: Partial<Record<LedgerEntry['type'], RoundTripPart>> = {
  funding: 'funding',
  interest: 'interest',
  liquidation_fee: 'liquidation',
  adl: 'adl',
};

function legKey(venue: string, type: string, symbol: string): string {
  return `${venue}\u0000${type}\u0000${symbol}`;
}

/** Spot symbols have no `:settle` suffix (ccxt unified symbols). */
function legTypeOf(symbol: string): 'spot' | 'perp' {
  return symbol.includes(':') ? 'perp' : 'spot';
}

/**
 * Rebuild the round trips of a run. Funding, liquidation fees and ADL costs go to the leg's open
 * episode (or the one it just closed: an ADL cost is booked after its fill); a base loan's interest
 * to its spot leg; quote-balance interest to the venue's account line. Throws if the fills do not
 * reproduce a leg's end qty (a bug, not bad input).
 */
export function buildRoundTrips(input: RoundTripInput): RoundTrips {
  const legs = new Map<string, LegState>();
  const rows: RoundTrip[] = [];
  const account = new Map<string, AccountFlows>();
  const { trades, ledger } = input;
  let ti = 0;
  let li = 0;
  while (ti < trades.length || li < ledger.length) {
    const t = trades[ti];
    const e = ledger[li];
    if (t && (!e || t.ledgerSeq <= e.seq)) {
      applyFill(legOf(legs, t.venue, legTypeOf(t.symbol), t.symbol), t, rows);
      ti++;
    } else if (e) {
      applyLedgerEntry(legs, account, e);
      li++;
    }
  }
  valueOpenEpisodes(legs, input.end, input.endTs);
  return { rows, account: [...account.values()] };
}

function legOf(legs: Map<string, LegState>, venue: string, type: 'spot' | 'perp', symbol: string): LegState {
  const k = legKey(venue, type, symbol);
  let leg = legs.get(k);
  if (!leg) {
    leg = { venue, symbol, type, qty: 0, open: null, last: null };
    legs.set(k, leg);
  }
  return leg;
}

/** Book one fill on its leg: close, reduce, add to or open an episode (a flip does both). */
function applyFill(leg: LegState, t: TradeRecord, rows: RoundTrip[]): void {
  const dq = t.side === 'buy' ? t.qty : -t.qty;
  const q0 = leg.qty;
  let q1 = q0 + dq;
  // The portfolio's own snap to flat (src/portfolio/portfolio.ts), so both agree on "closed".
  if (Math.abs(q1) < EPS * Math.max(1, t.qty)) q1 = 0;
  const closing = q0 !== 0 && Math.sign(dq) !== Math.sign(q0) ? Math.min(Math.abs(dq), Math.abs(q0)) : 0;
  const opening = q1 === 0 ? 0 : Math.abs(dq) - closing;
  // A liquidation's fee is the liquidation line, booked from the ledger.
  const fee = t.kind === 'liquidation' ? 0 : 0 - t.fee;
  const slippage = 0 - t.slippage;
  // Spot: the fill's cash; perp: the PnL it realized (all of it on the closing part).
  const cash = leg.type === 'spot' ? 0 - dq * t.refPrice : t.realizedPnl;
  // Share of the fill that closes (1: a pure reduce, 0: a pure open).
  const closeShare = opening > 0 ? closing / Math.abs(dq) : 1;
  let closedCash = 0;
  if (closing > 0) {
    const ep = leg.open;
    if (!ep) throw new Error(`internal: round trips: ${t.venue} ${t.symbol} fill at ${t.ts} reduces a position the fills never opened`);
    closedCash = leg.type === 'spot' && opening > 0 ? 0 - Math.sign(dq) * closing * t.refPrice : cash;
    ep.exitQty += closing;
    ep.exitValue += closing * t.refPrice;
    addFillFlows(ep, fee * closeShare, slippage * closeShare, closedCash);
    if (q1 === 0 || opening > 0) closeEpisode(leg, ep, t);
  }
  if (opening > 0) {
    const ep = leg.open ?? openEpisode(leg, t, q1 > 0 ? 'long' : 'short', rows);
    ep.entryQty += opening;
    ep.entryValue += opening * t.refPrice;
    addFillFlows(ep, fee - fee * closeShare, slippage - slippage * closeShare, cash - closedCash);
    ep.row.qty = Math.max(ep.row.qty, Math.abs(q1));
  }
  leg.qty = q1;
}

function addFillFlows(ep: Episode, fee: number, slippage: number, trading: number): void {
  ep.row.fees += fee;
  ep.row.slippage += slippage;
  ep.row.trading += trading;
  ep.row.fills++;
}

function openEpisode(leg: LegState, t: TradeRecord, side: 'long' | 'short', rows: RoundTrip[]): Episode {
  const row: RoundTrip = {
    venue: leg.venue, symbol: leg.symbol, type: leg.type, side, openTs: t.ts, closeTs: NaN, qty: 0,
    entryPrice: NaN, exitPrice: NaN, holdingHours: NaN, ...zeroParts(), net: NaN, exitReason: 'open', fills: 0,
  };
  rows.push(row);
  const ep: Episode = { row, entryQty: 0, entryValue: 0, exitQty: 0, exitValue: 0 };
  leg.open = ep;
  leg.last = ep;
  return ep;
}

function closeEpisode(leg: LegState, ep: Episode, t: TradeRecord): void {
  const r = ep.row;
  r.closeTs = t.ts;
  r.exitReason = t.tag === '' ? 'order' : t.tag;
  finishRow(ep, ep.exitValue / ep.exitQty, t.ts);
  leg.open = null;
}

function finishRow(ep: Episode, exitPrice: number, untilTs: UnixMs): void {
  const r = ep.row;
  r.entryPrice = ep.entryValue / ep.entryQty;
  r.exitPrice = exitPrice;
  r.holdingHours = (untilTs - r.openTs) / MS_PER_HOUR;
  r.net = sumParts(r);
}

/** Σ of the seven attribution parts. */
export function sumParts(p: PnlParts): number {
  return p.funding + p.trading + p.fees + p.slippage + p.interest + p.liquidation + p.adl;
}

/** A funding, interest, liquidation-fee or ADL flow: to its leg's episode, else the account line. */
function applyLedgerEntry(legs: Map<string, LegState>, account: Map<string, AccountFlows>, e: LedgerEntry): void {
  const part = LEDGER_PART[e.type];
  if (!part) return;
  const leg = e.symbol === '' ? undefined : legs.get(legKey(e.venue, e.account, e.symbol));
  const ep = leg ? (leg.open ?? leg.last) : null;
  if (ep) {
    ep.row[part] += e.amount;
    return;
  }
  let a = account.get(e.venue);
  if (!a) {
    a = { venue: e.venue, ...zeroParts() };
    account.set(e.venue, a);
  }
  a[part] += e.amount;
}

/** Value the episodes still open at the end at the last close (spot) or mark (perp). */
function valueOpenEpisodes(legs: Map<string, LegState>, end: readonly LegEnd[], endTs: UnixMs): void {
  for (const x of end) {
    const leg = legs.get(legKey(x.venue, x.type, x.symbol));
    const q = leg ? leg.qty : 0;
    if (Math.abs(q - x.qty) > EPS * Math.max(1, Math.abs(x.qty))) {
      throw new Error(`internal: round trips: ${x.venue} ${x.symbol} fills add up to qty ${q}, the portfolio holds ${x.qty}`);
    }
    const ep = leg?.open;
    if (!ep || x.qty === 0) continue;
    const held = Math.abs(x.qty);
    ep.row.trading += x.type === 'perp' ? unrealizedPnl(x.qty, x.price, x.entry) : x.qty * x.price;
    finishRow(ep, (ep.exitValue + held * x.price) / (ep.exitQty + held), endTs);
  }
}

/** The attribution of {@link RoundTrips}: Σ rows + Σ account flows per part (compare with summary.json `pnl`). */
export function roundTripTotals(rt: RoundTrips): PnlBreakdown {
  const t = zeroParts();
  for (const r of [...rt.rows, ...rt.account]) for (const k of ROUND_TRIP_PARTS) t[k] += r[k];
  return { ...t, total: sumParts(t) };
}

/** Every leg's end state read from a finished run's portfolio (perps at the mark, spot at the close). */
export function legEnds(pf: Portfolio): LegEnd[] {
  return pf.instruments.map((ins) => ({
    venue: ins.venue,
    symbol: ins.symbol,
    type: ins.type,
    qty: pf.qty[ins.id]!,
    entry: pf.entry[ins.id]!,
    price: ins.type === 'perp' ? pf.markPx[ins.id]! : pf.lastPx[ins.id]!,
  }));
}

/** The round trips of a finished run: its portfolio's records, open episodes held to `endTs`. */
export function roundTripsOf(pf: Portfolio, endTs: UnixMs): RoundTrips {
  return buildRoundTrips({ trades: pf.trades, ledger: pf.ledger, end: legEnds(pf), endTs });
}

/** Aggregates of a run's round trips (summary.json `roundTrips`, the report's round-trip table). */
export interface RoundTripStats {
  /** Episodes (rows), closed ones and those open at the end. */
  episodes: number;
  closed: number;
  open: number;
  /** Share of closed episodes with net > 0; NaN without a closed episode. */
  winRate: number;
  /** Mean holding time of closed episodes, hours; NaN without one. */
  meanHoldingHours: number;
  /** Σ funding, quote units (rows and account flows). */
  funding: number;
  /** Σ fees + slippage + interest as a positive cost, quote units (rows and account flows; interest earned lowers it). */
  costs: number;
  /** funding / costs; NaN when costs ≤ 0. */
  fundingPerCost: number;
  /** Σ net of the rows and account flows = the run's total PnL, quote units. */
  net: number;
}

/** {@link RoundTripStats} of some rows plus account flows (pass [] to leave the account out). */
export function roundTripStats(rows: readonly RoundTrip[], account: readonly PnlParts[]): RoundTripStats {
  const closed = rows.filter((r) => !Number.isNaN(r.closeTs));
  const wins = closed.filter((r) => r.net > 0).length;
  let funding = 0;
  let costs = 0;
  let net = 0;
  for (const r of [...rows, ...account]) {
    funding += r.funding;
    costs -= r.fees + r.slippage + r.interest;
    net += sumParts(r);
  }
  return {
    episodes: rows.length,
    closed: closed.length,
    open: rows.length - closed.length,
    winRate: closed.length ? wins / closed.length : NaN,
    meanHoldingHours: closed.length ? closed.reduce((s, r) => s + r.holdingHours, 0) / closed.length : NaN,
    funding,
    costs,
    fundingPerCost: costs > 0 ? funding / costs : NaN,
    net,
  };
}
