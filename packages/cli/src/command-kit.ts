import type { Command, OptionValues } from 'commander';
import type { CliContext, GlobalOptions } from './context.js';
import type { ExitCodeValue } from './exit-codes.js';
import type { Output } from './output.js';

/** One invocation of a command: its context, the global options, its own options and its arguments. */
export interface Invocation<Options> {
  ctx: CliContext;
  globals: GlobalOptions;
  options: Options;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command declares its own arguments
export type Handler<Options = any, Args extends unknown[] = any[]> = (invocation: Invocation<Options>, ...args: Args) => Promise<ExitCodeValue>;

/** Where the handler's exit code goes, and the process-level inputs commands run with. */
export interface CommandHost {
  env: NodeJS.ProcessEnv;
  output: Output;
  exitCode?: ExitCodeValue;
}

/**
 * Adapts a handler to commander: loads the command's module only when the command runs, builds the context
 * from the global options and records the exit code.
 */
export function lazyAction(host: CommandHost, load: () => Promise<Handler>): (...params: unknown[]) => Promise<void> {
  return async (...params) => {
    const command = params[params.length - 1] as Command;
    const globals = command.optsWithGlobals<GlobalOptions & OptionValues>();
    const [handler, { createContext }] = await Promise.all([load(), import('./context.js')]);
    const ctx = createContext(globals, host.env, host.output);
    host.exitCode = await handler({ ctx, globals, options: command.opts() }, ...command.processedArgs);
  };
}

/** Repeatable option values (`--goal a --goal b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
