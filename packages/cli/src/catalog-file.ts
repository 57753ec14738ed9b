import { PROPERTY_TYPES, readSchemas, schemaRegistry, StaticCatalog, type CatalogData } from '@cdp/sdk';
import { CliError, ExitCode } from './exit-codes.js';
import { readJsonFile } from './read-json.js';

/**
 * Reads the CDP's catalog (segments, properties, objectives, lifecycles) that connection configs are checked
 * against. Every shape problem is listed, so one edit fixes them all.
 */
export interface LoadedCatalog {
  catalog: StaticCatalog;
  data: CatalogData;
}

export async function readCatalogFile(path: string): Promise<LoadedCatalog> {
  const raw = await readJsonFile(path, 'catalog');
  const problems = catalogProblems(raw);
  if (problems.length > 0) {
    throw new CliError(`The catalog ${path} is invalid:\n${problems.map((p) => `  ${p}`).join('\n')}`, ExitCode.badInput);
  }
  const data = raw as CatalogData;
  return { catalog: new StaticCatalog(data), data };
}

/** The properties flagged as unique identifiers (the store indexes them). */
export function uniqueIdentifiers(data: CatalogData): string[] {
  return (data.properties ?? []).filter((property) => property.uniqueIdentifier).map((property) => property.name);
}

const COMMON_SCHEMA_ID = 'https://cdp-connect.dev/schemas/common.schema.json';

/** The schema's own wording of the property-name rule. */
function propertyNameHint(): string {
  const common = readSchemas().find((schema) => schema.$id === COMMON_SCHEMA_ID);
  return String(common?.$defs?.propertyName?.['x-hint'] ?? 'a valid property name');
}

function catalogProblems(raw: unknown): string[] {
  if (!isObject(raw)) return ['/: must be an object with segments, properties, objectives and lifecycles'];
  const problems: string[] = [];
  const known = ['segments', 'properties', 'objectives', 'lifecycles'];
  for (const key of Object.keys(raw)) if (!known.includes(key) && key !== '$schema') problems.push(`/${key}: unknown key (expected ${known.join(', ')})`);
  for (const key of ['segments', 'objectives']) {
    eachItem(raw, key, problems, (item, pointer) => (typeof item === 'string' ? [] : [`${pointer}: must be a string`]));
  }
  eachItem(raw, 'properties', problems, (item, pointer) => {
    if (
      !isObject(item) ||
      typeof item.name !== 'string' ||
      (item.uniqueIdentifier !== undefined && typeof item.uniqueIdentifier !== 'boolean') ||
      (item.type !== undefined && !(PROPERTY_TYPES as readonly unknown[]).includes(item.type))
    ) {
      return [`${pointer}: must be { "name": string, "uniqueIdentifier"?: boolean, "type"?: ${PROPERTY_TYPES.map((type) => `"${type}"`).join(' | ')} }`];
    }
    // The names connections may use, from the schemas: a catalog must not define names no config can name.
    return schemaRegistry().validate(`${COMMON_SCHEMA_ID}#/$defs/propertyName`, item.name).errors.length > 0
      ? [`${pointer}/name: ${JSON.stringify(item.name)} is not usable: a property name is ${propertyNameHint()}`]
      : [];
  });
  eachItem(raw, 'lifecycles', problems, (item, pointer) =>
    isObject(item) && typeof item.id === 'string' && Array.isArray(item.stages) && item.stages.every((stage) => isObject(stage) && typeof stage.id === 'string')
      ? []
      : [`${pointer}: must be { "id": string, "stages": [{ "id": string, "threshold"?: { "max", "per" } }] }`],
  );
  return problems;
}

function eachItem(
  raw: Record<string, unknown>,
  key: string,
  problems: string[],
  check: (item: unknown, pointer: string) => string[],
): void {
  const value = raw[key];
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push(`/${key}: must be an array`);
    return;
  }
  value.forEach((item, index) => problems.push(...check(item, `/${key}/${index}`)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
