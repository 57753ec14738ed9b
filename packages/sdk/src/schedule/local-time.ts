import type { IANAZone } from 'luxon';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The instant at which a wall-clock time happens in a zone. `wall` is the local date and time written as if it
 * were UTC (`Date.UTC(year, month - 1, day, hour, minute)`).
 *
 * - A time that occurs twice (DST ends, clocks go back) resolves to its first occurrence.
 * - A time that does not exist (DST starts, clocks skip ahead) resolves to the first instant after the gap,
 *   i.e. the moment of the transition: 02:30 on a day Amsterdam skips 02:00–03:00 runs at 03:00.
 */
export function wallTimeToInstant(wall: number, zone: IANAZone): number {
  // A day either side of the wall time covers the offsets in force before and after any nearby transition.
  const offsets = [...new Set([wall - DAY_MS, wall, wall + DAY_MS].map((t) => zone.offset(t)))];
  const occurrences = offsets.map((offset) => wall - offset * MINUTE_MS).filter((t) => wallTimeAt(t, zone) === wall);
  if (occurrences.length > 0) return Math.min(...occurrences);
  return endOfGap(wall, zone, Math.min(...offsets), Math.max(...offsets));
}

function wallTimeAt(instant: number, zone: IANAZone): number {
  return instant + zone.offset(instant) * MINUTE_MS;
}

/**
 * The transition instant of the gap that swallows `wall`. Before it the wall clock reads less than `wall`,
 * from it on at least `wall`; it lies between `wall` read with the offset after the gap and with the one before.
 */
function endOfGap(wall: number, zone: IANAZone, offsetBefore: number, offsetAfter: number): number {
  let low = wall - offsetAfter * MINUTE_MS; // wall clock still before `wall`
  let high = wall - offsetBefore * MINUTE_MS; // wall clock already past the gap
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (wallTimeAt(middle, zone) >= wall) high = middle;
    else low = middle;
  }
  return high;
}
