import { IANAZone } from 'luxon';
import type { ConfigProblem } from '../errors.js';
import { NEXT_RUNS_HORIZON_YEARS, nextRuns } from '../schedule/next-runs.js';
import type { Schedule } from './generated-types.js';
import { didYouMean } from './suggest.js';

/** An unknown time zone, or a schedule that never fires within nextRuns' horizon (it then returns no run). */
export function scheduleProblems(schedule: Schedule | undefined, now: Date): ConfigProblem[] {
  if (!schedule) return [];
  const zone = schedule.timeZone;
  if (!IANAZone.isValidZone(zone)) {
    const suggestion = didYouMean(zone, Intl.supportedValuesOf('timeZone'));
    return [{ pointer: '/schedule/timeZone', message: `unknown time zone "${zone}"${suggestion}; use an IANA name such as Europe/Amsterdam` }];
  }
  if (nextRuns(schedule, now, 1).length > 0) return [];
  return [{ pointer: '/schedule', message: `never runs in the next ${NEXT_RUNS_HORIZON_YEARS} years${whyNever(schedule)}` }];
}

function whyNever(schedule: Schedule): string {
  if (schedule.type !== 'daysOfMonth' || schedule.whenDayMissing === 'lastDay') return '';
  return ': none of the chosen days exists in the chosen months (set whenDayMissing to "lastDay" to run on the last day of those months instead)';
}
