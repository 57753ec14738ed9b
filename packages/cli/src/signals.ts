import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import type { Output } from './output.js';

const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

/** The exit code of a command stopped by a signal. */
export const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, ExitCodeValue>> = { SIGINT: ExitCode.interrupted, SIGTERM: ExitCode.terminated };

/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM: long-running commands stop cleanly on either. */
export function interrupted(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      for (const name of STOP_SIGNALS) process.off(name, stop);
      resolve(signal);
    };
    for (const name of STOP_SIGNALS) process.on(name, stop);
  });
}

export interface Interruption {
  /** Aborted on the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal received, once one was. */
  readonly received: NodeJS.Signals | undefined;
  /** Stops listening: from then on a signal ends the process as it does by default. */
  dispose(): void;
}

/**
 * Lets a run stop cleanly on Ctrl-C or SIGTERM: the first aborts `signal`, and the run stops after the batch in
 * flight; a second exits at once, leaving the connection's lock to expire with its lease.
 */
export function listenForInterruption(output: Output): Interruption {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    const name = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    if (controller.signal.aborted) {
      output.message(`${name} again: quitting now; the connection's lock frees itself when its lease runs out.`);
      process.exit(SIGNAL_EXIT_CODES[signal]);
    }
    // On a terminal the progress bar holds the current line.
    output.message(`${output.interactive ? '\n' : ''}${name}: stopping after the batch in flight; ${name} again quits at once.`);
    controller.abort(signal);
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    get received() {
      return controller.signal.aborted ? (controller.signal.reason as NodeJS.Signals) : undefined;
    },
    dispose: () => {
      for (const name of STOP_SIGNALS) process.off(name, onSignal);
    },
  };
}
