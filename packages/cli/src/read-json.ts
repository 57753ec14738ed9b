import { readFile } from 'node:fs/promises';
import { parseConnectionJson } from '@cdp/sdk';
import { CliError, ExitCode } from './exit-codes.js';

/** Reads and parses a JSON file; a missing file or invalid JSON is bad input with a message naming the file. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  return parseJsonText(await readTextFile(path, what), path);
}

/** Parses the text of the JSON file at `path`; invalid JSON is bad input naming the file. */
export function parseJsonText(text: string, path: string): unknown {
  const parsed = parseConnectionJson(text, path);
  if (!parsed.ok) throw new CliError(parsed.problems.map((problem) => problem.message).join('\n'), ExitCode.badInput);
  return parsed.value;
}

export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw cannotRead(path, what, error);
  }
}

/** A file that cannot be read is bad input, named with the reason in plain words. */
export function cannotRead(path: string, what: string, error: unknown): CliError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? 'unreadable');
  return new CliError(`Cannot read the ${what} ${path}: ${reason}`, ExitCode.badInput);
}
