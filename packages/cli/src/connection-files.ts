import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionSource } from '@cdp/runtime';
import type { Connection } from '@cdp/sdk';
import { CliError, ExitCode } from './exit-codes.js';
import { readJsonFile } from './read-json.js';

/** A connection config as read from its file (validated later, at every run). */
export interface ConnectionFile {
  path: string;
  id: string;
  raw: unknown;
}

/** Reads one connection file; it must be JSON with a string `id` so that runs and history can name it. */
export async function readConnectionFile(path: string): Promise<ConnectionFile> {
  const raw = await readJsonFile(path, 'connection file');
  const id = (raw as { id?: unknown } | null)?.id;
  if (typeof id !== 'string' || id === '') {
    throw new CliError(`${path}: a connection needs a string "id"`, ExitCode.badInput);
  }
  return { path, id, raw };
}

/** Connection files from paths that are files or folders (every `*.connection.json` of a folder); ids must be unique. */
export async function readConnectionPaths(paths: string[]): Promise<ConnectionFile[]> {
  const files: ConnectionFile[] = [];
  for (const path of paths) {
    for (const file of await expand(path)) files.push(await readConnectionFile(file));
  }
  const seen = new Map<string, string>();
  for (const file of files) {
    const other = seen.get(file.id);
    if (other) throw new CliError(`Two connection files share the id "${file.id}": ${other} and ${file.path}`, ExitCode.badInput);
    seen.set(file.id, file.path);
  }
  return files;
}

/** The connection with this id among the files, or a clear "unknown connection" error listing the known ones. */
export function findConnection(files: ConnectionFile[], id: string): ConnectionFile {
  const found = files.find((file) => file.id === id);
  if (found) return found;
  const known = files.map((file) => file.id).join(', ') || 'none';
  throw new CliError(`Unknown connection "${id}" (known: ${known}); use --connections to say where the connection files are`, ExitCode.badInput);
}

/** Refuses goal ids (`--goal`) the connection does not have, naming the ones it has. */
export function requireGoals(connection: Connection, ids: readonly string[] = []): void {
  const unknownGoals = ids.filter((id) => !connection.goals.some((goal) => goal.id === id));
  if (unknownGoals.length > 0) {
    const known = connection.goals.map((goal) => goal.id).join(', ');
    throw new CliError(`Connection ${connection.id} has no goal ${unknownGoals.join(', ')} (its goals: ${known})`, ExitCode.badInput);
  }
}

/** Connections read from their files at every request, so edits take effect without a restart (the scheduler). */
export class FileConnectionSource implements ConnectionSource {
  constructor(private readonly paths: string[]) {}

  async get(connectionId: string): Promise<unknown> {
    return (await readConnectionPaths(this.paths)).find((file) => file.id === connectionId)?.raw;
  }

  async list(): Promise<unknown[]> {
    return (await readConnectionPaths(this.paths)).map((file) => file.raw);
  }
}

/** In a folder, connection files are told from other JSON (such as a catalog) by their name. */
export const CONNECTION_SUFFIX = '.connection.json';

export async function expand(path: string): Promise<string[]> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(path)).isDirectory();
  } catch {
    throw new CliError(`Cannot read the connections ${path}: no such file or folder`, ExitCode.badInput);
  }
  if (!isFolder) return [path];
  const names = (await readdir(path)).filter((name) => name.endsWith(CONNECTION_SUFFIX)).sort();
  return names.map((name) => join(path, name));
}
