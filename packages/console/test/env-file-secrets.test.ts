import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { environmentSecrets } from '@cdp/runtime';
import { envFileSecretStore } from '../src/index.js';

let dir: string;
let file: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'console-env-file-'));
  file = join(dir, 'cdp-secrets.env');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('replaces the line of the variable, keeps the others, writes mode 0600, and the runtime resolves the value', async () => {
  await writeFile(file, 'MAILCHIMP_OAUTH_A=old\nCDP_SECRET_HOOK=keep\n');
  const env: NodeJS.ProcessEnv = {};
  await envFileSecretStore(file, env).write('MAILCHIMP_OAUTH_A', 'new-token');
  expect(await readFile(file, 'utf8')).toBe('CDP_SECRET_HOOK=keep\nMAILCHIMP_OAUTH_A=new-token\n');
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  expect(environmentSecrets(env).secret({ env: 'MAILCHIMP_OAUTH_A' })).toBe('new-token');
});

it('refuses a name that is no variable name and a value that spans lines', async () => {
  const store = envFileSecretStore(file, {});
  await expect(store.write('NOT A NAME', 'x')).rejects.toThrow('is not an environment variable name');
  await expect(store.write('MAILCHIMP_OAUTH_A', 'a\nB=injected')).rejects.toThrow('spans lines');
});
