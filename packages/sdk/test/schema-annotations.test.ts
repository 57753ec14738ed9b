import { describe, expect, it } from '@jest/globals';
import { readSchemas, SchemaRegistry } from '@cdp/sdk';
import { REPO_ROOT } from './config-helpers.js';

/** The published schemas, as the repository holds them (the packages get copies at build). */
const schemas = readSchemas(`${REPO_ROOT}schemas/`);

/**
 * Subschemas that only constrain properties declared elsewhere (a `then` narrows `auth`, a `dependentSchemas`
 * narrows `from`), and keywords whose values are data rather than schemas.
 */
const NOT_DECLARATIONS = new Set(['if', 'then', 'else', 'not', 'dependentSchemas', 'examples', 'default', 'const', 'enum']);

interface DeclaredProperty {
  /** `$id#pointer` of the property's schema. */
  location: string;
  schema: { description?: unknown; examples?: unknown };
}

/** Every property every schema declares, at any depth: in `properties`, in branches, in `$defs`, in items. */
function declaredProperties(node: unknown, location: string, found: DeclaredProperty[] = []): DeclaredProperty[] {
  if (node === null || typeof node !== 'object') return found;
  for (const [key, child] of Object.entries(node)) {
    if (NOT_DECLARATIONS.has(key)) continue;
    if (key === 'properties' && !Array.isArray(node)) {
      for (const [name, schema] of Object.entries(child as Record<string, DeclaredProperty['schema']>)) {
        const at = `${location}/properties/${name}`;
        found.push({ location: at, schema });
        declaredProperties(schema, at, found);
      }
    } else {
      declaredProperties(child, `${location}/${key}`, found);
    }
  }
  return found;
}

const properties = schemas.flatMap((schema) => declaredProperties(schema, `${schema.$id}#`));

describe('the published schemas, as an editor shows them', () => {
  it('declare properties in every schema file', () => {
    const files = new Set(properties.map((property) => property.location.split('#')[0]));
    expect([...files].sort()).toEqual(schemas.map((schema) => schema.$id).sort());
  });

  it('give every property a description and at least one example', () => {
    const lacking = properties.flatMap(({ location, schema }) => {
      const missing = [
        ...(typeof schema.description === 'string' && schema.description.trim() !== '' ? [] : ['a description']),
        ...(Array.isArray(schema.examples) && schema.examples.length > 0 ? [] : ['an example']),
      ];
      return missing.length > 0 ? [`${location} has no ${missing.join(' and no ')}`] : [];
    });
    expect(lacking).toEqual([]);
  });

  it('give examples that the property itself accepts', () => {
    const registry = new SchemaRegistry(schemas);
    const refused = properties.flatMap(({ location, schema }, index) =>
      ((schema.examples as unknown[] | undefined) ?? []).flatMap((example) => {
        // Through a reference: ajv does not compile a subschema with a default as a root of its own.
        const { errors } = registry.validate(registry.add({ $id: `urn:property-examples:${index}`, $ref: location }), example);
        return errors.length > 0 ? [`${location}: ${JSON.stringify(example)} ${errors[0].instancePath} ${errors[0].message}`] : [];
      }),
    );
    expect(refused).toEqual([]);
  });
});
