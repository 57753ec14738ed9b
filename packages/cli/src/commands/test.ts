import type { Command } from 'commander';
import { action, collect, type CommandHost } from '../command-kit.js';
import { runConnectionFile, type RunFlags } from '../connection-run.js';

/** `cdp test <connection.json>`: the dry run; counts what a run would do and writes nothing. */
export function registerTest(program: Command, host: CommandHost): void {
  program
    .command('test')
    .description('dry run: what a run would create, update, leave unchanged, remove and skip; writes nothing')
    .argument('<connection.json>', 'the connection file')
    .option('--goal <id>', 'only this goal (repeatable)', collect)
    .option('--full', 'count as if nothing had been sent before')
    .option('--json', 'print the report as JSON')
    .action(action<Omit<RunFlags, 'force'>, [string]>(host, (invocation, path) => runConnectionFile(invocation, path, true)));
}
