import { access, constants } from 'node:fs/promises';
import { loadProfiles, loadProfilesFromNdjson, type ProfileLoadResult } from '@cdp/store-mongodb';
import { readCatalogFile, uniqueIdentifiers } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { cannotRead } from '../read-json.js';
import { csvProfileRecords, formatOf, type ProfileFileFormat } from '../profile-files.js';
import { openStores } from '../stores.js';
import { formatCount } from '../table.js';

interface LoadFlags {
  format?: ProfileFileFormat;
  json?: boolean;
}

/** On a terminal the progress line is redrawn at every batch; in a log, a line at most this often. */
const LOG_INTERVAL_MS = 2000;

/** `cdp profiles load <file>`: profiles from NDJSON or CSV into the profile store (DATABASE_URL or MONGODB_URI). */
export const loadProfilesCommand: Handler<LoadFlags, [string]> = async ({ ctx, globals, options }, file) => {
  const format = options.format ?? formatOf(file);
  if (!format) throw new CliError(`${file}: say --format ndjson or --format csv (the extension does not tell)`, ExitCode.badInput);
  // Checked first: a missing file must not cost a database connection, nor end as an error mid-stream.
  await access(file, constants.R_OK).catch((error: unknown) => {
    throw cannotRead(file, 'profile file', error);
  });
  const { data } = await readCatalogFile(globals.catalog);
  const stores = await openStores(ctx.env, uniqueIdentifiers(data));
  const progress = ctx.output.quiet ? undefined : progressLine(ctx.output, file);
  let result: ProfileLoadResult;
  try {
    const store = stores.profiles;
    result = format === 'csv' ? await loadProfiles(store, csvProfileRecords(file), { onProgress: progress }) : await loadProfilesFromNdjson(store, file, { onProgress: progress });
  } finally {
    await stores.close();
  }
  if (progress && ctx.output.interactive) ctx.output.message('');
  if (options.json) ctx.output.json({ file, loaded: result.loaded, refused: result.refused });
  else ctx.output.line(`${file}: ${formatCount(result.loaded)} profiles loaded, ${formatCount(result.refused.length)} lines refused`);
  if (!options.json) for (const { line, reason } of result.refused) ctx.output.line(`  line ${line}: ${reason}`);
  return result.refused.length > 0 ? ExitCode.recordsFailed : ExitCode.ok;
};

function progressLine(output: Output, file: string): (progress: { loaded: number; refused: number }) => void {
  let shownAt = Date.now();
  return ({ loaded, refused }) => {
    const text = `${file}: ${formatCount(loaded)} profiles loaded, ${formatCount(refused)} lines refused so far`;
    if (output.interactive) return output.status(text);
    if (Date.now() - shownAt < LOG_INTERVAL_MS) return;
    shownAt = Date.now();
    output.message(`${new Date(shownAt).toISOString()} ${text}`);
  };
}
