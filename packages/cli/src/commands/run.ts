import type { Command } from 'commander';
import { action, collect, type CommandHost } from '../command-kit.js';
import { runConnectionFile, type RunFlags } from '../connection-run.js';

/** `cdp run <connection.json>`: Run now, with progress, then the run report. */
export function registerRun(program: Command, host: CommandHost): void {
  program
    .command('run')
    .description('run a connection now: progress per goal, then the run report')
    .argument('<connection.json>', 'the connection file')
    .option('--goal <id>', 'only this goal (repeatable)', collect)
    .option('--full', 'ignore watermarks and last-sent payloads: consider and send everything')
    .option('--force', 'override the removal brake')
    .option('--json', 'print the report as JSON')
    .option('--allow-failures', 'exit 0 when the run succeeded though some members or profiles failed (otherwise 5)')
    .action(action<RunFlags, [string]>(host, (invocation, path) => runConnectionFile(invocation, path, false)));
}
