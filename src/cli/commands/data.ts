import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** Column-mapping options shared by `data import` and `data validate <raw file>`. */
function withMapping<T>(yy: Argv<T>) {
  return yy
    .option('kind', { type: 'string', choices: ['ohlcv', 'mark', 'index', 'funding', 'open_interest'], describe: 'Series kind' })
    .option('timeframe', { type: 'string', describe: 'Bar timeframe (1m, 5m, 1h, 8h…) for ohlcv/mark/index' })
    .option('format', { type: 'string', choices: ['csv', 'json', 'parquet', 'binance-klines', 'binance-funding'], describe: 'Input format (default: from the extension; Binance CSV headers are recognised)' })
    .option('ts-column', { type: 'string', describe: 'Timestamp column (default: timestamp/ts/time/open_time/fundingTime/…)' })
    .option('ts-unit', { type: 'string', choices: ['auto', 's', 'ms', 'us', 'ns', 'iso'], describe: 'Unit of numeric timestamps (auto: by magnitude)' })
    .option('ts-format', { type: 'string', describe: 'Timestamp format, e.g. "DD/MM/YYYY HH:mm"' })
    .option('timezone', { type: 'string', describe: 'IANA zone of timestamps without offset (default UTC), e.g. Europe/London' })
    .option('map', { type: 'string', array: true, describe: 'target=sourceColumn, e.g. --map rate="Funding Rate" --map close=c' })
    .option('value-column', { type: 'string', describe: 'Single value column: open=high=low=close=value, volume null' })
    .option('rate-unit', { type: 'string', choices: ['decimal', 'percent'], describe: 'Funding rate unit in the file (default decimal)' })
    .option('order', { type: 'string', choices: ['auto', 'asc', 'desc'], describe: 'Declared row order (asc/desc are checked; default auto sorts)' })
    .option('interval-hours', { type: 'number', describe: 'Funding interval when the file has none (default: inferred from spacing)' })
    .option('ts-shift-hours', { type: 'number', describe: 'Add this many hours to every timestamp after reading it (e.g. -4 for bars stamped 4 h after their true open)' })
    .option('where', { type: 'string', array: true, describe: 'Keep rows where column=value, e.g. --where exchange=bybit' })
    .option('from', { type: 'string', describe: 'Keep ts >= this (ISO UTC or epoch ms)' })
    .option('to', { type: 'string', describe: 'Keep ts < this (ISO UTC or epoch ms)' });
}

function mappingArgs(args: Record<string, unknown>) {
  return {
    kind: args['kind'] as string | undefined,
    timeframe: args['timeframe'] as string | undefined,
    format: args['format'] as string | undefined,
    tsColumn: args['ts-column'] as string | undefined,
    tsUnit: args['ts-unit'] as string | undefined,
    tsFormat: args['ts-format'] as string | undefined,
    timezone: args['timezone'] as string | undefined,
    map: args['map'] as string[] | undefined,
    valueColumn: args['value-column'] as string | undefined,
    rateUnit: args['rate-unit'] as string | undefined,
    order: args['order'] as string | undefined,
    intervalHours: args['interval-hours'] as number | undefined,
    tsShiftHours: args['ts-shift-hours'] as number | undefined,
    where: args['where'] as string[] | undefined,
    from: args['from'] as string | undefined,
    to: args['to'] as string | undefined,
  };
}

/** `perpcarry data <subcommand>`: browse, import, fetch and validate the Arrow store. */
const dataCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command('data', 'Browse, import, fetch and validate stored series', (y) =>
      y
        .usage('$0 data <command> [options]\n\nBrowse, import, fetch and validate stored series')
        .option('data-dir', { type: 'string', describe: 'Data directory (default ./data or $PERPCARRY_DATA_DIR)' })
        .command(
          'list',
          'List every stored series (from data/catalog.json)',
          (yy) => yy.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
          async (args) => {
            const { listCommand } = await import('../data-list.js');
            listCommand({ dataDir: args['data-dir'], json: args.json });
          },
        )
        .command(
          'fetch',
          'Fetch funding, OHLCV, mark/index candles and open interest with ccxt (incremental, resumable)',
          (yy) =>
            yy
              .option('exchange', { type: 'string', demandOption: true, choices: ['binance', 'bybit', 'okx', 'hyperliquid'], describe: 'Exchange (ccxt id)' })
              .option('symbol', { type: 'string', demandOption: true, describe: 'ccxt symbol: BTC/USDT:USDT (perp), BTC/USDT (spot), BTC/USDC:USDC (hyperliquid)' })
              .option('kinds', { type: 'string', default: 'funding,ohlcv,mark,index', describe: 'Comma list of funding,ohlcv,mark,index,open_interest' })
              .option('timeframe', { type: 'string', default: '1h', describe: 'Bar timeframe for ohlcv/mark/index/open_interest' })
              .option('since', { type: 'string', demandOption: true, describe: 'Start (ISO UTC, e.g. 2025-01-01, or epoch ms), inclusive' })
              .option('until', { type: 'string', describe: 'End (ISO UTC or epoch ms), exclusive; default now' })
              .option('with-spot', { type: 'boolean', default: false, describe: 'Also fetch the matching spot OHLCV' })
              .option('json', { type: 'boolean', default: false, describe: 'Print a JSON summary (no progress bar)' })
              .option('api-base', { type: 'string', hidden: true, describe: 'Testing: send all requests to this base URL (an exchange emulator)' })
              .option('page-limit', { type: 'number', hidden: true, describe: 'Rows per request (default: per exchange)' })
              .option('flush-rows', { type: 'number', hidden: true, describe: 'Store after this many fetched rows (default 5000)' })
              .option('retries', { type: 'number', hidden: true, describe: 'Retries per request (default 5)' })
              .option('backoff-ms', { type: 'number', hidden: true, describe: 'First retry delay, doubled each retry (default 1000)' })
              .option('timeout-ms', { type: 'number', hidden: true, describe: 'Request timeout (default 10000)' })
              .option('rate-limit-ms', { type: 'number', describe: 'ccxt rateLimit: ms between requests per unit of endpoint weight (default: ccxt per exchange)' })
              .option('now', { type: 'string', hidden: true, describe: 'Testing: pretend the current time is this instant' }),
          async (args) => {
            const { fetchCommand } = await import('../../data/fetch/command.js');
            await fetchCommand({
              dataDir: args['data-dir'],
              exchange: args.exchange,
              symbol: args.symbol,
              kinds: args.kinds,
              timeframe: args.timeframe,
              since: args.since,
              until: args.until,
              withSpot: args['with-spot'],
              json: args.json,
              apiBase: args['api-base'],
              pageLimit: args['page-limit'],
              flushRows: args['flush-rows'],
              retries: args.retries,
              backoffMs: args['backoff-ms'],
              timeoutMs: args['timeout-ms'],
              now: args.now,
              rateLimitMs: args['rate-limit-ms'],
            });
          },
        )
        .command(
          'inspect <venue> <symbol> <kind>',
          'Range, rows, gaps, column statistics and funding interval changes of one stored series',
          (yy) =>
            yy
              .positional('venue', { type: 'string', demandOption: true, describe: 'Venue (binance, bybit, okx, hyperliquid)' })
              .positional('symbol', { type: 'string', demandOption: true, describe: 'ccxt symbol, e.g. ETH/USDT:USDT' })
              .positional('kind', { type: 'string', demandOption: true, choices: ['ohlcv', 'mark', 'index', 'funding', 'open_interest'] })
              .option('timeframe', { type: 'string', describe: 'Bar timeframe (needed for ohlcv/mark/index)' })
              .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
              .option('from', { type: 'string', describe: 'Only rows from this instant (ISO UTC or epoch ms), inclusive; with --to' })
              .option('to', { type: 'string', describe: 'Only rows up to this instant, inclusive; funding: gaps and statistics for the range' })
              .example('$0 data inspect binance ETH/USDT:USDT funding', '')
              .example('$0 data inspect hyperliquid BTC/USDC:USDC funding --from 2025-03-10 --to 2025-04-01', '')
              .example('$0 data inspect binance BTC/USDT ohlcv --timeframe 1h', ''),
          async (args) => {
            const { inspectCommand } = await import('../data-commands.js');
            inspectCommand({ dataDir: args['data-dir'], venue: args.venue, symbol: args.symbol, kind: args.kind, timeframe: args.timeframe, json: args.json, from: args.from, to: args.to });
          },
        )
        .command(
          'validate [file]',
          'Check stored series (all of the catalog, one .arrow file, or a raw CSV/JSON/parquet with --kind); exits 1 on errors',
          (yy) =>
            withMapping(yy)
              .positional('file', { type: 'string', describe: 'An .arrow file, or a raw input file (then --kind and mapping options apply)' })
              .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
              .option('quiet', { type: 'boolean', default: false, describe: 'Only print files with errors or warnings' })
              .example('$0 data validate', 'validate every series in data/catalog.json')
              .example('$0 data validate fundingRate.csv --kind funding', 'check a raw file before importing it'),
          async (args) => {
            const { validateCommand } = await import('../data-commands.js');
            await validateCommand({ ...mappingArgs(args), dataDir: args['data-dir'], file: args.file, json: args.json, quiet: args.quiet });
          },
        )
        .command(
          'windows',
          'Named crash windows (start, end, what happened) and which bundled series cover them',
          (yy) => yy.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
          async (args) => {
            const { windowsCommand } = await import('../data-commands.js');
            windowsCommand({ dataDir: args['data-dir'], json: args.json });
          },
        )
        .command(
          'import <file> [more..]',
          'Import CSV/JSON/parquet/zip files (Binance public-data presets or generic with column mapping) into the store; merges without duplicates',
          (yy) =>
            withMapping(yy)
              .positional('file', { type: 'string', demandOption: true, describe: 'Input file' })
              .positional('more', { type: 'string', array: true, describe: 'More input files for the same series (e.g. monthly files), imported one after the other' })
              .option('venue', { type: 'string', demandOption: true, describe: 'Venue id (binance, bybit, okx, hyperliquid…)' })
              .option('symbol', { type: 'string', demandOption: true, describe: 'ccxt symbol: BTC/USDT spot, BTC/USDT:USDT perp, BTC/USD:BTC inverse' })
              .demandOption('kind')
              .option('dry-run', { type: 'boolean', default: false, describe: 'Parse and validate only; store nothing' })
              .option('allow-invalid', { type: 'boolean', default: false, describe: 'Store even if validation finds errors' })
              .option('json', { type: 'boolean', default: false, describe: 'Print JSON' })
              .example('$0 data import BTCUSDT-1h-2025-01.csv --venue binance --symbol BTC/USDT --kind ohlcv --timeframe 1h', 'data.binance.vision klines (µs or ms, header or not)')
              .example('$0 data import BTCUSDT-fundingRate-2025-01.csv --venue binance --symbol BTC/USDT:USDT --kind funding', 'data.binance.vision fundingRate')
              .example('$0 data import "Funding Rate History.csv" --venue binance --symbol BTC/USDT:USDT --kind funding --ts-column Time --timezone Europe/London --rate-unit percent --map rate="Funding Rate" --map interval_hours="Funding Interval"', 'Binance web export'),
          async (args) => {
            const { importCommand } = await import('../data-commands.js');
            for (const file of [args.file, ...((args.more) ?? [])]) {
              await importCommand({ ...mappingArgs(args), dataDir: args['data-dir'], file, venue: args.venue, symbol: args.symbol, json: args.json, dryRun: args['dry-run'], allowInvalid: args['allow-invalid'] });
            }
          },
        )
        .command(
          'reindex',
          'Rebuild data/catalog.json from the Arrow files (each carries its venue, symbol, kind and provenance)',
          (yy) => yy.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
          async (args) => {
            const { reindexCommand } = await import('../data-commands.js');
            reindexCommand({ dataDir: args['data-dir'], json: args.json });
          },
        )
        .demandCommand(1, 'Name a data subcommand; see `perpcarry data --help`.'),
    );
  },
};
export default dataCommand;
