import { DateTime, IANAZone } from 'luxon';
import type { ConfigProblem } from '../errors.js';
import { nextRuns } from '../schedule/next-runs.js';
import type { Schedule } from './generated-types.js';
import { didYouMean } from './suggest.js';

/** A schedule that does not run within this many years is refused as impossible. */
export const SCHEDULE_HORIZON_YEARS = 5;

/** An unknown time zone, or a schedule that never fires within the horizon. */
export function scheduleProblems(schedule: Schedule | undefined, now: Date): ConfigProblem[] {
  if (!schedule) return [];
  const zone = schedule.timeZone;
  if (!IANAZone.isValidZone(zone)) {
    const suggestion = didYouMean(zone, Intl.supportedValuesOf('timeZone'));
    return [{ pointer: '/schedule/timeZone', message: `unknown time zone "${zone}"${suggestion}; use an IANA name such as Europe/Amsterdam` }];
  }
  const [next] = nextRuns(schedule, now, 1);
  const horizon = DateTime.fromJSDate(now).plus({ years: SCHEDULE_HORIZON_YEARS }).toJSDate();
  if (next !== undefined && next <= horizon) return [];
  return [{ pointer: '/schedule', message: `never runs in the next ${SCHEDULE_HORIZON_YEARS} years${whyNever(schedule)}` }];
}

function whyNever(schedule: Schedule): string {
  if (schedule.type !== 'daysOfMonth' || schedule.whenDayMissing === 'lastDay') return '';
  return ': none of the chosen days exists in the chosen months (set whenDayMissing to "lastDay" to run on the last day of those months instead)';
}
