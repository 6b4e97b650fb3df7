/**
 * The run directory format (docs/RUN_FORMAT.md), defined once for its writer
 * (`run-writer.ts`) and its readers (`report/run-dir.ts`, `compare`): file names, which files a
 * complete run holds, the columns of every CSV in order with their kinds, the equity columns and
 * the summary.json keys. A test checks that docs/RUN_FORMAT.md lists exactly these.
 */
import { EQUITY_COLUMN_NAMES, FIXED_EQUITY_COLUMNS } from '../portfolio/equity.js';
import type { Metrics } from './metrics.js';

/** Version of the run directory format: run.json and summary.json `formatVersion`. */
export const RUN_FORMAT_VERSION = 1;

/** Kind of a CSV column: a number (`String(x)`, empty for NaN) or text (RFC 4180 quoted when needed). */
export type ColumnKind = 'num' | 'str';

/** One CSV file of the run directory. */
export interface CsvFileFormat {
  /** File name inside the run directory. */
  readonly file: string;
  /** Columns in file order (object key order) with their kinds. */
  readonly columns: Readonly<Record<string, ColumnKind>>;
  /**
   * Columns added to the format after run directories of the same version were written: readers
   * accept files without them (text columns read as '', numbers as NaN).
   */
  readonly laterColumns: readonly string[];
  /** True: every run directory has it; false: written only when it has rows (see the doc). */
  readonly always: boolean;
}

/** The CSV files of a run directory, their columns in order. */
export const CSV_FILES = {
  trades: {
    file: 'trades.csv',
    columns: { ts: 'num', venue: 'str', symbol: 'str', side: 'str', qty: 'num', price: 'num', fee: 'num', slippage: 'num', liquidity: 'str', tag: 'str' },
    laterColumns: ['liquidity', 'tag'],
    always: true,
  },
  funding: {
    file: 'funding.csv',
    columns: { ts: 'num', venue: 'str', symbol: 'str', qty: 'num', markPrice: 'num', rate: 'num', intervalHours: 'num', amount: 'num' },
    laterColumns: [],
    always: true,
  },
  /**
   * Round trips (src/analysis/round-trips.ts): one row per position episode per leg, then one
   * `account` row per venue with flows no leg owns; the rows sum to summary.json `pnl`.
   */
  positions: {
    file: 'positions.csv',
    columns: {
      venue: 'str', symbol: 'str', type: 'str', side: 'str', openTs: 'num', openIso: 'str', closeTs: 'num', closeIso: 'str', qty: 'num', entryPrice: 'num', exitPrice: 'num',
      holdingHours: 'num', funding: 'num', trading: 'num', fees: 'num', slippage: 'num', interest: 'num', liquidation: 'num', adl: 'num', net: 'num', exitReason: 'str', fills: 'num',
    },
    laterColumns: [],
    always: true,
  },
  /** Position snapshots at each change (positions.csv before the round trips). */
  positionChanges: {
    file: 'position-changes.csv',
    columns: {
      ts: 'num', venue: 'str', symbol: 'str', type: 'str', qty: 'num', entryPrice: 'num', price: 'num', notional: 'num', isolatedMargin: 'num', liquidationPrice: 'num',
    },
    laterColumns: [],
    always: true,
  },
  liquidations: {
    file: 'liquidations.csv',
    columns: { ts: 'num', venue: 'str', symbol: 'str', qty: 'num', price: 'num', markPrice: 'num', fee: 'num', equityBefore: 'num', equityAfter: 'num' },
    laterColumns: [],
    always: true,
  },
  adl: {
    file: 'adl.csv',
    columns: {
      ts: 'num', venue: 'str', symbol: 'str', qty: 'num', share: 'num', price: 'num', markPrice: 'num', cost: 'num', score: 'num', light: 'num', cause: 'str',
    },
    laterColumns: [],
    always: false,
  },
  ledger: {
    file: 'ledger.csv',
    columns: { seq: 'num', ts: 'num', venue: 'str', account: 'str', type: 'str', symbol: 'str', amount: 'num', balanceAfter: 'num', note: 'str' },
    laterColumns: [],
    always: true,
  },
} as const satisfies Record<string, CsvFileFormat>;

/** Name of a CSV file kind (`trades`, `funding`, …). */
export type CsvName = keyof typeof CSV_FILES;
type ColumnsOf<K extends CsvName> = (typeof CSV_FILES)[K]['columns'];
/** Column names of one CSV file. */
export type CsvColumn<K extends CsvName> = keyof ColumnsOf<K> & string;
/** One row as the writer gives it: numbers for `num` columns, text for `str` columns. */
export type CsvRow<K extends CsvName> = { readonly [C in CsvColumn<K>]: ColumnsOf<K>[C] extends 'num' ? number : string };
/** One CSV file read as columns: Float64Array for `num` columns (NaN for empty), string[] for text. */
export type CsvColumns<K extends CsvName> = { [C in CsvColumn<K>]: ColumnsOf<K>[C] extends 'num' ? Float64Array : string[] };

/** Column names of CSV file `k`, in file order. */
export function csvColumnNames<K extends CsvName>(k: K): CsvColumn<K>[] {
  return Object.keys(CSV_FILES[k].columns) as CsvColumn<K>[];
}

/** Columns a reader requires of CSV file `k`: all but its later-added ones. */
export function requiredCsvColumns(k: CsvName): string[] {
  const later: readonly string[] = CSV_FILES[k].laterColumns;
  return csvColumnNames(k).filter((c) => !later.includes(c));
}

/**
 * Equity columns before the per-venue ones, in file order (equity.arrow and equity.csv): `ts`
 * (UnixMs) then the sampler's fixed columns (src/portfolio/equity.ts, which computes them).
 */
export const EQUITY_FIXED_COLUMNS = ['ts', ...FIXED_EQUITY_COLUMNS] as const;

/** Fixed equity columns added after run directories of this version were written (readers fill zeros). */
export const EQUITY_LATER_COLUMNS: readonly string[] = ['pnl_adl'];

/** Fixed equity columns a reader requires (ts is the Arrow file's time column, checked apart). */
export const REQUIRED_EQUITY_COLUMNS: readonly string[] = FIXED_EQUITY_COLUMNS.filter((c) => !EQUITY_LATER_COLUMNS.includes(c));

/**
 * The per-venue / per-instrument equity column names as templates, in file order: per venue
 * (`<venue>`), then per perp (`<venue>:<symbol>`), then per venue and base with spot and perp
 * (`<venue>:<base>`). Built with the sampler's own name functions.
 */
export const EQUITY_COLUMN_TEMPLATES: readonly string[] = [
  EQUITY_COLUMN_NAMES.spotEquity('<venue>'),
  EQUITY_COLUMN_NAMES.perpEquity('<venue>'),
  EQUITY_COLUMN_NAMES.marginRatio('<venue>'),
  EQUITY_COLUMN_NAMES.position('<venue>', '<symbol>'),
  EQUITY_COLUMN_NAMES.liqDistance('<venue>', '<symbol>'),
  EQUITY_COLUMN_NAMES.basisBps('<venue>', '<base>'),
];

/** The `perpcarry.format` metadata value of equity.arrow. */
export const EQUITY_ARROW_FORMAT = 'equity-v1';

/** File names of the run directory. */
export const RUN_FILES = {
  run: 'run.json',
  summary: 'summary.json',
  equityArrow: 'equity.arrow',
  equityCsv: 'equity.csv',
  trades: CSV_FILES.trades.file,
  funding: CSV_FILES.funding.file,
  positions: CSV_FILES.positions.file,
  positionChanges: CSV_FILES.positionChanges.file,
  liquidations: CSV_FILES.liquidations.file,
  adl: CSV_FILES.adl.file,
  ledger: CSV_FILES.ledger.file,
  log: 'run.log',
  reportMd: 'report.md',
  reportHtml: 'report.html',
} as const;

/** Files every complete run directory holds; `report` and `compare` refuse a directory without one. */
export const REQUIRED_RUN_FILES = [
  RUN_FILES.run, RUN_FILES.summary, RUN_FILES.equityArrow, RUN_FILES.trades, RUN_FILES.funding, RUN_FILES.positions, RUN_FILES.liquidations, RUN_FILES.ledger,
] as const;

/** Files a run directory may hold, and when. */
export const OPTIONAL_RUN_FILES: Readonly<Record<string, string>> = {
  [RUN_FILES.equityCsv]: 'backtest --csv',
  [RUN_FILES.adl]: 'only when the run was auto-deleveraged',
  [RUN_FILES.positionChanges]: 'written by every backtest; older run directories have these rows in positions.csv',
  [RUN_FILES.log]: 'written by the backtest command',
  [RUN_FILES.reportMd]: 'backtest --report or perpcarry report',
  [RUN_FILES.reportHtml]: 'backtest --report or perpcarry report (not with --no-html)',
};

/** PnL attribution components, in display order (summary.json `pnl` keys and `pnl_*` equity columns). */
export const PNL_COMPONENTS = ['funding', 'trading', 'fees', 'slippage', 'interest', 'liquidation', 'adl'] as const;
/** One PnL attribution component. */
export type PnlComponent = (typeof PNL_COMPONENTS)[number];

/** Keys of summary.json `metrics`, in display order. */
export const METRIC_KEYS: readonly (keyof Metrics)[] = [
  'initialEquity', 'finalEquity', 'totalReturn', 'apr', 'annualVol', 'sharpe', 'excessSharpe', 'sortino', 'calmar',
  'maxDrawdown', 'maxDrawdownDurationHours', 'timeInMarket', 'turnover', 'tradeCount',
  'liquidationCount', 'minLiquidationDistance', 'dailyReturnCount', 'benchmarkApr',
];

/** Metric keys added after run directories of this version were written: readers accept summaries without them. */
export const LATER_METRIC_KEYS: readonly (keyof Metrics)[] = ['excessSharpe', 'dailyReturnCount', 'benchmarkApr'];

/** Metric keys a summary.json must hold. */
export const REQUIRED_METRIC_KEYS: readonly (keyof Metrics)[] = METRIC_KEYS.filter((k) => !LATER_METRIC_KEYS.includes(k));
