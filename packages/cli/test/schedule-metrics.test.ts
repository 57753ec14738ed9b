import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox, type SandboxSeed } from '@cdp/mailchimp-sandbox';
import { startEmbeddedMongo, type EmbeddedMongo } from '@cdp/store-mongodb';
import { assertBuilt, childEnv, EXAMPLES, outputs, runCdp, startCdp } from './support/cli-process.js';

// `cdp schedule --metrics-port`: the worker process serves its health and metrics endpoints and says where.

const CATALOG = `${EXAMPLES}catalog.json`;
const CONNECTION = `${EXAMPLES}newsletter.connection.json`;
const ENDPOINTS = /Health and metrics: (http:\/\/127\.0\.0\.1:\d+)\/healthz, \S+\/readyz, \S+\/metrics/;

let mongo: EmbeddedMongo;
let sandbox: Sandbox;
let apiKey: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  const seed = JSON.parse(await readFile(`${EXAMPLES}mailchimp-seed.json`, 'utf8')) as SandboxSeed;
  apiKey = seed.apiKeys![0];
  [mongo, sandbox] = await Promise.all([startEmbeddedMongo('cli-schedule-metrics'), startSandbox({ seed })]);
  env = childEnv({ MONGODB_URI: mongo.uri, MAILCHIMP_API_KEY: apiKey, MAILCHIMP_BASE_URL: sandbox.baseUrl });
});

afterAll(async () => {
  await Promise.all([sandbox?.close(), mongo?.stop()]);
});

describe('cdp schedule --metrics-port', () => {
  it('prints where the endpoints listen, answers them, and stops them with the worker', async () => {
    const { child, stdout, exited } = await startCdp(['--catalog', CATALOG, 'schedule', CONNECTION, '--metrics-port', '0'], env, ENDPOINTS);
    const url = ENDPOINTS.exec(stdout())![1];

    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${url}/readyz`);
    const readiness = await ready.text();
    expect(ready.status).toBe(200);
    expect(JSON.parse(readiness)).toMatchObject({ status: 'ready', checks: { store: { ok: true }, mailchimp: { ok: true } } });
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^# TYPE cdp_runs_total counter$/m);
    expect(metrics).toMatch(/^cdp_runs_in_progress 0$/m);
    outputs.push(readiness, metrics);

    child.kill('SIGTERM');
    expect(await exited).toMatchObject({ code: 0 });
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('refuses a --metrics-port that is not a port number before starting anything', async () => {
    const result = await runCdp(['--catalog', CATALOG, 'schedule', CONNECTION, '--metrics-port', 'http'], env);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining('--metrics-port must be a port number, got "http"') });
  });

  it('shows the API key in no output and no answer', () => {
    for (const output of outputs) expect(output).not.toContain(apiKey);
  });
});
