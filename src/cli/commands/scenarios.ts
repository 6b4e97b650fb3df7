import type { Argv } from 'yargs';
import type { CommandModule } from '../main.js';

/** `perpcarry scenarios`: list the bundled stress scenarios and their shocks. */
const scenariosCommand: CommandModule = {
  register(cli: Argv): Argv {
    return cli.command(
      'scenarios',
      'List the bundled stress scenarios (use one with `backtest --scenario <name>`)',
      (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print as JSON' }),
      async (args) => {
        const { listBundledScenarios } = await import('../../scenario/bundled.js');
        const { describeShock } = await import('../../scenario/describe.js');
        const list = listBundledScenarios();
        if (args.json) {
          process.stdout.write(JSON.stringify(list.map((s) => ({ name: s.name, description: s.description, shocks: s.doc && (s.doc as { shocks: unknown }).shocks })), null, 2) + '\n');
          return;
        }
        const out: string[] = [];
        for (const s of list) {
          out.push(`${s.name}  —  ${s.description}`);
          for (const sh of s.shocks) out.push(`  • ${describeShock(sh)}`);
          out.push('');
        }
        process.stdout.write(out.join('\n'));
      },
    );
  },
};

export default scenariosCommand;
