import { redact } from '@cdp/sdk';
import type { MongoStores } from '@cdp/store-mongodb';
import { envValue } from './env.js';
import { CliError, ExitCode } from './exit-codes.js';

/** How long to look for the server before saying it cannot be reached. */
const SERVER_SELECTION_TIMEOUT_MS = 3000;
const DEFAULT_DATABASE = 'cdp';

/** MONGODB_URI, required by every command that reads or writes profiles, state or history. */
export function requireMongoUri(env: NodeJS.ProcessEnv): string {
  const uri = envValue(env, 'MONGODB_URI');
  if (!uri) {
    throw new CliError(
      'MONGODB_URI is not set: point it at the MongoDB server that holds the profiles and connection state, ' +
        'e.g. MONGODB_URI=mongodb://127.0.0.1:27017/cdp (or try `cdp demo`, which starts its own).',
      ExitCode.badInput,
    );
  }
  return uri;
}

/** Opens the MongoDB stores (loading the driver), failing within seconds with a clear message when the server is not there. */
export async function connectStores(uri: string, uniqueIdentifiers: string[]): Promise<MongoStores> {
  const { openMongoStores } = await import('@cdp/store-mongodb');
  try {
    return await openMongoStores(withSelectionTimeout(uri), { database: databaseName(uri), uniqueIdentifiers });
  } catch (error) {
    throw cannotReach('MongoDB', uri, error);
  }
}

/** The error for a database server that cannot be reached, naming it without any piece of the URL's credentials. */
export function cannotReach(server: string, uri: string, error: unknown): CliError {
  const reason = error instanceof Error ? error.message : String(error);
  return new CliError(`Cannot reach ${server} at ${withoutCredentials(uri)}: ${redact(reason, credentialParts(uri))}`, ExitCode.unreachable);
}

/** Adds the server selection timeout to the URI, unless the URI sets its own. */
export function withSelectionTimeout(uri: string): string {
  if (/[?&]serverSelectionTimeoutMS=/i.test(uri)) return uri;
  const option = `serverSelectionTimeoutMS=${SERVER_SELECTION_TIMEOUT_MS}`;
  if (uri.includes('?')) return `${uri}&${option}`;
  // Options follow a path, even an empty one: mongodb://host:port/?option
  const hasPath = /^mongodb(?:\+srv)?:\/\/[^/]+\//.test(uri);
  return `${uri}${hasPath ? '' : '/'}?${option}`;
}

/** The database named in the URI's path, or `cdp`. */
export function databaseName(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri);
  return match ? decodeURIComponent(match[1]) : DEFAULT_DATABASE;
}

/**
 * The URI without user name and password, safe to show. Everything up to the last `@` goes: a password with an
 * unescaped `@` must not leave a part of itself behind.
 */
export function withoutCredentials(uri: string): string {
  return uri.replace(CREDENTIALS, '$1');
}

const CREDENTIALS = /^([a-z][a-z0-9+.-]*:\/\/)(.*)@/i;

/**
 * Every piece of the URI's user name and password, as given and lowercased: a driver that misreads a password
 * holding `@` may quote a piece of it as a host name, which it lowercases.
 */
function credentialParts(uri: string): string[] {
  const userInfo = CREDENTIALS.exec(uri)?.[2];
  if (!userInfo) return [];
  const parts = [uri, userInfo, ...userInfo.split(/[:@]/)];
  return [...parts, ...parts.map((part) => part.toLowerCase())];
}
