import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry worker`: serve sweep points and Monte Carlo paths from a BullMQ queue. */
const workerCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'worker',
      'Take tasks (sweep points, Monte Carlo paths) from a BullMQ queue on Redis and run them on this machine\'s data',
      (y) =>
        y
          .option('queue', { type: 'string', demandOption: true, describe: 'redis://host:port' })
          .option('jobs', { type: 'number', describe: 'Worker threads = jobs at once (default 1)' })
          .option('data-dir', { type: 'string', describe: 'Data directory (default ./data or $PERPCARRY_DATA_DIR); its files must hash as the sweep\'s' })
          .option('lock-ms', { type: 'number', describe: 'Job lock, ms: a job of a worker that died is retried elsewhere after this (default 30000)' }),
      async (args) => {
        const { workerCommandHandler } = await import('../worker-run.js');
        await workerCommandHandler(args);
      },
    );
  },
};

export default workerCommand;
