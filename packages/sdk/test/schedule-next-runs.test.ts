import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { InvalidConfigError, nextRuns, type Schedule } from '@cdp/sdk';

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());
const at = (isoTime: string): Date => new Date(isoTime);

describe('nextRuns: times per day', () => {
  it('spreads runs evenly from the start time and wraps past midnight', () => {
    const schedule: Schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 4, start: '06:00' };
    expect(iso(nextRuns(schedule, at('2026-01-01T07:00:00Z'), 5))).toEqual([
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T18:00:00.000Z',
      '2026-01-02T00:00:00.000Z',
      '2026-01-02T06:00:00.000Z',
      '2026-01-02T12:00:00.000Z',
    ]);
  });

  it('starts at midnight when no start is given', () => {
    const schedule: Schedule = { type: 'timesPerDay', timeZone: 'Europe/Amsterdam', timesPerDay: 1 };
    expect(iso(nextRuns(schedule, at('2026-01-10T12:00:00Z'), 2))).toEqual(['2026-01-10T23:00:00.000Z', '2026-01-11T23:00:00.000Z']);
  });

  it('runs 96 times a day, every 15 minutes', () => {
    const schedule: Schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 96, start: '00:10' };
    const runs = nextRuns(schedule, at('2026-05-01T00:00:00Z'), 200);
    expect(runs).toHaveLength(200);
    expect(runs[0].toISOString()).toBe('2026-05-01T00:10:00.000Z');
    expect(new Set(runs.slice(1).map((run, i) => run.getTime() - runs[i].getTime()))).toEqual(new Set([15 * 60_000]));
  });

  it('rounds spacing that is not a whole number of seconds down to the second', () => {
    const schedule: Schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 7, start: '00:00' };
    expect(iso(nextRuns(schedule, at('2026-05-01T00:00:00Z'), 3))).toEqual([
      '2026-05-01T03:25:42.000Z', // 86400 / 7 = 12342.857 s
      '2026-05-01T06:51:25.000Z',
      '2026-05-01T10:17:08.000Z',
    ]);
  });

  it('keeps wall-clock times on the 23-hour day: the hour in the gap runs once, right after it (Amsterdam)', () => {
    const schedule: Schedule = { type: 'timesPerDay', timeZone: 'Europe/Amsterdam', timesPerDay: 24, start: '00:00' };
    // 29 March 2026: 02:00 CET becomes 03:00 CEST. The local day runs from 28 Mar 23:00Z to 29 Mar 22:00Z.
    const day = nextRuns(schedule, at('2026-03-28T22:59:59Z'), 23);
    expect(day).toHaveLength(23);
    expect(iso(day.slice(0, 4))).toEqual([
      '2026-03-28T23:00:00.000Z', // 00:00 CET
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 02:00 does not exist: 03:00 CEST, shared with the 03:00 run
      '2026-03-29T02:00:00.000Z', // 04:00 CEST
    ]);
    expect(day[22].toISOString()).toBe('2026-03-29T21:00:00.000Z'); // 23:00 CEST
  });

  it('keeps wall-clock times on the 25-hour day: the repeated hour runs once (Amsterdam)', () => {
    const schedule: Schedule = { type: 'timesPerDay', timeZone: 'Europe/Amsterdam', timesPerDay: 24, start: '00:00' };
    // 25 October 2026: 03:00 CEST becomes 02:00 CET. The local day runs from 24 Oct 22:00Z to 25 Oct 23:00Z.
    const day = nextRuns(schedule, at('2026-10-24T21:59:59Z'), 24);
    expect(iso(day.slice(1, 4))).toEqual([
      '2026-10-24T23:00:00.000Z', // 01:00 CEST
      '2026-10-25T00:00:00.000Z', // 02:00 CEST, first occurrence only
      '2026-10-25T02:00:00.000Z', // 03:00 CET, two hours later
    ]);
    expect(day[23].toISOString()).toBe('2026-10-25T22:00:00.000Z'); // 23:00 CET
  });
});

describe('nextRuns: days of the week', () => {
  it('runs on the chosen weekdays at each time, in the zone', () => {
    const schedule: Schedule = { type: 'daysOfWeek', timeZone: 'America/New_York', days: ['fri', 'mon'], at: ['17:30', '09:00'] };
    // Thursday 15 January 2026, EST (UTC-5).
    expect(iso(nextRuns(schedule, at('2026-01-15T12:00:00Z'), 4))).toEqual([
      '2026-01-16T14:00:00.000Z',
      '2026-01-16T22:30:00.000Z',
      '2026-01-19T14:00:00.000Z',
      '2026-01-19T22:30:00.000Z',
    ]);
  });

  it('excludes a run at exactly `after`', () => {
    const schedule: Schedule = { type: 'daysOfWeek', timeZone: 'UTC', days: ['mon'], at: ['09:00'] };
    expect(iso(nextRuns(schedule, at('2026-01-19T09:00:00Z'), 1))).toEqual(['2026-01-26T09:00:00.000Z']);
  });

  it.each([
    // [zone, Sunday of the change, local time, expected instant]
    ['Europe/Amsterdam', 'spring forward: 02:30 does not exist, runs at 03:00 CEST', '2026-03-28T12:00:00Z', '02:30', '2026-03-29T01:00:00.000Z'],
    ['Europe/Amsterdam', 'fall back: 02:30 happens twice, runs at the first (CEST)', '2026-10-24T12:00:00Z', '02:30', '2026-10-25T00:30:00.000Z'],
    ['Europe/Amsterdam', 'fall back: 03:00 happens once, in CET', '2026-10-24T12:00:00Z', '03:00', '2026-10-25T02:00:00.000Z'],
    ['America/New_York', 'spring forward: 02:30 does not exist, runs at 03:00 EDT', '2026-03-07T12:00:00Z', '02:30', '2026-03-08T07:00:00.000Z'],
    ['America/New_York', 'fall back: 01:30 happens twice, runs at the first (EDT)', '2026-10-31T12:00:00Z', '01:30', '2026-11-01T05:30:00.000Z'],
    ['America/New_York', 'fall back: 02:00 happens once, in EST', '2026-10-31T12:00:00Z', '02:00', '2026-11-01T07:00:00.000Z'],
  ])('%s, %s', (timeZone, _case, after, time, expected) => {
    const schedule: Schedule = { type: 'daysOfWeek', timeZone, days: ['sun'], at: [time] };
    expect(nextRuns(schedule, at(after), 1)[0].toISOString()).toBe(expected);
  });

  it('runs a time skipped by the gap once even when a later time lands on the same instant', () => {
    const schedule: Schedule = { type: 'daysOfWeek', timeZone: 'America/New_York', days: ['sun'], at: ['02:00', '02:30', '03:00', '03:30'] };
    expect(iso(nextRuns(schedule, at('2026-03-07T12:00:00Z'), 2))).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-08T07:30:00.000Z']);
  });

  it('runs the repeated hour once: the day after the change is an ordinary day', () => {
    const schedule: Schedule = { type: 'daysOfWeek', timeZone: 'America/New_York', days: ['sun', 'mon'], at: ['01:30'] };
    expect(iso(nextRuns(schedule, at('2026-10-31T12:00:00Z'), 2))).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });
});

describe('nextRuns: days of the month', () => {
  const base = { type: 'daysOfMonth' as const, timeZone: 'UTC', at: ['08:00'] };

  it('skips months without the 31st by default', () => {
    const runs = nextRuns({ ...base, days: [31] }, at('2026-01-01T00:00:00Z'), 4);
    expect(iso(runs)).toEqual(['2026-01-31T08:00:00.000Z', '2026-03-31T08:00:00.000Z', '2026-05-31T08:00:00.000Z', '2026-07-31T08:00:00.000Z']);
  });

  it('moves a missing 31st to the last day of the month when asked', () => {
    const runs = nextRuns({ ...base, days: [31], whenDayMissing: 'lastDay' }, at('2026-01-01T00:00:00Z'), 4);
    expect(iso(runs)).toEqual(['2026-01-31T08:00:00.000Z', '2026-02-28T08:00:00.000Z', '2026-03-31T08:00:00.000Z', '2026-04-30T08:00:00.000Z']);
  });

  it('runs once on a last day that several missing days move to', () => {
    const runs = nextRuns({ ...base, days: [15, 29, 30, 31], months: [2], whenDayMissing: 'lastDay' }, at('2027-01-01T00:00:00Z'), 4);
    expect(iso(runs)).toEqual(['2027-02-15T08:00:00.000Z', '2027-02-28T08:00:00.000Z', '2028-02-15T08:00:00.000Z', '2028-02-29T08:00:00.000Z']);
  });

  it('runs on 29 February only in leap years', () => {
    const runs = nextRuns({ ...base, days: [29], months: [2] }, at('2027-03-01T00:00:00Z'), 2);
    expect(iso(runs)).toEqual(['2028-02-29T08:00:00.000Z', '2032-02-29T08:00:00.000Z']);
  });

  it('honours the month list and the zone at month ends', () => {
    const schedule: Schedule = { type: 'daysOfMonth', timeZone: 'Asia/Tokyo', days: [1], months: [1, 7], at: ['00:00'] };
    expect(iso(nextRuns(schedule, at('2026-02-01T00:00:00Z'), 2))).toEqual(['2026-06-30T15:00:00.000Z', '2026-12-31T15:00:00.000Z']);
  });

  it('returns nothing for a day no chosen month has', () => {
    expect(nextRuns({ ...base, days: [30, 31], months: [2] }, at('2026-01-01T00:00:00Z'), 3)).toEqual([]);
  });

  it('returns nothing when the next run lies beyond the five-year horizon', () => {
    // 2100 is not a leap year: after 29 Feb 2096 the next one is 2104.
    expect(nextRuns({ ...base, days: [29], months: [2] }, at('2096-03-01T00:00:00Z'), 1)).toEqual([]);
  });
});

describe('nextRuns: weekday of the month', () => {
  const runsOf = (week: 'first' | 'second' | 'third' | 'fourth' | 'last', weekday: 'tue' | 'fri' | 'sun', count: number): string[] =>
    iso(nextRuns({ type: 'weekdayOfMonth', timeZone: 'UTC', week, weekday, at: ['10:00'] }, at('2026-01-01T00:00:00Z'), count)).map((d) =>
      d.slice(0, 10),
    );

  it('runs on the last Friday, in months with four and with five Fridays', () => {
    expect(runsOf('last', 'fri', 5)).toEqual(['2026-01-30', '2026-02-27', '2026-03-27', '2026-04-24', '2026-05-29']);
  });

  it('runs on the second Tuesday', () => {
    expect(runsOf('second', 'tue', 4)).toEqual(['2026-01-13', '2026-02-10', '2026-03-10', '2026-04-14']);
  });

  it('runs on the first and the fourth Sunday', () => {
    expect(runsOf('first', 'sun', 3)).toEqual(['2026-01-04', '2026-02-01', '2026-03-01']);
    expect(runsOf('fourth', 'sun', 3)).toEqual(['2026-01-25', '2026-02-22', '2026-03-22']);
  });

  it('follows the zone: the last Sunday of March in Amsterdam is the spring-forward day', () => {
    const schedule: Schedule = { type: 'weekdayOfMonth', timeZone: 'Europe/Amsterdam', week: 'last', weekday: 'sun', at: ['02:15', '12:00'] };
    expect(iso(nextRuns(schedule, at('2026-03-01T00:00:00Z'), 2))).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T10:00:00.000Z']);
  });
});

describe('nextRuns: arguments', () => {
  const daily: Schedule = { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: 1 };

  it('returns an empty list for n = 0', () => {
    expect(nextRuns(daily, at('2026-01-01T00:00:00Z'), 0)).toEqual([]);
  });

  it('refuses a negative or fractional n and an invalid date', () => {
    expect(() => nextRuns(daily, at('2026-01-01T00:00:00Z'), -1)).toThrow(RangeError);
    expect(() => nextRuns(daily, at('2026-01-01T00:00:00Z'), 1.5)).toThrow(RangeError);
    expect(() => nextRuns(daily, new Date(Number.NaN), 1)).toThrow(RangeError);
  });

  it('refuses an unknown time zone and a malformed time with a pointer into the schedule', () => {
    expect(() => nextRuns({ ...daily, timeZone: 'Mars/Olympus' }, new Date(), 1)).toThrow(InvalidConfigError);
    expect(() => nextRuns({ type: 'hourly', timeZone: 'UTC' } as unknown as Schedule, new Date(), 1)).toThrow('unknown schedule type "hourly"');
    try {
      nextRuns({ type: 'daysOfWeek', timeZone: 'UTC', days: ['mon'], at: ['09:00', '24:00'] }, new Date(), 1);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as InvalidConfigError).problems).toEqual([{ pointer: '/at/1', message: expect.stringContaining('24:00') }]);
    }
  });
});

describe('nextRuns: properties', () => {
  const time = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const zone = fc.constantFrom('UTC', 'Europe/Amsterdam', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata');
  const weekday = fc.constantFrom('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun' as const);
  const schedule: fc.Arbitrary<Schedule> = fc.oneof(
    fc.record({ type: fc.constant('timesPerDay' as const), timeZone: zone, timesPerDay: fc.integer({ min: 1, max: 96 }), start: time }),
    fc.record({ type: fc.constant('daysOfWeek' as const), timeZone: zone, days: fc.uniqueArray(weekday, { minLength: 1, maxLength: 7 }), at: fc.uniqueArray(time, { minLength: 1, maxLength: 4 }) }),
    fc.record({
      type: fc.constant('daysOfMonth' as const),
      timeZone: zone,
      days: fc.uniqueArray(fc.integer({ min: 1, max: 31 }), { minLength: 1, maxLength: 5 }),
      whenDayMissing: fc.constantFrom('skip' as const, 'lastDay' as const),
      at: fc.uniqueArray(time, { minLength: 1, maxLength: 3 }),
    }),
    fc.record({
      type: fc.constant('weekdayOfMonth' as const),
      timeZone: zone,
      week: fc.constantFrom('first' as const, 'second' as const, 'third' as const, 'fourth' as const, 'last' as const),
      weekday,
      at: fc.uniqueArray(time, { minLength: 1, maxLength: 3 }),
    }),
  );
  const after = fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true });

  it('gives ascending runs strictly after `after`, and each run is the next one after its predecessor', () => {
    fc.assert(
      fc.property(schedule, after, (s, from) => {
        const runs = nextRuns(s, from, 6);
        expect(runs.length).toBeGreaterThan(0);
        expect(runs[0].getTime()).toBeGreaterThan(from.getTime());
        runs.slice(1).forEach((run, i) => {
          expect(run.getTime()).toBeGreaterThan(runs[i].getTime());
          // The scheduler reschedules from the slot it just ran: chaining must give the same sequence.
          expect(nextRuns(s, runs[i], 1)).toEqual([run]);
        });
      }),
      { numRuns: 150 },
    );
  });
});
