import type { Logger, LogLevel } from '../ports/runtime-services.js';
import { redact, redactDeep } from './redact.js';

export { redact, redactDeep } from './redact.js';

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const RESERVED_KEYS = ['time', 'level', 'msg'];

export interface LoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** The secret values to mask, read at every line so secrets resolved later are covered too. */
  secrets?: () => readonly string[];
  /** Where each JSON line goes; default standard error, keeping standard output for command results. */
  write?: (line: string) => void;
}

/** A logger writing one JSON object per line, `{time, level, msg, ...fields}`, with secrets redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = SEVERITY[options.level ?? 'info'];
  const secrets = options.secrets ?? ((): readonly string[] => []);
  const write = options.write ?? ((line: string): void => void process.stderr.write(`${line}\n`));
  return {
    log(level, message, fields): void {
      if (SEVERITY[level] < threshold) return;
      const known = secrets();
      const redactedFields = redactDeep(fields ?? {}, known) as Record<string, unknown>;
      // A field never overwrites the line's own time, level or message.
      const fieldEntries = Object.entries(redactedFields).map(([key, value]) => [
        RESERVED_KEYS.includes(key) ? `field.${key}` : key,
        value,
      ]);
      const entry = Object.fromEntries([
        ['time', new Date().toISOString()],
        ['level', level],
        ['msg', redact(message, known)],
        ...fieldEntries,
      ]);
      write(JSON.stringify(entry));
    },
  };
}
