import type { DateTime } from 'luxon';
import type { Schedule } from '../config/generated-types.js';
import { InvalidConfigError } from '../errors.js';

const DAY_SECONDS = 86_400;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const WEEK_ORDINALS = { first: 1, second: 2, third: 3, fourth: 4 } as const;

/** The wall-clock times (ms since local midnight, ascending) a schedule runs at on one local calendar day. */
export type DayRule = (day: DateTime) => number[];

/** Compiles a schedule's day selection and times of day once, so walking the calendar stays cheap. */
export function compileDayRule(schedule: Schedule): DayRule {
  switch (schedule.type) {
    case 'timesPerDay': {
      const times = evenlySpacedTimes(schedule.timesPerDay, parseTimeOfDay(schedule.start ?? '00:00', '/start'));
      return () => times;
    }
    case 'daysOfWeek': {
      const times = parseTimes(schedule.at);
      const weekdays = new Set(schedule.days.map((day) => WEEKDAYS.indexOf(day) + 1));
      return (day) => (weekdays.has(day.weekday) ? times : []);
    }
    case 'daysOfMonth': {
      const times = parseTimes(schedule.at);
      const months = schedule.months && new Set(schedule.months);
      const moveToLastDay = schedule.whenDayMissing === 'lastDay';
      return (day) => {
        if (months && !months.has(day.month)) return [];
        const lastDay = day.daysInMonth!;
        const runsToday = schedule.days.some((d) => d === day.day || (moveToLastDay && d > lastDay && day.day === lastDay));
        return runsToday ? times : [];
      };
    }
    case 'weekdayOfMonth': {
      const times = parseTimes(schedule.at);
      const weekday = WEEKDAYS.indexOf(schedule.weekday) + 1;
      const week = schedule.week;
      return (day) => {
        if (day.weekday !== weekday) return [];
        const matches = week === 'last' ? day.day + 7 > day.daysInMonth! : Math.ceil(day.day / 7) === WEEK_ORDINALS[week];
        return matches ? times : [];
      };
    }
    default:
      // Unreachable for a schema-valid schedule; a clear refusal for anything else.
      throw new InvalidConfigError([{ pointer: '/type', message: `unknown schedule type "${(schedule as { type?: unknown }).type}"` }]);
  }
}

/**
 * `count` times spread evenly over the 24 hours of the wall clock from `start`, wrapping past midnight, rounded
 * down to whole seconds (96 a day is every 15 minutes; 7 a day is every 3 h 25 min 42.857 s).
 */
function evenlySpacedTimes(count: number, startMs: number): number[] {
  const times = Array.from({ length: count }, (_, k) => (startMs + Math.floor((k * DAY_SECONDS) / count) * 1000) % (DAY_SECONDS * 1000));
  return times.sort((a, b) => a - b);
}

function parseTimes(times: string[]): number[] {
  const parsed = times.map((time, index) => parseTimeOfDay(time, `/at/${index}`));
  return [...new Set(parsed)].sort((a, b) => a - b);
}

function parseTimeOfDay(time: string, pointer: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new InvalidConfigError([{ pointer, message: `"${time}" is not a time of day HH:mm (00:00–23:59)` }]);
  return (Number(match[1]) * 60 + Number(match[2])) * 60_000;
}
