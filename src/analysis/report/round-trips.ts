/**
 * The round-trip section of report.html / report.md: per-strategy and per-leg aggregates (win
 * rate, mean holding hours, funding per unit of costs) and the episodes of positions.csv, with the
 * account-level lines and a total that equals the PnL attribution.
 */
import { ROUND_TRIP_PARTS, roundTripStats, sumParts, type PnlParts, type RoundTrip } from '../round-trips.js';
import { fmt, isoTime } from '../display.js';
import { esc, htmlTable, mdTable, mdText } from './format.js';
import type { RoundTripsTable, RunData } from './run-dir.js';

/** Most episode rows in report.html (the first and last half); positions.csv has them all. */
export const HTML_ROUND_TRIP_ROWS = 1000;
/** Episode rows in report.md. */
export const MD_ROUND_TRIP_ROWS = 20;

/** positions.csv read back into episodes and account lines. */
export function roundTripsFromTable(t: RoundTripsTable): { rows: RoundTrip[]; account: (PnlParts & { venue: string })[] } {
  const rows: RoundTrip[] = [];
  const account: (PnlParts & { venue: string })[] = [];
  for (let i = 0; i < t.venue.length; i++) {
    const parts = Object.fromEntries(ROUND_TRIP_PARTS.map((k) => [k, t[k][i]!])) as PnlParts;
    const type = t.type[i]!;
    if (type !== 'spot' && type !== 'perp') {
      account.push({ venue: t.venue[i]!, ...parts });
      continue;
    }
    rows.push({
      venue: t.venue[i]!, symbol: t.symbol[i]!, type, side: t.side[i] === 'short' ? 'short' : 'long', openTs: t.openTs[i]!, closeTs: t.closeTs[i]!, qty: t.qty[i]!,
      entryPrice: t.entryPrice[i]!, exitPrice: t.exitPrice[i]!, holdingHours: t.holdingHours[i]!, ...parts, net: t.net[i]!, exitReason: t.exitReason[i]!, fills: t.fills[i]!,
    });
  }
  return { rows, account };
}

const STATS_HEADER = ['Group', 'Episodes', 'Closed', 'Open', 'Win rate', 'Mean hold', 'Funding', 'Costs', 'Funding / costs', 'Net PnL'];

/** One aggregate row per strategy (all legs, account lines included), then one per leg. */
function statsRows(run: RunData, rows: readonly RoundTrip[], account: readonly PnlParts[]): string[][] {
  const row = (label: string, rs: readonly RoundTrip[], acc: readonly PnlParts[]): string[] => {
    const s = roundTripStats(rs, acc);
    return [label, String(s.episodes), String(s.closed), String(s.open), fmt(s.winRate, 'pct'), fmt(s.meanHoldingHours, 'hours'), fmt(s.funding, 'usd'), fmt(s.costs, 'usd'), fmt(s.fundingPerCost, 'ratio'), fmt(s.net, 'usd')];
  };
  const out = [row(`${run.run.strategy?.name ?? 'run'} (all legs)`, rows, account)];
  const legs = [...new Set(rows.map((r) => `${r.venue} ${r.symbol} ${r.type}`))];
  for (const leg of legs) out.push(row(leg, rows.filter((r) => `${r.venue} ${r.symbol} ${r.type}` === leg), []));
  return out;
}

const EPISODE_HEADER = ['Leg', 'Side', 'Open (UTC)', 'Close (UTC)', 'Qty (max)', 'Entry', 'Exit', 'Held', 'Funding', 'Trading', 'Fees', 'Slippage', 'Interest', 'Liquidation', 'ADL', 'Net', 'Exit reason'];

function episodeRow(r: RoundTrip): string[] {
  return [
    `${r.venue} ${r.symbol} ${r.type}`, r.side, isoTime(r.openTs), Number.isNaN(r.closeTs) ? 'open' : isoTime(r.closeTs), fmt(r.qty, 'num'), fmt(r.entryPrice, 'num'), fmt(r.exitPrice, 'num'),
    fmt(r.holdingHours, 'hours'), ...ROUND_TRIP_PARTS.map((k) => fmt(r[k], 'usd')), fmt(r.net, 'usd'), r.exitReason,
  ];
}

/** Account lines and the total of every row (= summary.json pnl), as episode-table rows. */
function closingRows(rows: readonly RoundTrip[], account: readonly (PnlParts & { venue: string })[]): string[][] {
  const blank = (label: string, p: PnlParts): string[] => [label, '', '', '', '', '', '', '', ...ROUND_TRIP_PARTS.map((k) => fmt(p[k], 'usd')), fmt(sumParts(p), 'usd'), ''];
  const total = Object.fromEntries(ROUND_TRIP_PARTS.map((k) => [k, [...rows, ...account].reduce((s, r) => s + r[k], 0)])) as PnlParts;
  return [...account.map((a) => blank(`account ${a.venue} (no leg)`, a)), blank('Σ all rows = PnL attribution', total)];
}

const NOTE =
  'One row per position episode per leg: it opens when the qty leaves 0 and closes when it returns to 0 (a fill that flips the sign closes one and opens the next, its costs split by qty). ' +
  'Qty is the largest absolute qty held; entry / exit are qty-weighted booking prices (before slippage) of the increases / reductions; an episode open at the end is valued at the last mark. ' +
  'PnL columns are signed (costs negative). Account rows hold interest on the spot wallets\u2019 quote balance, which no leg owns. ' +
  'Win rate: share of closed episodes with net PnL > 0; funding / costs: funding over fees + slippage + interest.';

/** The round-trip section of report.html ('' is never returned: older runs get a note). */
export function roundTripsHtml(run: RunData): string {
  if (!run.roundTrips) return '<h2>Round trips</h2>\n<p class="note">This run directory predates round trips (its positions.csv holds position snapshots); re-run the backtest for them.</p>';
  const { rows, account } = roundTripsFromTable(run.roundTrips);
  let shown: RoundTrip[] = rows;
  let note = `${rows.length} episode(s).`;
  if (rows.length > HTML_ROUND_TRIP_ROWS) {
    const h = HTML_ROUND_TRIP_ROWS / 2;
    shown = [...rows.slice(0, h), ...rows.slice(rows.length - h)];
    note = `${rows.length} episodes; showing the first and last ${h} (positions.csv has them all).`;
  }
  return `<h2>Round trips</h2>
<p class="note">${esc(NOTE)}</p>
${htmlTable(STATS_HEADER, statsRows(run, rows, account), { id: 'round-trip-stats' })}
<p class="note">${esc(note)}</p>
<div class="scroll">${htmlTable(EPISODE_HEADER, [...shown.map(episodeRow), ...closingRows(rows, account)], { id: 'round-trips' })}</div>`;
}

/** The round-trip section of report.md. */
export function roundTripsMd(run: RunData): string[] {
  if (!run.roundTrips) return ['## Round trips', '', 'This run directory predates round trips (its positions.csv holds position snapshots).', ''];
  const { rows, account } = roundTripsFromTable(run.roundTrips);
  const n = rows.length;
  const shown = rows.slice(0, MD_ROUND_TRIP_ROWS).map(episodeRow);
  return [
    '## Round trips', '', mdText(NOTE), '',
    mdTable(STATS_HEADER, statsRows(run, rows, account), ['l']), '',
    `${n} episode(s)${n > MD_ROUND_TRIP_ROWS ? `; the first ${MD_ROUND_TRIP_ROWS} (positions.csv has them all)` : ''}.`, '',
    mdTable(EPISODE_HEADER, [...shown, ...closingRows(rows, account)], ['l', 'l', 'l', 'l']), '',
  ];
}
