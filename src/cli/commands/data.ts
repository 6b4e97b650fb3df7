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
        .demandCommand(1, 'Name a data subcommand; see `perpcarry data --help`.'),
    );
  },
};
export default dataCommand;
