/** Mailchimp timestamps: second precision, written `2015-10-21T15:41:36+00:00`. */

let lastFormatted = { seconds: Number.NaN, text: '' };

export function formatTimestamp(epochSeconds: number): string {
  // A batch writes hundreds of members within one second: the last second's text is kept.
  if (epochSeconds !== lastFormatted.seconds) lastFormatted = { seconds: epochSeconds, text: new Date(epochSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00') };
  return lastFormatted.text;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function nowTimestamp(): string {
  return formatTimestamp(nowSeconds());
}

/** Parses an ISO 8601 timestamp to epoch seconds; undefined when it is not one. */
export function parseTimestamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return undefined;
  const ms = Date.parse(value.trim());
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** A change timestamp that is strictly after the previous one, even within one second. */
export function nextChangeTimestamp(previous: string | undefined): string {
  const before = previous ? parseTimestamp(previous) : undefined;
  const now = nowSeconds();
  return formatTimestamp(before === undefined ? now : Math.max(now, before + 1));
}

/** Parsed stored timestamps, kept: a listing filters and sorts every member by one on every page it serves. */
const parsedSeconds = new Map<string, number>();
const PARSED_KEPT = 100_000;

/** Epoch seconds of a stored timestamp (0 when it is not one), each distinct text parsed once. */
export function storedSeconds(timestamp: string): number {
  let seconds = parsedSeconds.get(timestamp);
  if (seconds === undefined) {
    if (parsedSeconds.size >= PARSED_KEPT) parsedSeconds.clear();
    seconds = parseTimestamp(timestamp) ?? 0;
    parsedSeconds.set(timestamp, seconds);
  }
  return seconds;
}
