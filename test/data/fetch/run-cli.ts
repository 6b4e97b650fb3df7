/**
 * Runs the perpcarry CLI from source (via tsx) so child-process tests never depend on a stale
 * dist/ build: `node --import tsx test/data/fetch/run-cli.ts data fetch …`.
 */
import { main } from '../../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
