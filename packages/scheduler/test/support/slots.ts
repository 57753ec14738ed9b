import type { Connection, TimesPerDaySchedule } from '@cdp/sdk';

const DAY_SECONDS = 86_400;

/**
 * A UTC schedule with a slot at `target` (a whole second). Spreading N runs over a day puts slots off the minute
 * (N = 7: every 3 h 25 min 42 s), so some N and start time hit any second; its other slots are ≥ 15 min away.
 */
export function scheduleWithSlotAt(target: Date): TimesPerDaySchedule {
  const secondOfDay = Math.floor(target.getTime() / 1000) % DAY_SECONDS;
  for (let count = 1; count <= 96; count++) {
    for (let k = 0; k < count; k++) {
      const start = (secondOfDay - Math.floor((k * DAY_SECONDS) / count) + DAY_SECONDS) % DAY_SECONDS;
      if (start % 60 !== 0) continue;
      const minutes = start / 60;
      const hhmm = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
      return { type: 'timesPerDay', timeZone: 'UTC', timesPerDay: count, start: hhmm };
    }
  }
  throw new Error(`no schedule has a slot at ${target.toISOString()}`);
}

/** A whole second at least `ms` from now. */
export function secondsAhead(ms: number): Date {
  return new Date(Math.ceil((Date.now() + ms) / 1000) * 1000);
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The scheduler tests' connection: one export goal of the `readers` segment to audience L1, with a slot at `slot`. */
export function scheduledConnection(slot: Date, baseUrl: string): Connection {
  return {
    id: 'readers',
    name: 'Readers',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl },
    schedule: scheduleWithSlotAt(slot),
    goals: [{ id: 'to-list', kind: 'export', segment: 'readers', audiences: ['L1'], identifier: 'email', mappings: [] }],
  };
}
