import { readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CONNECTION_SCHEMA_ID, readSchemas, SchemaRegistry } from '@cdp/sdk';
import { validateConnection as generated } from '../src/config/generated-validator.js';
import { FIXTURES, readJson, REPO_ROOT } from './config-helpers.js';

/** Every connection config the repository holds: the fixtures, valid and invalid, and the examples. */
function configs(): [string, unknown][] {
  const inFolder = (dir: string, suffix: string): [string, unknown][] =>
    readdirSync(dir)
      .filter((name) => name.endsWith(suffix) && !name.endsWith('.expect.json'))
      .map((name) => [`${dir}${name}`, readJson(`${dir}${name}`)]);
  return [...inFolder(`${FIXTURES}valid/`, '.json'), ...inFolder(`${FIXTURES}invalid/`, '.json'), ...inFolder(`${REPO_ROOT}examples/`, '.connection.json')];
}

/** Every object and list of a JSON value, the value itself first. */
function containers(value: unknown): object[] {
  if (value === null || typeof value !== 'object') return [];
  return [value, ...Object.values(value).flatMap(containers)];
}

describe('the connection validator generated from the schemas', () => {
  // The schemas compiled here, as a registry without generated validators does.
  const compiled = new SchemaRegistry(readSchemas());

  it('gives every config the verdict and the defaults of the compiled schemas', () => {
    const all = configs();
    expect(all.length).toBeGreaterThan(60);
    let valid = 0;
    for (const [path, raw] of all) {
      const copy = structuredClone(raw);
      const verdict = generated(copy);
      const expected = compiled.validate(CONNECTION_SCHEMA_ID, raw);
      expect({ path, valid: verdict }).toEqual({ path, valid: expected.errors.length === 0 });
      if (verdict) {
        expect(copy).toEqual(expected.value);
        valid++;
      }
    }
    // Both kinds are compared: configs the schema accepts (some refused later by the catalog checks) and refuses.
    expect(valid).toBeGreaterThan(20);
    expect(all.length - valid).toBeGreaterThan(20);
  });

  it('agrees with the compiled schemas on random changes of the fixtures (keys removed, added or replaced)', () => {
    const seeds = configs().map(([, raw]) => raw);
    // A change: at the n-th place of the config (an object or a list), remove an entry, or set one to a new value.
    const key = fc.constantFrom('title', 'description', 'examples', 'default', 'kind', 'id', 'enabled', 'mode', 'source', 'extra');
    const change = fc.record({ at: fc.nat(), remove: fc.boolean(), key, value: fc.jsonValue({ maxDepth: 2 }) });
    const changed = fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(change, { minLength: 1, maxLength: 3 })).map(([index, changes]) => {
      const config = structuredClone(seeds[index]);
      for (const { at, remove, key: name, value } of changes) {
        const places = containers(config);
        const place = places[at % places.length] as Record<string, unknown>;
        const names = Object.keys(place);
        // Mostly an entry the config has, sometimes a new one.
        const target = names.length > 0 && at % 3 !== 0 ? names[at % names.length] : name;
        if (remove) delete place[target];
        else place[target] = value;
      }
      return config;
    });
    let accepted = 0;
    fc.assert(
      fc.property(changed, (config) => {
        const copy = structuredClone(config);
        const verdict = generated(copy);
        const expected = compiled.validate(CONNECTION_SCHEMA_ID, config);
        if (verdict) accepted++;
        expect(verdict).toBe(expected.errors.length === 0);
        if (verdict) expect(copy).toEqual(expected.value);
      }),
      { seed: 20261202, numRuns: 3000 },
    );
    // Changes that keep a config valid are compared too, defaults included.
    expect(accepted).toBeGreaterThan(50);
  });

  it('answers a registry for a valid value; a refused value gets every problem from the compiled schemas', () => {
    let calls = 0;
    const counted = (value: unknown): boolean => {
      calls++;
      return generated(value);
    };
    const registry = new SchemaRegistry(readSchemas(), { [CONNECTION_SCHEMA_ID]: counted });
    const byPath = new Map(configs());
    const valid = byPath.get(`${REPO_ROOT}examples/newsletter.connection.json`);
    const result = registry.validate(CONNECTION_SCHEMA_ID, valid);
    expect(calls).toBe(1);
    expect(result).toEqual({ value: compiled.validate(CONNECTION_SCHEMA_ID, valid).value, errors: [] });
    expect(result.value).not.toEqual(valid);

    const invalid = byPath.get(`${FIXTURES}invalid/batch-size-too-big.json`);
    expect(registry.validate(CONNECTION_SCHEMA_ID, invalid)).toEqual(compiled.validate(CONNECTION_SCHEMA_ID, invalid));
    expect(calls).toBe(2);
    expect(compiled.validate(CONNECTION_SCHEMA_ID, invalid).errors.length).toBeGreaterThan(0);
  });
});
