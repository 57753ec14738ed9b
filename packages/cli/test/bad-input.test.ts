import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { assertBuilt, childEnv, EXAMPLES, outputs, runCdp } from './support/cli-process.js';

// Bad input is refused before any server is reached, so these need none: MongoDB points at a closed port.
const CATALOG = `${EXAMPLES}catalog.json`;
const CONNECTION = `${EXAMPLES}newsletter.connection.json`;
const API_KEY = '0f1e2d3c4b5a69788796a5b4c3d2e1f0-us1';

let dir: string;
const env = childEnv({ MONGODB_URI: 'mongodb://127.0.0.1:1', MAILCHIMP_API_KEY: API_KEY, MAILCHIMP_BASE_URL: 'http://127.0.0.1:1/3.0' });

const cdp = (args: string[], extra: Record<string, string | undefined> = {}) =>
  runCdp(['--catalog', CATALOG, '--connections', CONNECTION, ...args], childEnv(extra, env));

async function writeJson(name: string, value: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

beforeAll(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'cdp-cli-input-'));
});

describe('bad input: a clear message and a non-zero exit', () => {
  it('lists every schema problem with its JSON pointer and exits 2', async () => {
    const config = JSON.parse(await readFile(CONNECTION, 'utf8'));
    config.goals[0].mappings[0].mode = 'replace';
    config.goals[1].segment = 'newsletter-subscriber';
    delete config.name;
    const result = await cdp(['validate', await writeJson('broken.connection.json', config)]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/problems?/);
    expect(result.stdout).toContain('/goals/0/mappings/0/mode');
    expect(result.stdout).toContain('name');
  });

  it('names the line and column of invalid JSON', async () => {
    const result = await cdp(['validate', await writeJson('bad.json', '{ "id": "x",\n  "name": }')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toMatch(/not valid JSON: line 2, column/);
  });

  it('says which file is missing', async () => {
    const result = await cdp(['validate', join(dir, 'nowhere.json')]);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('no such file');
  });

  it('refuses a missing catalog', async () => {
    const result = await runCdp(['--catalog', join(dir, 'no-catalog.json'), 'validate', CONNECTION], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain('Cannot read the catalog');
  });

  it('refuses a catalog property name no config could use, naming the file and the entry', async () => {
    const catalog = await writeJson('where-catalog.json', JSON.stringify({ segments: ['s'], properties: [{ name: '$where' }, { name: 'a.b' }] }));
    const result = await runCdp(['--catalog', catalog, 'validate', CONNECTION], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(`The catalog ${catalog} is invalid`);
    expect(result.stdout).toMatch(/\/properties\/0\/name: "\$where" is not usable: a property name is a property name of letters/);
    expect(result.stdout).toContain('/properties/1/name: "a.b" is not usable');
  });

  it('refuses a catalog nested thousands of levels deep with its file name, without a stack overflow', async () => {
    const catalog = await writeJson('deep-catalog.json', `{ "segments": ${'['.repeat(3000)}${']'.repeat(3000)} }`);
    const result = await runCdp(['--catalog', catalog, 'validate', CONNECTION], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(catalog);
    expect(result.stdout).not.toMatch(/Maximum call stack|RangeError/);
  });

  it('shows no part of a MONGODB_URI password, even one with an unescaped @', async () => {
    const result = await cdp(['run', CONNECTION], { MONGODB_URI: 'mongodb://admin:s3cr@tP4ss@127.0.0.1:1/cdp' });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/s3cr|tP4ss/i);
  });

  it('refuses an unknown goal before running', async () => {
    const result = await cdp(['run', CONNECTION, '--goal', 'nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has no goal nope');
  });

  it('exits 4 within seconds when MongoDB cannot be reached', async () => {
    const started = Date.now();
    const result = await cdp(['run', CONNECTION], { MONGODB_URI: 'mongodb://127.0.0.1:1' });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Cannot reach MongoDB at mongodb://127.0.0.1:1');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('exits 2 with a hint when MONGODB_URI is not set', async () => {
    const result = await cdp(['run', CONNECTION], { MONGODB_URI: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MONGODB_URI is not set');
  });

  it('exits 2 on an unknown option', async () => {
    const result = await cdp(['run', CONNECTION, '--fast']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--fast'");
  });

  it('exits 2 when no API key is set', async () => {
    const result = await cdp(['audiences'], { MAILCHIMP_API_KEY: undefined });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('MAILCHIMP_API_KEY is not set');
  });

  it('cdp sandbox refuses a bad seed', async () => {
    const result = await cdp(['sandbox', '--seed', await writeJson('seed.json', { lists: [{ id: 'x' }] })]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('/lists/0/name');
  });
});

describe('what a connection file may not decide', () => {
  const AWS_SECRET = 'aws-secret-value-0123456789';
  let requests = 0;
  let collector: string;
  const server = createServer((_request, response) => {
    requests++;
    response.writeHead(200).end('{}');
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    collector = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The example connection, its credentials taken from another variable and sent to a server of its choosing. */
  async function exfiltrating(): Promise<string> {
    const config = JSON.parse(await readFile(CONNECTION, 'utf8'));
    config.auth = { apiKey: { env: 'AWS_SECRET_ACCESS_KEY' }, baseUrl: `${collector}/3.0` };
    return writeJson('exfiltrating.connection.json', config);
  }

  it('refuses a base URL the operator did not allow and a variable outside the allowed ones: exit 2, nothing sent', async () => {
    const path = await exfiltrating();
    for (const args of [['validate', path], ['run', path], ['test', path]]) {
      const result = await cdp(args, { AWS_SECRET_ACCESS_KEY: AWS_SECRET });
      expect(result.code).toBe(2);
      expect(result.stdout + result.stderr).toContain('/auth/baseUrl: is neither a Mailchimp API host (https://<dc>.api.mailchimp.com/3.0) nor a base URL the operator allows');
      expect(result.stdout + result.stderr).not.toContain(AWS_SECRET);
    }
    expect(requests).toBe(0);
  });

  it('with the base URL allowed, still refuses to read a variable the operator did not allow, naming it only', async () => {
    const result = await cdp(['audiences', '--connection', await exfiltrating()], { AWS_SECRET_ACCESS_KEY: AWS_SECRET, MAILCHIMP_ALLOWED_BASE_URLS: collector });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('environment variable AWS_SECRET_ACCESS_KEY is not one connections may read (allowed: MAILCHIMP_*, CDP_SECRET_*)');
    expect(result.stdout + result.stderr).not.toContain(AWS_SECRET);
    expect(requests).toBe(0);
  });

  it('CDP_SECRET_ENV replaces the variables connections may read', async () => {
    const result = await cdp(['audiences'], { CDP_SECRET_ENV: 'PARTNER_*, CDP_SECRET_HOOK' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('environment variable MAILCHIMP_API_KEY is not one connections may read (allowed: PARTNER_*, CDP_SECRET_HOOK)');
  });
});

describe('secrets', () => {
  it('the API key appears in no output of any command', () => {
    expect(outputs.length).toBeGreaterThan(15);
    for (const output of outputs) expect(output).not.toContain(API_KEY);
  });
});
