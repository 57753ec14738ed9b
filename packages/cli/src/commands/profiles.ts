import { access, constants } from 'node:fs/promises';
import { loadProfiles, loadProfilesFromNdjson, type ProfileLoadResult } from '@cdp/store-mongodb';
import { Option, type Command } from 'commander';
import { readCatalogFile, uniqueIdentifiers } from '../catalog-file.js';
import { action, type CommandHost } from '../command-kit.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { cannotRead } from '../read-json.js';
import { csvProfileRecords, formatOf, type ProfileFileFormat } from '../profile-files.js';
import { openStores } from '../stores.js';
import { formatCount } from '../table.js';

interface LoadFlags {
  format?: ProfileFileFormat;
}

/** On a terminal the progress line is redrawn at every batch; in a log, a line at most this often. */
const LOG_INTERVAL_MS = 2000;

/** `cdp profiles load <file>`: profiles from NDJSON or CSV into the profile store (DATABASE_URL or MONGODB_URI). */
export function registerProfiles(program: Command, host: CommandHost): void {
  const profiles = program.command('profiles').description('profiles in the profile store (PostgreSQL at DATABASE_URL, or MongoDB at MONGODB_URI)');
  profiles
    .command('load')
    .description('load profiles from NDJSON (one profile per line) or CSV (a header row: id, then property names); a later line with the same id replaces the profile')
    .argument('<file>', 'the file to load')
    .addOption(new Option('--format <format>', 'the file format (default: from the extension)').choices(['ndjson', 'csv']))
    .action(
      action<LoadFlags, [string]>(host, async ({ ctx, globals, options }, file) => {
        const format = options.format ?? formatOf(file);
        if (!format) throw new CliError(`${file}: say --format ndjson or --format csv (the extension does not tell)`, ExitCode.badInput);
        // Checked first: a missing file must not cost a database connection, nor end as an error mid-stream.
        await access(file, constants.R_OK).catch((error: unknown) => {
          throw cannotRead(file, 'profile file', error);
        });
        const { data } = await readCatalogFile(globals.catalog);
        const stores = await openStores(ctx.env, uniqueIdentifiers(data));
        const progress = progressLine(ctx.output, file);
        let result: ProfileLoadResult;
        try {
          const store = stores.profiles;
          result = format === 'csv' ? await loadProfiles(store, csvProfileRecords(file), { onProgress: progress }) : await loadProfilesFromNdjson(store, file, { onProgress: progress });
        } finally {
          await stores.close();
        }
        if (ctx.output.interactive) ctx.output.message('');
        ctx.output.line(`${file}: ${formatCount(result.loaded)} profiles loaded, ${formatCount(result.refused.length)} lines refused`);
        for (const { line, reason } of result.refused) ctx.output.line(`  line ${line}: ${reason}`);
        return result.refused.length > 0 ? ExitCode.recordsFailed : ExitCode.ok;
      }),
    );
}

function progressLine(output: Output, file: string): (progress: { loaded: number; refused: number }) => void {
  let shownAt = 0;
  return ({ loaded, refused }) => {
    const text = `${file}: ${formatCount(loaded)} profiles loaded, ${formatCount(refused)} lines refused so far`;
    if (output.interactive) return output.status(text);
    if (Date.now() - shownAt < LOG_INTERVAL_MS) return;
    shownAt = Date.now();
    output.message(text);
  };
}
