import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry montecarlo`: run a strategy over seeded synthetic paths and write the distribution. */
const montecarloCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'montecarlo',
      'Run a strategy over N seeded synthetic paths (block bootstrap of the window) and write the distribution, a fan chart and the real path\'s place in it',
      (y) =>
        y
          .option('paths', { type: 'number', default: 100, describe: 'Number of synthetic paths' })
          .option('seed', { type: 'number', default: 1, describe: 'Seed: path p is rebuilt from (seed, p)' })
          .option('method', { type: 'string', choices: ['block-bootstrap', 'iid-bootstrap'], default: 'block-bootstrap', describe: 'Path generator: stationary block bootstrap of joint bar moves and funding, or iid (block = 1 bar)' })
          .option('block-hours', { type: 'number', default: 24, describe: 'Mean block length of the block bootstrap, hours' })
          .option('regime-days', { type: 'number', describe: 'Force a regime for this many days in every path (with --regime-vol-scale / --regime-funding)' })
          .option('regime-start-day', { type: 'number', default: 0, describe: 'Regime start, days after the window start' })
          .option('regime-vol-scale', { type: 'number', default: 1, describe: 'Multiplier of every log price move inside the regime (0.5 = half the volatility)' })
          .option('regime-funding', { type: 'number', describe: 'Funding forced inside the regime, decimal per 8 h (−0.0001 = −0.01 %/8h), scaled to each interval' })
          .option('strategy', { type: 'string', describe: 'Built-in strategy name or a module path' })
          .option('param', { type: 'string', array: true, describe: 'Strategy parameter name=value (repeatable)' })
          .option('config', { type: 'string', describe: 'A run.json to take the backtest from (flags override it)' })
          .option('venue', { type: 'string', describe: 'Venue id(s), comma-separated' })
          .option('symbol', { type: 'string', describe: 'Symbol, e.g. ETH/USDT' })
          .option('window', { type: 'string', describe: 'Named crash window id or a date D = [D − 1 day, D + 2 days)' })
          .option('from', { type: 'string', describe: 'Start (ISO UTC or epoch ms), inclusive' })
          .option('to', { type: 'string', describe: 'End (ISO UTC or epoch ms), exclusive' })
          .option('capital', { type: 'number', describe: 'Starting capital in quote units (default 100000)' })
          .option('timeframe', { type: 'string', describe: 'Bar timeframe (default 1h)' })
          .option('data-dir', { type: 'string', describe: 'Data directory (default ./data or $PERPCARRY_DATA_DIR)' })
          .option('accept-data-errors', { type: 'boolean', describe: 'Run even if the data fails validation' })
          .option('fill-at', { type: 'string', choices: ['next-open', 'close'], describe: 'Market orders fill at the next bar open (default) or the current close' })
          .option('slippage', { type: 'string', choices: ['fixed', 'volume', 'stress'], describe: 'Slippage model (default fixed 1 bp)' })
          .option('slippage-bps', { type: 'number', describe: 'Fixed slippage part, bps' })
          .option('scenario', { type: 'string', array: true, describe: 'Stress scenario applied to the real market before paths are drawn (repeatable)' })
          .option('allow-spot-borrow', { type: 'boolean', describe: 'Allow negative spot balances' })
          .option('jobs', { type: 'number', describe: 'Worker threads for the paths (default 1: in this process)' })
          .option('queue', { type: 'string', describe: 'redis://host:port: enqueue the paths on BullMQ for `perpcarry worker`s' })
          .option('batch', { type: 'number', describe: 'With --queue: paths per job (default 1)' })
          .option('out', { type: 'string', describe: 'Output directory (default reports/montecarlo-<strategy>-<symbol>-seed<S>-n<N>)' })
          .option('json', { type: 'boolean', default: false, describe: 'Print the summary as JSON' }),
      async (args) => {
        const { montecarloCommandHandler } = await import('../montecarlo-run.js');
        await montecarloCommandHandler(args);
      },
    );
  },
};

export default montecarloCommand;
