import type { AnySchemaObject, ErrorObject } from 'ajv/dist/2020.js';
import type { ConfigProblem } from '../errors.js';
import { isSensitive, pointerTo, preview, shown } from './pointers.js';
import { HINT_KEYWORD, type SchemaRegistry } from './schemas.js';
import { didYouMean } from './suggest.js';

/** Keywords that say the value has the wrong shape altogether, rather than a wrong detail inside it. */
const SHAPE_KEYWORDS = new Set(['type', 'const', 'enum']);

const COMPARISONS: Record<string, string> = { '>=': 'at least', '<=': 'at most', '>': 'more than', '<': 'less than' };

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};

/**
 * Turns ajv's errors into one plain-words problem per real mistake. A failed `oneOf` is re-checked branch by
 * branch and reported as the closest branch's problems (or as one "must be X or Y" when no branch fits), so
 * the alternatives' noise never reaches the reader.
 */
export function schemaProblems(errors: readonly ErrorObject[], registry: SchemaRegistry, prefix = ''): ConfigProblem[] {
  const explained = new Map<ErrorObject, ConfigProblem[]>();
  const fromBranches = new Set<string>();
  for (const error of errors) {
    if (error.keyword !== 'oneOf') continue;
    const { problems, branchErrors } = explainOneOf(error, registry);
    explained.set(error, problems);
    for (const branchError of branchErrors) fromBranches.add(errorKey(branchError));
  }
  const problems = errors.flatMap((error) => {
    if (fromBranches.has(errorKey(error))) return [];
    return explained.get(error) ?? describeError(error, registry);
  });
  return unique(problems.map((problem) => ({ pointer: prefix + problem.pointer, message: problem.message })));
}

function explainOneOf(error: ErrorObject, registry: SchemaRegistry): { problems: ConfigProblem[]; branchErrors: ErrorObject[] } {
  const pointer = error.instancePath;
  const location = error.parentSchema && registry.locate(error.parentSchema);
  if (Array.isArray(error.params.passingSchemas)) {
    return { problems: [{ pointer, message: 'fits more than one of the allowed forms; remove the properties of the other form' }], branchErrors: [] };
  }
  if (!location || !Array.isArray(error.schema)) {
    return { problems: [{ pointer, message: `does not have any of the allowed forms${shown(error.data, pointer)}` }], branchErrors: [] };
  }
  const branches = error.schema.map((_, index) =>
    registry
      .validate(`${location}/oneOf/${index}`, error.data)
      .errors.map((branchError) => ({ ...branchError, instancePath: pointer + branchError.instancePath })),
  );
  const misfits = branches.map((branch) => branch.find((e) => e.instancePath === pointer && SHAPE_KEYWORDS.has(e.keyword)));
  const branchErrors = branches.flat();
  if (misfits.every((misfit) => misfit !== undefined)) {
    const expected = hintOf(error.parentSchema) ?? joinAlternatives(misfits.map((misfit) => expectedShape(misfit)));
    return { problems: [{ pointer, message: `must be ${expected}${shown(error.data, pointer)}` }], branchErrors };
  }
  const closest = branches.filter((_, index) => misfits[index] === undefined).sort((a, b) => a.length - b.length)[0];
  return { problems: schemaProblems(closest, registry), branchErrors };
}

function describeError(error: ErrorObject, registry: SchemaRegistry): ConfigProblem[] {
  const { keyword, params, data, instancePath: pointer } = error;
  const at = (message: string, where = pointer): ConfigProblem[] => [{ pointer: where, message }];
  const got = shown(data, pointer);
  const hint = hintOf(error.parentSchema);
  switch (keyword) {
    case 'required':
      return at(`missing required property "${params.missingProperty}"`);
    case 'additionalProperties': {
      const allowed = Object.keys((error.parentSchema?.properties as object | undefined) ?? {});
      const name = String(params.additionalProperty);
      return at(`unknown property "${name}"${didYouMean(name, allowed)} (allowed: ${allowed.join(', ')})`);
    }
    case 'type':
      return at(`must be ${hint ?? typeName(params.type)}${got}`);
    case 'enum':
    case 'const':
      return at(`must be ${expectedShape(error)}${got}`);
    case 'pattern':
      return at(`must be ${hint ?? 'in the expected format'}${got}`);
    case 'format':
      return at(`must be ${hint ?? `a valid ${params.format}`}${got}`);
    case 'minLength':
      return at(params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters long${got}`);
    case 'maxLength':
      return at(`is too long: ${[...String(data)].length} characters, at most ${params.limit}`);
    case 'minItems':
      return at(`must list at least ${params.limit} item${params.limit === 1 ? '' : 's'}`);
    case 'maxItems':
      return at(`has too many items: ${(data as unknown[]).length}, at most ${params.limit}`);
    case 'uniqueItems': {
      const [first, second] = [params.i, params.j].sort((a: number, b: number) => a - b);
      const value = (data as unknown[])[first];
      const what = typeof value === 'object' || isSensitive(pointer) ? 'the same entry' : preview(value);
      return at(`lists ${what} twice (items ${first} and ${second})`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(`must be ${COMPARISONS[params.comparison] ?? params.comparison} ${params.limit}${got}`);
    case 'discriminator':
      return describeDiscriminator(error, registry);
    case 'if':
      // Only says that the `then` failed, whose own errors are the problems.
      return [];
    default:
      return at(error.message ?? 'is not valid');
  }
}

/** A union told apart by a tag property (`kind`, `source`, `type`): the tag is missing or names no member. */
function describeDiscriminator(error: ErrorObject, registry: SchemaRegistry): ConfigProblem[] {
  const tag = String(error.params.tag);
  const value = (error.data as Record<string, unknown>)[tag];
  if (value === undefined) return [{ pointer: error.instancePath, message: `missing required property "${tag}"` }];
  const tagPointer = pointerTo(error.instancePath, tag);
  const allowed = tagValues(error, registry);
  return [{ pointer: tagPointer, message: `must be one of ${allowed.join(', ')}${shown(value, tagPointer)}` }];
}

function tagValues(error: ErrorObject, registry: SchemaRegistry): string[] {
  const tag = String(error.params.tag);
  const base = error.parentSchema && registry.locate(error.parentSchema);
  const branches = (error.parentSchema?.oneOf ?? []) as AnySchemaObject[];
  return branches.flatMap((branch) => {
    const schema = branch.$ref && base ? (registry.validator(new URL(branch.$ref, base).href).schema as AnySchemaObject) : branch;
    const property = schema.properties?.[tag] as AnySchemaObject | undefined;
    if (property?.const !== undefined) return [String(property.const)];
    return ((property?.enum ?? []) as unknown[]).map(String);
  });
}

function expectedShape(error: ErrorObject): string {
  if (error.keyword === 'const') return JSON.stringify(error.params.allowedValue);
  if (error.keyword === 'enum') return `one of ${(error.params.allowedValues as unknown[]).map(String).join(', ')}`;
  return typeName(error.params.type);
}

function typeName(type: unknown): string {
  const names = String(type)
    .split(',')
    .map((name) => TYPE_NAMES[name] ?? name);
  return joinAlternatives(names);
}

function joinAlternatives(alternatives: string[]): string {
  return [...new Set(alternatives)].join(' or ');
}

function hintOf(schema: AnySchemaObject | undefined): string | undefined {
  const hint = schema?.[HINT_KEYWORD];
  return typeof hint === 'string' ? hint : undefined;
}

function errorKey(error: ErrorObject): string {
  return `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`;
}

function unique(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((problem) => {
    const key = `${problem.pointer}\n${problem.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
