import { CliError, ExitCode } from './exit-codes.js';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "30m", "12h", "7d", "2w" before `now`, or an ISO date/time. */
export function parseSince(value: string, now: Date): Date {
  const relative = /^(\d+)\s*([mhdw])$/i.exec(value.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2].toLowerCase()]);
  const absolute = new Date(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && !Number.isNaN(absolute.getTime())) return absolute;
  throw new CliError(`--since "${value}" is neither a period such as 30m, 12h, 7d or 2w nor a date such as 2026-01-31`, ExitCode.badInput);
}
