import { validateConnection, type ConfigProblem } from '@cdp/sdk';
import { readCatalogFile, type LoadedCatalog } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { CONNECTION_SUFFIX, expand } from '../connection-files.js';
import { CONNECTORS } from '../connectors.js';
import { CliError, ExitCode } from '../exit-codes.js';
import type { Output } from '../output.js';
import { readJsonFile } from '../read-json.js';

interface ValidateFlags {
  json?: boolean;
}

/** What `cdp validate` found in one file (or folder); the JSON output is a list of these. */
export interface FileVerdict {
  path: string;
  valid: boolean;
  connectionId?: string;
  goals?: number;
  problems: ConfigProblem[];
}

/**
 * `cdp validate <path…>`: every file (and every `*.connection.json` of a folder) checked against the schemas,
 * the connector and the catalog; every problem of every file is listed, a broken file does not hide the next.
 * Reads nothing but these files and the catalog.
 */
export const validate: Handler<ValidateFlags, [string[]]> = async ({ ctx, globals, options }, paths) => {
  const catalog = await readCatalog(globals.catalog);
  const verdicts: FileVerdict[] = [];
  if (!('catalog' in catalog)) verdicts.push({ path: globals.catalog, valid: false, problems: catalog.problems });
  for (const path of paths) {
    let files: string[];
    try {
      files = await expand(path);
    } catch (error) {
      verdicts.push({ path, valid: false, problems: problemsOf(error) });
      continue;
    }
    if (files.length === 0) verdicts.push({ path, valid: false, problems: [{ pointer: '', message: `the folder holds no *${CONNECTION_SUFFIX} file` }] });
    for (const file of files) verdicts.push('catalog' in catalog ? await verdictOf(file, catalog) : { path: file, valid: false, problems: [{ pointer: '', message: 'not checked: the catalog is invalid' }] });
  }
  if (options.json) ctx.output.json(verdicts);
  else print(ctx.output, verdicts);
  return verdicts.every((verdict) => verdict.valid) ? ExitCode.ok : ExitCode.badInput;
};

async function readCatalog(path: string): Promise<LoadedCatalog | { problems: ConfigProblem[] }> {
  try {
    return await readCatalogFile(path);
  } catch (error) {
    return { problems: problemsOf(error) };
  }
}

async function verdictOf(path: string, { catalog }: LoadedCatalog): Promise<FileVerdict> {
  let raw: unknown;
  try {
    raw = await readJsonFile(path, 'connection file');
  } catch (error) {
    return { path, valid: false, problems: problemsOf(error) };
  }
  const result = await validateConnection(raw, { catalog, connectors: CONNECTORS });
  if (!result.ok) return { path, valid: false, problems: result.problems };
  return { path, valid: true, connectionId: result.connection.id, goals: result.connection.goals.length, problems: [] };
}

/** A file that cannot be read or parsed is one problem of that file; anything else is a real failure. */
function problemsOf(error: unknown): ConfigProblem[] {
  if (!(error instanceof CliError)) throw error;
  return error.message.split('\n').map((message) => ({ pointer: '', message: message.trim() }));
}

function print(output: Output, verdicts: FileVerdict[]): void {
  for (const verdict of verdicts) {
    if (verdict.valid) {
      output.line(`${verdict.path}: valid (connection "${verdict.connectionId}", ${verdict.goals} goals)`);
      continue;
    }
    const count = verdict.problems.length;
    output.line(`${verdict.path}: ${count} problem${count === 1 ? '' : 's'}`);
    for (const problem of verdict.problems) output.line(`  ${problem.pointer || '/'}: ${problem.message}`);
  }
  const invalid = verdicts.filter((verdict) => !verdict.valid).length;
  if (verdicts.length > 1) output.line(invalid === 0 ? `All ${verdicts.length} valid.` : `${invalid} of ${verdicts.length} invalid.`);
}
