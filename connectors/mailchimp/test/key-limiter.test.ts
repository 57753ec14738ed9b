import { describe, expect, it } from '@jest/globals';
import { KeySlots, MAX_IN_FLIGHT_PER_KEY, slotsForKey } from '../src/key-limiter.js';

/** Runs the jobs through the slots, each holding its slot a few ms; the peak in flight, overall and as seen by each limit. */
async function peakInFlight(slots: KeySlots, jobs: { limit: number }[]): Promise<{ peak: number; peakByLimit: Map<number, number> }> {
  let inFlight = 0;
  let peak = 0;
  const peakByLimit = new Map<number, number>();
  await Promise.all(
    jobs.map(async ({ limit }) => {
      const release = await slots.acquire(limit);
      inFlight++;
      peak = Math.max(peak, inFlight);
      // A lower-limit session never runs while the total already reaches its limit.
      peakByLimit.set(limit, Math.max(peakByLimit.get(limit) ?? 0, inFlight));
      await new Promise((resolve) => setTimeout(resolve, 1 + Math.random() * 3));
      inFlight--;
      release();
    }),
  );
  return { peak, peakByLimit };
}

describe('per-key request slots', () => {
  it('never lets more than 10 requests of one key run at once', async () => {
    const { peak } = await peakInFlight(new KeySlots(), Array.from({ length: 200 }, () => ({ limit: 50 })));
    expect(peak).toBe(MAX_IN_FLIGHT_PER_KEY);
  });

  it('honours a lower limit while other sessions of the key use the full 10', async () => {
    const jobs = Array.from({ length: 150 }, (_, i) => ({ limit: i % 3 === 0 ? 3 : 10 }));
    const { peak, peakByLimit } = await peakInFlight(new KeySlots(), jobs);
    expect(peak).toBeLessThanOrEqual(MAX_IN_FLIGHT_PER_KEY);
    expect(peakByLimit.get(3)).toBeLessThanOrEqual(3);
  });

  it('releases a slot once even when release is called twice', async () => {
    const slots = new KeySlots();
    const first = await slots.acquire(1);
    const second = slots.acquire(1);
    first();
    first();
    const release = await second;
    let third = false;
    void slots.acquire(1).then(() => (third = true));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(third).toBe(false);
    release();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(third).toBe(true);
  });

  it('shares slots per key across the process and separates different keys', () => {
    expect(slotsForKey('key-a-us1')).toBe(slotsForKey('key-a-us1'));
    expect(slotsForKey('key-a-us1')).not.toBe(slotsForKey('key-b-us1'));
  });
});
