import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry data <subcommand>`: browse, import, fetch and validate the Arrow store. */
const dataCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command('data', 'Browse, import, fetch and validate stored series', (y) =>
      y
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
              .option('timeout-ms', { type: 'number', hidden: true, describe: 'Request timeout (default 10000)' }),
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
            });
          },
        )
        .demandCommand(1, 'Name a data subcommand; see `perpcarry data --help`.'),
    );
  },
};
export default dataCommand;
