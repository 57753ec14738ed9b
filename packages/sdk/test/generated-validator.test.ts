import { readdirSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
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
