import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry compare <run-dir> <run-dir> … [--out dir] [--align calendar|elapsed]`: runs side by side. */
const compareCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'compare <run-dirs..>',
      'Compare runs side by side: terminal table (best per row marked *), compare.html and compare.md',
      (y) =>
        y
          .positional('run-dirs', { type: 'string', array: true, demandOption: true, describe: 'Two or more run directories' })
          .option('out', { type: 'string', describe: 'Output directory for compare.html/compare.md (default: reports/compare-<hash>)' })
          .option('align', {
            choices: ['calendar', 'elapsed'] as const,
            default: 'calendar' as const,
            describe: 'Time axis of the charts and the return-over-time table: calendar (UTC times) or elapsed (since each run\'s window start, for runs over different windows)',
          }),
      async (args) => {
        const { compareRuns } = await import('../../analysis/compare.js');
        const dirs = (args['run-dirs'] as string[] | undefined) ?? [];
        const r = await compareRuns(dirs, { out: args.out, align: args.align });
        process.stdout.write(`${r.terminal}\n\nwrote ${r.html}\nwrote ${r.md}\n`);
        for (const w of r.comparison.warnings) process.stderr.write(`perpcarry: warning: ${w}\n`);
      },
    );
  },
};
export default compareCommand;
