import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { systemClock, type Clock, type Profile, type ProfileStore } from '@cdp/sdk';
import { parseProfileLine, ProfileLineError, type ProfileLine } from './ndjson-profile.js';

export interface ProfileLoadResult {
  loaded: number;
  /** Lines that are not profiles, with their 1-based line number; every other line is loaded. */
  refused: { line: number; reason: string }[];
}

export interface ProfileLoadOptions {
  batchSize?: number;
  /**
   * When a loaded profile counts as changed, for delta runs. `load` (default): the time of the load, so every
   * loaded profile is seen by the next run. `file`: a line's own `updatedAt` when it is newer than the stored
   * profile's (otherwise the load time), for files that carry trustworthy change times.
   */
  changeTimes?: 'load' | 'file';
  clock?: Clock;
  /** Called after each batch is stored, with the totals so far. */
  onProgress?: (progress: { loaded: number; refused: number }) => void;
}

/**
 * One record of a profile file: its line number, and how to read it as a profile (throwing `ProfileLineError`
 * when it is not one, which refuses that line alone).
 */
export interface ProfileFileRecord {
  line: number;
  read(): ProfileLine;
}

const DEFAULT_BATCH_SIZE = 500;
/** Longest line read as a profile; a longer one is refused with its number (MongoDB stores at most 16 MB). */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/**
 * Streams profiles from NDJSON (a stream or a file path) into the store, one batch at a time. Blank lines
 * are skipped; a later line with the same id replaces the earlier profile.
 */
export function loadProfilesFromNdjson(store: ProfileStore, input: Readable | string, options: ProfileLoadOptions = {}): Promise<ProfileLoadResult> {
  const stream = typeof input === 'string' ? createReadStream(input, { encoding: 'utf8' }) : input;
  return loadProfiles(store, ndjsonRecords(stream), options);
}

async function* ndjsonRecords(stream: Readable): AsyncGenerator<ProfileFileRecord> {
  let line = 0;
  for await (const text of createInterface({ input: stream, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    yield {
      line,
      read: () => {
        if (Buffer.byteLength(text, 'utf8') > MAX_LINE_BYTES) throw new ProfileLineError(`the line is longer than ${MAX_LINE_BYTES / 1024 / 1024} MB`);
        return parseProfileLine(text);
      },
    };
  }
}

/** Stores the profiles of a file's records, one batch at a time, refusing each record that is not a profile. */
export async function loadProfiles(store: ProfileStore, records: AsyncIterable<ProfileFileRecord>, options: ProfileLoadOptions = {}): Promise<ProfileLoadResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const clock = options.clock ?? systemClock;

  const result: ProfileLoadResult = { loaded: 0, refused: [] };
  let batch: ProfileLine[] = [];
  const flush = async (): Promise<void> => {
    await store.upsertProfiles(await stamped(store, batch, options.changeTimes ?? 'load', clock.now()));
    result.loaded += batch.length;
    batch = [];
    options.onProgress?.({ loaded: result.loaded, refused: result.refused.length });
  };
  for await (const record of records) {
    try {
      batch.push(record.read());
    } catch (error) {
      if (!(error instanceof ProfileLineError)) throw error;
      result.refused.push({ line: record.line, reason: error.message });
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
