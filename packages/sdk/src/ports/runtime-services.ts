import type { Connection } from '../config/generated-types.js';
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

/** Sends run summaries to the connection's notification targets (`connection.notify`). */
export interface Notifier {
  notify(connection: Connection, report: RunReport): Promise<void>;
}
