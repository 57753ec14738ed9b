/**
 * JSON that keeps dates: JSONB has no date type, so a `Date` is stored as `{"$date": "<ISO>"}` and read back as a
 * `Date` (run reports and checkpoints hold dates; callers compare them as dates).
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, converted: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : converted;
  });
}

/** The value `toJson` wrote, as the driver parsed it, with its dates revived. */
export function fromJson<T>(value: unknown): T {
  return revive(value) as T;
}

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0][0] === '$date' && typeof entries[0][1] === 'string') return new Date(entries[0][1]);
  return Object.fromEntries(entries.map(([key, inner]) => [key, revive(inner)]));
}
