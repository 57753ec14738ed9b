import { type ConfigProblem, InvalidConfigError } from '../errors.js';
import type { Catalog } from '../ports/catalog.js';
import { type ConnectorInfo, connectorProblems, isObject, namedConnector } from './connector-checks.js';
import type { Connection } from './generated-types.js';
import { scanJson } from './json-syntax.js';
import { pointerTo } from './pointers.js';
import { duplicateProblems, readCatalog, referenceProblems } from './reference-checks.js';
import { schemaProblems } from './schema-problems.js';
import { scheduleProblems } from './schedule-checks.js';
import { CONNECTION_SCHEMA_ID, schemaRegistry } from './schemas.js';

export interface ValidateConnectionOptions {
  /** The host's segments, properties, objectives and lifecycles that the config may name. */
  catalog: Catalog;
  /** The registered connectors; only their declarations are read. */
  connectors: readonly ConnectorInfo[];
  /** "Now" for the schedule check; defaults to the current time. */
  now?: Date;
}

export type ConnectionValidation = { ok: true; connection: Connection } | { ok: false; problems: ConfigProblem[] };

export type JsonParse = { ok: true; value: unknown } | { ok: false; problems: ConfigProblem[] };

/** Schema keywords that bound a config's sizes and numbers. */
const BOUNDS = new Set(['maxItems', 'maxLength', 'maxProperties', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum']);

/** More problems than this are summed up in one last line: past that point, nobody reads them one by one. */
export const MAX_PROBLEMS = 100;

/**
 * Checks a connection config against the schemas, the connector's auth schema and the catalog. On success the
 * connection comes back as a copy with the schema defaults applied. Nothing is started: no store and no
 * connector session is touched, only the catalog is read.
 */
export async function validateConnection(raw: unknown, options: ValidateConnectionOptions): Promise<ConnectionValidation> {
  const deep = tooDeep(raw);
  if (deep !== undefined) return refused([{ pointer: deep, message: `is nested too deeply (more than ${MAX_NESTING} levels)` }]);
  const registry = schemaRegistry();
  const checked = registry.validate(CONNECTION_SCHEMA_ID, raw);
  const problems = schemaProblems(checked.errors, registry);

  const connector = namedConnector(raw, options.connectors);
  if (connector && isObject(raw) && isObject(raw.auth)) {
    // The connection schema itself applies the auth schemas published beside it (mailchimp-auth.schema.json), so
    // for those connectors each problem would come twice.
    const auth = registry.validate(registry.add(connector.authSchema), raw.auth);
    const known = new Set(problems.map(problemKey));
    problems.push(...schemaProblems(auth.errors, registry, '/auth').filter((problem) => !known.has(problemKey(problem))));
    (checked.value as Connection).auth = auth.value as Connection['auth'];
  }

  const connection = checked.value as Connection;
  if (problems.length > 0 && !(isObject(connection) && Array.isArray(connection.goals) && Array.isArray(connection.objectives))) return refused(problems);
  // The schema's bounds also bound the work the other checks do: past one (10,000 goals, a billion runs a day),
  // they could run out of memory.
  if (checked.errors.some((error) => BOUNDS.has(error.keyword))) return refused(problems);
  const catalog = await readCatalog(options.catalog);
  const semantic = [
    () => connectorProblems(connection, options.connectors),
    () => duplicateProblems(connection),
    () => referenceProblems(connection, catalog),
    () => scheduleProblems(connection.schedule, options.now ?? new Date()),
  ].flatMap((check) => beyondSchemaProblems(check, problems));
  problems.push(...semantic);
  return problems.length > 0 ? refused(problems) : { ok: true, connection };
}

/**
 * A semantic check's problems alongside the schema's, so one pass shows them all: on a config the schema refused,
 * a check may meet values of the wrong shape, so it counts only if it completes, and its problems only where the
 * schema found none at, above or below the same place.
 */
function beyondSchemaProblems(check: () => ConfigProblem[], schema: readonly ConfigProblem[]): ConfigProblem[] {
  if (schema.length === 0) return check();
  let found: ConfigProblem[];
  try {
    found = check();
  } catch {
    return [];
  }
  const related = (a: string, b: string): boolean => a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
  return found.filter((problem) => !schema.some((other) => other.pointer !== '' && related(problem.pointer, other.pointer)));
}

/** Like {@link validateConnection}, but throws an InvalidConfigError listing every problem. */
export async function assertValidConnection(raw: unknown, options: ValidateConnectionOptions): Promise<Connection> {
  const result = await validateConnection(raw, options);
  if (!result.ok) throw new InvalidConfigError(result.problems);
  return result.connection;
}

/** Far larger than any real config (a connection of 50 goals of 100 mappings is about 1 MB). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * Parses a config file's text; a syntax error becomes a problem with its line and column, a key repeated in
 * one object a problem at its pointer (JSON.parse would silently keep the last value), and a text over
 * MAX_CONFIG_BYTES is refused before it is parsed.
 */
export function parseConnectionJson(text: string, source = 'the config'): JsonParse {
  if (text.length > MAX_CONFIG_BYTES) {
    return { ok: false, problems: [{ pointer: '', message: `${source} is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MB; no connection is that large` }] };
  }
  const json = text.replace(/^\uFEFF/, '');
  const scan = scanJson(json);
  if (scan.syntax) {
    const { line, column, reason } = scan.syntax;
    return { ok: false, problems: [{ pointer: '', message: `${source} is not valid JSON: line ${line}, column ${column}: ${reason}` }] };
  }
  if (scan.duplicateKeys.length > 0) {
    return { ok: false, problems: scan.duplicateKeys.map((pointer) => ({ pointer, message: `${source} gives this key twice: only one value may be given` })) };
  }
  return { ok: true, value: JSON.parse(json) };
}

/** Far deeper than any real config; checked first, because copying and schema checks recurse once per level. */
const MAX_NESTING = 32;

/** The pointer of the first value nested deeper than MAX_NESTING, if any (the walk itself stops there). */
function tooDeep(value: unknown, pointer = '', depth = 0): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth === MAX_NESTING) return pointer;
  for (const [key, inner] of Object.entries(value)) {
    const found = tooDeep(inner, pointerTo(pointer, key), depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function problemKey(problem: ConfigProblem): string {
  return `${problem.pointer}\n${problem.message}`;
}

function refused(problems: ConfigProblem[]): ConnectionValidation {
  if (problems.length <= MAX_PROBLEMS) return { ok: false, problems };
  const rest = problems.length - MAX_PROBLEMS + 1;
  return { ok: false, problems: [...problems.slice(0, MAX_PROBLEMS - 1), { pointer: '', message: `… and ${rest} more problems` }] };
}
