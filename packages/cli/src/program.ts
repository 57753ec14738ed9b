import { Command, CommanderError, Option } from 'commander';
import type { CommandHost } from './command-kit.js';
import { registerAudiences } from './commands/audiences.js';
import { registerDb } from './commands/db.js';
import { registerDemo } from './commands/demo.js';
import { registerDiagnose } from './commands/diagnose.js';
import { registerHistory } from './commands/history.js';
import { registerProfiles } from './commands/profiles.js';
import { registerRun } from './commands/run.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSchedule } from './commands/schedule.js';
import { registerTest } from './commands/test.js';
import { registerValidate } from './commands/validate.js';
import { ExitCode, exitCodeOf, type ExitCodeValue } from './exit-codes.js';
import { Output } from './output.js';

const COMMANDS = [registerValidate, registerTest, registerRun, registerSchedule, registerHistory, registerDiagnose, registerAudiences, registerProfiles, registerDb, registerSandbox, registerDemo];

const DEFAULT_CONNECTIONS = ['./connections'];

/** The first --connections replaces the default; later ones add to it. */
function addConnectionPath(path: string, previous: string[]): string[] {
  return previous === DEFAULT_CONNECTIONS ? [path] : [...previous, path];
}

export function buildProgram(host: CommandHost): Command {
  const program = new Command('cdp')
    .description('Run, test, schedule and diagnose CDP connections (Mailchimp import and export).')
    .option('--catalog <file>', "the CDP's catalog JSON (segments, properties, objectives, lifecycles)", './catalog.json')
    .option('--connections <path>', 'a connection file, or a folder of *.connection.json, for commands that take a connection id (repeatable)', addConnectionPath, DEFAULT_CONNECTIONS)
    .addOption(new Option('--log-level <level>', 'log lines written to standard error from this level up').choices(['debug', 'info', 'warn', 'error']).default('warn'))
    .showHelpAfterError('(run cdp --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => host.output.line(text.trimEnd()), writeErr: (text) => host.output.message(text.trimEnd()) });
  for (const register of COMMANDS) register(program, host);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Parses the arguments and runs one command; resolves to the process exit code (never throws). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, output: Output = new Output()): Promise<ExitCodeValue> {
  const host: CommandHost = { env, output };
  try {
    await buildProgram(host).parseAsync(argv);
    return host.exitCode ?? ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    output.message(`Error: ${describe(error)}`);
    return exitCodeOf(error);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
