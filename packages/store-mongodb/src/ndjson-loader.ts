import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Profile, ProfileStore } from '@cdp/sdk';
import { parseProfileLine, ProfileLineError } from './ndjson-profile.js';

export interface NdjsonLoadResult {
  loaded: number;
  /** Lines that are not profiles, with their 1-based line number; every other line is loaded. */
  refused: { line: number; reason: string }[];
}

const DEFAULT_BATCH_SIZE = 500;

/**
 * Streams profiles from NDJSON (a stream or a file path) into the store, one batch at a time. Blank lines
 * are skipped; a later line with the same id replaces the earlier profile.
 */
export async function loadProfilesFromNdjson(
  store: ProfileStore,
  input: Readable | string,
  options: { batchSize?: number } = {},
): Promise<NdjsonLoadResult> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  const stream = typeof input === 'string' ? createReadStream(input, { encoding: 'utf8' }) : input;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });

  const result: NdjsonLoadResult = { loaded: 0, refused: [] };
  let batch: Profile[] = [];
  const flush = async (): Promise<void> => {
    await store.upsertProfiles(batch);
    result.loaded += batch.length;
    batch = [];
  };
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    try {
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
