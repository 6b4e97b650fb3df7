import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry backtest`: run a strategy over stored data and write reports/<run-id>/. */
const backtestCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'backtest',
      'Backtest a strategy on stored data and write reports/<run-id>/',
      (y) =>
        y
          .option('strategy', { type: 'string', describe: 'Built-in strategy name (see `perpcarry strategies`) or a path to a .js/.ts module' })
          .option('param', { type: 'string', array: true, describe: 'Strategy parameter name=value (repeatable)' })
          .option('config', { type: 'string', describe: 'A run.json to rerun (flags given explicitly override it)' })
          .option('venue', { type: 'string', describe: 'Venue id(s), comma-separated (e.g. binance)' })
          .option('symbol', { type: 'string', describe: 'Symbol, e.g. ETH/USDT' })
          .option('window', { type: 'string', describe: 'Named crash window id (e.g. 2025-02-03, see `perpcarry data windows`) or a date D = [D − 1 day, D + 2 days)' })
          .option('from', { type: 'string', describe: 'Start (ISO UTC or epoch ms), inclusive' })
          .option('to', { type: 'string', describe: 'End (ISO UTC or epoch ms), exclusive' })
          .option('capital', { type: 'number', describe: 'Starting capital in quote units (default 100000)' })
          .option('seed', { type: 'number', describe: 'Seed of ctx.rng (default 1)' })
          .option('timeframe', { type: 'string', describe: 'Bar timeframe of the data to replay (default 1h)' })
          .option('out', { type: 'string', describe: 'Run directory (default reports/<run-id>)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' })
          .option('data-dir', { type: 'string', describe: 'Data directory (default ./data or $PERPCARRY_DATA_DIR)' })
          .option('accept-data-errors', { type: 'boolean', describe: 'Run even if the data fails validation' })
          .option('fill-at', { type: 'string', choices: ['next-open', 'close'], describe: 'Market orders fill at the next bar open (default) or the current close' })
          .option('slippage', { type: 'string', choices: ['fixed', 'volume', 'stress'], describe: 'Slippage model (default fixed 1 bp; stress: grows with bar range vs recent volatility and √(size/volume), docs/models-and-venues.md)' })
          .option('slippage-bps', { type: 'number', describe: 'Fixed slippage part, bps (default 1)' })
          .option('on-funding-gap', { type: 'string', choices: ['warn', 'error'], describe: 'A funding settlement missing inside the window: warn and list the gaps (default) or refuse the run' })
          .option('benchmark-apr', { type: 'number', describe: 'Benchmark / risk-free rate as a simple APR fraction (0.05 = 5 %, e.g. a stablecoin lending rate): excess Sharpe, and a line in the report (default 0)' })
          .option('scenario', { type: 'string', array: true, describe: 'Stress scenario: a bundled name (see `perpcarry scenarios`) or a .json file (repeatable; applied in order)' })
          .option('allow-spot-borrow', { type: 'boolean', describe: 'Allow negative spot balances (margin loans, charged borrow interest)' })
          .option('mark-to-market-end', { type: 'boolean', describe: 'Leave open positions at the window end marked to market (default: close them at the last close with slippage and taker fee, trades tagged close-at-end)' })
          .option('sleep', { type: 'string', choices: ['skip', 'step', 'ignore'], describe: "What a strategy's ctx.sleep does: skip quiet bars in bulk (default), step through them, or ignore it (onBar at every bar). Same results when the strategy's sleeps keep their promise: compare a run with --sleep ignore to check" })
          .option('csv', { type: 'boolean', default: false, describe: 'Also write equity.csv (every sample; equity.arrow always has them at full precision)' })
          .option('report', { type: 'boolean', default: false, describe: 'Also write report.md + report.html (or run `perpcarry report <run-dir>` later)' })
          .option('html', { type: 'boolean', default: true, describe: 'With --report: write report.html too (--no-html: report.md only)' })
          .option('progress', { type: 'boolean', default: true, describe: 'Progress bar on a TTY for runs over 1 s' }),
      async (args) => {
        // Its one-file build when current (src/cli/bundled.ts): ~60 fewer modules to load.
        const { importBacktestRun } = await import('../bundled.js');
        const { backtestCommandHandler } = await importBacktestRun();
        await backtestCommandHandler(args);
      },
    );
  },
};

export default backtestCommand;
