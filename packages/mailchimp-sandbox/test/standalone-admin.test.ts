import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { KEY_A } from './support/client.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const AUTH = { Authorization: `Basic ${Buffer.from(`any:${KEY_A}`).toString('base64')}` };

async function runCli(script: string, args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found) resolve(found[1]);
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code}`)));
  });
  return { child, url };
}

describe('the standalone server and its admin HTTP endpoints', () => {
  let dir: string;
  let script: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mailchimp-sandbox-'));
    script = join(dir, 'main.mjs');
    await build({ entryPoints: [MAIN], bundle: true, platform: 'node', format: 'esm', outfile: script, logLevel: 'silent' });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('starts from a seed file, serves admin endpoints without a key, and stops cleanly on SIGTERM', async () => {
    const seedFile = join(dir, 'seed.json');
    await writeFile(seedFile, JSON.stringify({ apiKeys: [KEY_A], lists: [{ id: 'L1', name: 'Main' }] }));
    const { child, url } = await runCli(script, ['--port', '0', '--seed', seedFile, '--latency', '1']);
    const admin = (path: string, method = 'GET', body?: unknown): Promise<Response> =>
      fetch(`${url}/_sandbox/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    try {
      const added = await fetch(`${url}/3.0/lists/L1/members`, { method: 'POST', headers: AUTH, body: JSON.stringify({ email_address: 'p@shop.com', status: 'pending' }) });
      expect(added.status).toBe(200);
      expect((await admin('confirm', 'POST', { list_id: 'L1', email_address: 'p@shop.com' })).status).toBe(204);
      const state = (await (await admin('state')).json()) as { lists: { members: { status: string }[] }[]; confirmationEmails: unknown[] };
      expect(state.lists[0].members[0].status).toBe('subscribed');
      expect(state.confirmationEmails).toHaveLength(1);

      expect(await (await admin('counters')).json()).toEqual({ total: 1, byRoute: { 'POST /3.0/lists/{list_id}/members': 1 }, writes: 1, peakInFlight: 1, connections: 1 });
      expect((await admin('counters/reset', 'POST')).status).toBe(204);
      expect(((await (await admin('counters')).json()) as { total: number }).total).toBe(0);

      expect((await admin('faults', 'PUT', { rate503: 1 })).status).toBe(204);
      expect(await (await admin('faults')).json()).toEqual({ rate503: 1 });
      expect((await fetch(`${url}/3.0/ping`, { headers: AUTH })).status).toBe(503);
      expect((await admin('faults', 'PUT', { rate503: 2 })).status).toBe(400);
      await admin('faults', 'PUT', {});

      expect((await admin('seed', 'POST', { lists: [{ id: 'L9', name: 'Seeded later' }] })).status).toBe(204);
      expect((await fetch(`${url}/3.0/lists/L9`, { headers: AUTH })).status).toBe(200);
      const badSeed = await admin('seed', 'POST', { lists: [{ id: '', members: [{ email_address: 'x@shop.com', status: 'happy' }] }] });
      expect(badSeed.status).toBe(400);
      const { error } = (await badSeed.json()) as { error: string };
      for (const problem of ['/lists/0/id: must be a non-empty string', '/lists/0/name: is required', '/lists/0/members/0/status: must be one of']) expect(error).toContain(problem);

      expect((await admin('reset', 'POST')).status).toBe(204);
      expect(((await (await admin('state')).json()) as { lists: unknown[] }).lists).toEqual([]);
      expect((await admin('nothing-here')).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('refuses a bad seed file with the problems listed and exit code 1', async () => {
    const seedFile = join(dir, 'bad-seed.json');
    await writeFile(seedFile, JSON.stringify({ apiKeys: ['not-a-key'] }));
    const child = spawn(process.execPath, [script, '--port', '0', '--seed', seedFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toContain('/apiKeys/0');
    expect(stderr).not.toContain('listening');
  });
});
