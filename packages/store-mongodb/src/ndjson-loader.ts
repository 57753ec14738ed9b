import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { systemClock, type Clock, type Profile, type ProfileStore } from '@cdp/sdk';
import { parseProfileLine, ProfileLineError, type ProfileLine } from './ndjson-profile.js';

export interface NdjsonLoadResult {
  loaded: number;
  /** Lines that are not profiles, with their 1-based line number; every other line is loaded. */
  refused: { line: number; reason: string }[];
}

export interface NdjsonLoadOptions {
  batchSize?: number;
  /**
   * When a loaded profile counts as changed, for delta runs. `load` (default): the time of the load, so every
   * loaded profile is seen by the next run. `file`: a line's own `updatedAt` when it is newer than the stored
   * profile's (otherwise the load time), for files that carry trustworthy change times.
   */
  changeTimes?: 'load' | 'file';
  clock?: Clock;
}

const DEFAULT_BATCH_SIZE = 500;
/** Longest line read as a profile; a longer one is refused with its number (MongoDB stores at most 16 MB). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Streams profiles from NDJSON (a stream or a file path) into the store, one batch at a time. Blank lines
 * are skipped; a later line with the same id replaces the earlier profile.
 */
export async function loadProfilesFromNdjson(store: ProfileStore, input: Readable | string, options: NdjsonLoadOptions = {}): Promise<NdjsonLoadResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const stream = typeof input === 'string' ? createReadStream(input, { encoding: 'utf8' }) : input;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  const clock = options.clock ?? systemClock;

  const result: NdjsonLoadResult = { loaded: 0, refused: [] };
  let batch: ProfileLine[] = [];
  const flush = async (): Promise<void> => {
    await store.upsertProfiles(await stamped(store, batch, options.changeTimes ?? 'load', clock.now()));
    result.loaded += batch.length;
    batch = [];
  };
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    try {
      if (Buffer.byteLength(line, 'utf8') > MAX_LINE_BYTES) throw new ProfileLineError(`the line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB`);
      batch.push(parseProfileLine(line));
    } catch (error) {
      if (!(error instanceof ProfileLineError)) throw error;
      result.refused.push({ line: lineNumber, reason: error.message });
    }
    if (batch.length === batchSize) await flush();
  }
  if (batch.length > 0) await flush();
  return result;
}

/** The batch's profiles with their change time: the load's, or a line's own when the options trust it. */
async function stamped(store: ProfileStore, lines: ProfileLine[], changeTimes: 'load' | 'file', now: Date): Promise<Profile[]> {
  if (changeTimes === 'load') return lines.map(({ profile }) => ({ ...profile, updatedAt: now }));
  const stored = new Map((await store.findById(lines.map(({ profile }) => profile.id))).map((profile) => [profile.id, profile.updatedAt]));
  return lines.map(({ profile, updatedAt }) => {
    const previous = stored.get(profile.id);
    const fileIsNewer = updatedAt !== undefined && (previous === undefined || updatedAt > previous);
    return { ...profile, updatedAt: fileIsNewer ? updatedAt : now };
  });
}
