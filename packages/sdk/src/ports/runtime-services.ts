import type { RunReport } from '../report.js';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Structured logger. Implementations must pass messages and fields through `redact` before output. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

/** Sends run summaries to the connection's notification targets. */
export interface Notifier {
  notify(report: RunReport): Promise<void>;
}
