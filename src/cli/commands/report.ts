import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry report <run-dir>`: regenerate report.html and report.md from a run's saved files. */
const reportCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'report <run-dir>',
      'Regenerate report.html and report.md of a run directory (reports/<run-id>/)',
      (y) =>
        y
          .positional('run-dir', { type: 'string', demandOption: true, describe: 'Run directory written by `perpcarry backtest`' })
          .option('html', { type: 'boolean', default: true, describe: 'Write report.html (--no-html: only report.md)' }),
      async (args) => {
        const { writeReports } = await import('../../analysis/report/index.js');
        const out = await writeReports(String(args['run-dir']), { html: args.html });
        process.stdout.write(`wrote ${out.md}\n${out.html ? `wrote ${out.html}\n` : ''}`);
      },
    );
  },
};
export default reportCommand;
