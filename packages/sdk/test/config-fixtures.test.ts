import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { type ConfigProblem, validateConnection } from '@cdp/sdk';
import { FIXTURES, fixtureCatalog, mailchimp, readJson } from './config-helpers.js';

/** Fixed, so the schedule check gives the same answer every year. */
const now = new Date('2026-03-01T12:00:00Z');

const options = { catalog: fixtureCatalog(), connectors: [mailchimp], now };

function fixtureNames(folder: string): string[] {
  return readdirSync(`${FIXTURES}${folder}`)
    .filter((name) => name.endsWith('.json') && !name.endsWith('.expect.json'))
    .map((name) => name.slice(0, -'.json'.length));
}

describe('valid configs', () => {
  it.each(fixtureNames('valid'))('accepts %s', async (name) => {
    const result = await validateConnection(readJson(`${FIXTURES}valid/${name}.json`), options);
    expect(result).toMatchObject({ ok: true });
  });
});

describe('malformed configs', () => {
  const names = fixtureNames('invalid');

  it('has a broad set of fixtures, each with its expectation', () => {
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const name of names) expect(readdirSync(`${FIXTURES}invalid`)).toContain(`${name}.expect.json`);
  });

  it.each(names)('refuses %s with one precise message per mistake', async (name) => {
    const expected = readJson(`${FIXTURES}invalid/${name}.expect.json`) as ConfigProblem[];
    const result = await validateConnection(readJson(`${FIXTURES}invalid/${name}.json`), options);
    if (result.ok) throw new Error(`${name} was accepted`);
    expect(result.problems).toHaveLength(expected.length);
    for (const [index, problem] of expected.entries()) {
      expect(result.problems[index].pointer).toBe(problem.pointer);
      expect(result.problems[index].message).toContain(problem.message);
    }
  });

  it('never quotes a secret given in place of a secret reference', async () => {
    for (const name of ['api-key-as-plain-string', 'signing-secret-as-plain-string']) {
      const text = readFileSync(`${FIXTURES}invalid/${name}.json`, 'utf8');
      const result = await validateConnection(JSON.parse(text), options);
      const reported = JSON.stringify(result);
      expect(reported).not.toContain('0123456789abcdef0123456789abcdef-us21');
      expect(reported).not.toContain('s3cr3t-signing-value');
      expect(result.ok).toBe(false);
    }
  });
});
