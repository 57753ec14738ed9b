import { DateTime, IANAZone } from 'luxon';
import type { Schedule } from '../config/generated-types.js';
import { InvalidConfigError } from '../errors.js';
import { compileDayRule } from './day-rules.js';
import { wallTimeToInstant } from './local-time.js';

/** How far ahead `nextRuns` looks: a schedule with no run within this many years never fires. */
export const NEXT_RUNS_HORIZON_YEARS = 5;

/**
 * The next `n` run times of a schedule strictly after `after`, ascending and without duplicates; fewer (or none)
 * when the schedule has fewer runs within {@link NEXT_RUNS_HORIZON_YEARS} years. The single source of truth for
 * when a connection runs. Times are wall-clock times in the schedule's IANA zone: a time skipped by a DST change
 * runs at the first instant after the gap, a time that occurs twice runs once, at its first occurrence.
 */
export function nextRuns(schedule: Schedule, after: Date, n: number): Date[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  const afterMs = after.getTime();
  if (Number.isNaN(afterMs)) throw new RangeError('after must be a valid date');
  const zone = timeZoneOf(schedule);
  const runsOn = compileDayRule(schedule);

  const runs: number[] = [];
  // Local calendar days, walked in UTC so that adding a day never meets a DST change.
  const first = DateTime.fromMillis(afterMs, { zone }).setZone('utc', { keepLocalTime: true }).startOf('day');
  const last = first.plus({ years: NEXT_RUNS_HORIZON_YEARS });
  for (let day = first; day <= last && runs.length < n; day = day.plus({ days: 1 })) {
    for (const time of runsOn(day)) {
      const instant = wallTimeToInstant(day.toMillis() + time, zone);
      // Several wall times can land on one instant (all those inside a DST gap): keep it once.
      if (instant > afterMs && instant > (runs.at(-1) ?? -Infinity)) runs.push(instant);
      if (runs.length === n) break;
    }
  }
  return runs.map((instant) => new Date(instant));
}

function timeZoneOf(schedule: Schedule): IANAZone {
  if (!IANAZone.isValidZone(schedule.timeZone)) {
    throw new InvalidConfigError([{ pointer: '/timeZone', message: `"${schedule.timeZone}" is not an IANA time zone` }]);
  }
  return IANAZone.create(schedule.timeZone);
}
