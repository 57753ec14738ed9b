import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { ProfileLineError, readProfileRecord, type ProfileFileRecord } from '@cdp/store-mongodb';
import { parse } from 'csv-parse';
import { CliError, ExitCode } from './exit-codes.js';

export type ProfileFileFormat = 'ndjson' | 'csv';

/** The format a file's extension names: `.csv`, or NDJSON (`.ndjson`, `.jsonl`). */
export function formatOf(path: string): ProfileFileFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  return ['.ndjson', '.jsonl'].includes(extension) ? 'ndjson' : undefined;
}

/**
 * The profiles of a CSV file whose header row names the columns: `id`, and properties (one value per cell; an
 * empty cell leaves the property out). A row whose field count differs from the header's is refused.
 */
export async function* csvProfileRecords(path: string): AsyncGenerator<ProfileFileRecord> {
  // `info.lines` is the line a record ends on, so a refusal names its line in the file.
  const rows = createReadStream(path).pipe(parse({ bom: true, trim: true, relax_column_count: true, skip_empty_lines: true, info: true }));
  let header: string[] | undefined;
  for await (const { record, info } of rows as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (!header) {
      header = checkedHeader(path, record);
      continue;
    }
    const columns = header;
    yield {
      line: info.lines,
      read: () => {
        if (record.length !== columns.length) throw new ProfileLineError(`${record.length} fields, but the header has ${columns.length}`);
        const properties: Record<string, string[]> = {};
        columns.forEach((name, index) => {
          if (name !== 'id' && record[index] !== '') properties[name] = [record[index]];
        });
        return readProfileRecord({ id: record[columns.indexOf('id')], properties });
      },
    };
  }
}

function checkedHeader(path: string, names: string[]): string[] {
  if (!names.includes('id')) throw new CliError(`${path}: the header row needs an "id" column (the others are properties), got ${names.join(', ')}`, ExitCode.badInput);
  const repeated = names.filter((name, index) => names.indexOf(name) !== index);
  if (repeated.length > 0) throw new CliError(`${path}: the header row names ${[...new Set(repeated)].join(', ')} more than once`, ExitCode.badInput);
  return names;
}
