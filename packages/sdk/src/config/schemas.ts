import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { validateConnection as precompiledConnection } from './generated-validator.js';

/**
 * The package's copy of the repository's schemas/ (made by the build), so an installed package finds it: this
 * module sits two levels below the package in src/config and dist/config alike.
 */
export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

export const CONNECTION_SCHEMA_ID = 'https://cdp-connect.dev/schemas/connection.schema.json';

/** Schema annotation with the expected form in plain words, used in error messages. */
export const HINT_KEYWORD = 'x-hint';

/** A validator generated from a schema ahead of time: whether a value is valid, applying the schema's defaults. */
export type PrecompiledValidator = (value: unknown) => boolean;

export interface SchemaValidation {
  /** A copy of the input with schema defaults applied; the input itself is never changed. */
  value: unknown;
  errors: ErrorObject[];
}

/** Reads every `*.schema.json` of a folder. */
export function readSchemas(dir: string = SCHEMAS_DIR): AnySchemaObject[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.schema.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(`${dir}${name}`, 'utf8')) as AnySchemaObject);
}

/**
 * One ajv instance holding the core schemas and the connectors' auth schemas, so `$ref`s between them resolve.
 * Validators are compiled once per `$id` and cached by ajv.
 */
export class SchemaRegistry {
  private readonly ajv: Ajv2020;
  private readonly byId = new Map<string, string>();
  /** Where each (sub)schema object sits, as an absolute `$id#pointer`, to re-check the branches of a `oneOf`. */
  private readonly locations = new WeakMap<object, string>();

  /**
   * `precompiled`: validators generated from some of these schemas (by `$id`), which answer a valid value without
   * compiling the schemas; a value they refuse is validated again here, for every problem.
   */
  constructor(
    schemas: readonly AnySchemaObject[],
    private readonly precompiled: Readonly<Record<string, PrecompiledValidator>> = {},
  ) {
    // Without ajv's optimising pass, compiling a schema (once per process, at the first validation that needs it: a
    // refused connection, an auth or notification check) takes about half the CPU; validating is no slower for it.
    this.ajv = new Ajv2020({ allErrors: true, strict: true, discriminator: true, useDefaults: true, verbose: true, code: { optimize: false } });
    addFormats.default(this.ajv);
    this.ajv.addKeyword({ keyword: HINT_KEYWORD, schemaType: 'string' });
    for (const schema of schemas) this.add(schema);
  }

  /** Adds a schema once; adding the same `$id` again with the same content is a no-op. Returns its `$id`. */
  add(schema: AnySchemaObject): string {
    const id = schema.$id;
    if (typeof id !== 'string' || id === '') throw new Error('A schema needs an absolute $id to be registered');
    const text = JSON.stringify(schema);
    const known = this.byId.get(id);
    if (known === text) return id;
    if (known !== undefined) throw new Error(`Two different schemas share the $id ${id}`);
    this.ajv.addSchema(schema);
    this.byId.set(id, text);
    this.index(schema, `${id}#`);
    return id;
  }

  /** The compiled validator of a schema, by `$id` (optionally with a `#/json/pointer` into it). */
  validator(ref: string): ValidateFunction {
    const validate = this.ajv.getSchema(ref);
    if (!validate) throw new Error(`No schema registered for ${ref}`);
    return validate;
  }

  /** Validates a copy of `value`, so defaults land on the copy. */
  validate(ref: string, value: unknown): SchemaValidation {
    const precompiled = Object.hasOwn(this.precompiled, ref) ? this.precompiled[ref] : undefined;
    if (precompiled) {
      const checked = structuredClone(value);
      if (precompiled(checked)) return { value: checked, errors: [] };
    }
    const copy = structuredClone(value);
    const validate = this.validator(ref);
    const valid = validate(copy);
    return { value: copy, errors: valid ? [] : [...(validate.errors ?? [])] };
  }

  /** The absolute location (`$id#pointer`) of a schema object that was registered here. */
  locate(schema: object): string | undefined {
    return this.locations.get(schema);
  }

  private index(node: unknown, location: string): void {
    if (node === null || typeof node !== 'object') return;
    this.locations.set(node, location);
    for (const [key, child] of Object.entries(node)) {
      this.index(child, `${location}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`);
    }
  }
}

let shared: SchemaRegistry | undefined;

/**
 * The process-wide registry of the core schemas, loaded on first use. A valid connection is answered by the validator
 * generated from them (scripts/generate-config-validator.mjs): compiling the schemas takes some 150 ms of CPU, paid
 * only when a config is refused.
 */
export function schemaRegistry(): SchemaRegistry {
  shared ??= new SchemaRegistry(readSchemas(), { [CONNECTION_SCHEMA_ID]: precompiledConnection });
  return shared;
}
