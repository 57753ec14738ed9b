import type { Command, OptionValues } from 'commander';
import { createContext, type CliContext, type GlobalOptions } from './context.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { Output } from './output.js';

/** One invocation of a command: its context, the global options, its own options and its arguments. */
export interface Invocation<Options> {
  ctx: CliContext;
  globals: GlobalOptions;
  options: Options;
}

export type Handler<Options, Args extends unknown[]> = (invocation: Invocation<Options>, ...args: Args) => Promise<ExitCodeValue>;

/** Where the handler's exit code goes, and the process-level inputs commands run with. */
export interface CommandHost {
  env: NodeJS.ProcessEnv;
  output: Output;
  exitCode?: ExitCodeValue;
}

/** Adapts a handler to commander: builds the context from the global options and records the exit code. */
export function action<Options extends OptionValues, Args extends unknown[]>(host: CommandHost, handler: Handler<Options, Args>): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions & Options>();
    const ctx = createContext(globals.logLevel, host.env, host.output);
    host.exitCode = await handler({ ctx, globals, options: command.opts<Options>() }, ...(command.processedArgs as Args));
  };
}

/** Repeatable option values (`--goal a --goal b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
