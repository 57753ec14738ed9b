import type { Clock } from '@cdp/sdk';

/** A clock tests move by hand, so time-dependent behaviour (leases, updatedAt) is exact and fast. */
export class TestClock implements Clock {
  private current: number;

  constructor(start: Date = new Date('2026-01-05T09:00:00.000Z')) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): Date {
    this.current += ms;
    return this.now();
  }

  set(date: Date): void {
    this.current = date.getTime();
  }
}
