import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** Options shared by `sweep` and `walk-forward`: the base run and the points. */
export function sweepOptions(y: Argv): Argv {
  return y
    .option('strategy', { type: 'string', describe: 'Built-in strategy name or a module path' })
    .option('spec', { type: 'string', describe: 'Sweep spec file (.json or .yaml): params, ranges, objective, constraints, windows (flags override it)' })
    .option('grid', { type: 'string', array: true, describe: 'Swept param: name=v1,v2,… or name=from:to:step (repeatable: cartesian product)' })
    .option('random', { type: 'number', describe: 'Draw N points uniformly within each param\'s bounds (see --vary, --range)' })
    .option('seed', { type: 'number', describe: 'Seed of --random sampling (default 1)' })
    .option('vary', { type: 'string', describe: 'With --random: comma-separated params to draw (default: every number param with min and max)' })
    .option('range', { type: 'string', array: true, describe: 'With --random: narrow a param to name=lo:hi (within its bounds)' })
    .option('param', { type: 'string', array: true, describe: 'Fixed strategy param name=value for every point (repeatable)' })
    .option('objective', { type: 'string', describe: 'Summary metric that ranks points, with :max or :min (default sharpe:max)' })
    .option('venue', { type: 'string', describe: 'Venue id(s), comma-separated' })
    .option('symbol', { type: 'string', describe: 'Symbol, e.g. BTC/USDT' })
    .option('window', { type: 'string', describe: 'Named window id or a date D = [D − 1 day, D + 2 days)' })
    .option('from', { type: 'string', describe: 'Start (ISO UTC or epoch ms), inclusive' })
    .option('to', { type: 'string', describe: 'End (ISO UTC or epoch ms), exclusive' })
    .option('timeframe', { type: 'string', describe: 'Bar timeframe (default 1h)' })
    .option('capital', { type: 'number', describe: 'Starting capital (default 100000)' })
    .option('run-seed', { type: 'number', describe: 'Seed of every run\'s ctx.rng (default 1)' })
    .option('fill-at', { type: 'string', choices: ['next-open', 'close'], describe: 'Fill rule (default next-open)' })
    .option('data-dir', { type: 'string', describe: 'Data directory (default ./data or $PERPCARRY_DATA_DIR)' })
    .option('accept-data-errors', { type: 'boolean', describe: 'Run even if the data fails validation' })
    .option('allow-spot-borrow', { type: 'boolean', describe: 'Allow negative spot balances' })
    .option('scenario', { type: 'string', array: true, describe: 'Stress scenario applied to every point (repeatable): a bundled name (see `perpcarry scenarios`) or a .json file' })
    .option('jobs', { type: 'number', describe: 'Worker threads (default 1: in this process)' })
    .option('out', { type: 'string', describe: 'Output root (default ./sweeps): writes <out>/<id>/' })
    .option('id', { type: 'string', describe: 'Sweep id (default <strategy>-<symbol>-<hash of the points>)' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the outcome as JSON' })
    .option('progress', { type: 'boolean', default: true, describe: 'Progress bar on a TTY' });
}

/** `perpcarry sweep`. */
const sweepCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'sweep',
      'Run many param points of a strategy over one prepared market; write sweeps/<id>/ (results, overfitting odds, sweep.html)',
      (y) =>
        sweepOptions(y)
          .option('keep-top', { type: 'number', describe: 'Full run directories for the best K points (default 3)' })
          .option('queue', { type: 'string', describe: 'redis://host:port: enqueue the points on BullMQ for `perpcarry worker`s' })
          .option('batch', { type: 'number', describe: 'With --queue: points per job (default 1)' })
          .option('pbo-groups', { type: 'number', describe: 'CSCV groups S for PBO (even, default 16)' }),
      async (args) => {
        const { sweepCommandHandler } = await import('../sweep-run.js');
        await sweepCommandHandler(args);
      },
    );
  },
};

export default sweepCommand;
