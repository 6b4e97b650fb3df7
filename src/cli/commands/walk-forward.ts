import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';
import { sweepOptions } from './sweep.js';

/** `perpcarry walk-forward`. */
const walkForwardCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'walk-forward',
      'Optimise on each training span, run the choice on the next test span; in-sample vs out-of-sample and the stitched out-of-sample equity',
      (y) =>
        sweepOptions(y)
          .option('train', { type: 'string', describe: 'Training span, e.g. 90d (or walkForward.train in --spec)' })
          .option('test', { type: 'string', describe: 'Test span, e.g. 30d' })
          .option('step', { type: 'string', describe: 'Step between windows (default: the test span)' }),
      async (args) => {
        const { walkForwardCommandHandler } = await import('../sweep-run.js');
        await walkForwardCommandHandler(args);
      },
    );
  },
};

export default walkForwardCommand;
