import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SMTPServer } from 'smtp-server';
import { startSandbox, type Sandbox, type SandboxSeed } from '@cdp/mailchimp-sandbox';
import { loadProfilesFromNdjson, openMongoStores, startEmbeddedMongo, type EmbeddedMongo, type MongoStores } from '@cdp/store-mongodb';
import { assertBuilt, childEnv, EXAMPLES, outputs, runCdp, spawnCdp, startCdp, type RunningCdp } from './support/cli-process.js';

const CATALOG = `${EXAMPLES}catalog.json`;
const CONNECTION = `${EXAMPLES}newsletter.connection.json`;
const DATABASE = 'cli-commands';

let mongo: EmbeddedMongo;
let sandbox: Sandbox;
let stores: MongoStores;
let apiKey: string;
let env: NodeJS.ProcessEnv;

/** Runs `cdp` with the catalog of the examples and the test's MongoDB and sandbox. */
const cdp = (args: string[], extra: Record<string, string | undefined> = {}) =>
  runCdp(['--catalog', CATALOG, '--connections', CONNECTION, ...args], childEnv(extra, env));

beforeAll(async () => {
  assertBuilt();
  const seed = JSON.parse(await readFile(`${EXAMPLES}mailchimp-seed.json`, 'utf8')) as SandboxSeed;
  apiKey = seed.apiKeys![0];
  [mongo, sandbox] = await Promise.all([startEmbeddedMongo(DATABASE), startSandbox({ seed })]);
  stores = await openMongoStores(mongo.uri, { database: DATABASE, uniqueIdentifiers: ['email', 'customer_id'] });
  await loadProfilesFromNdjson(stores.profiles, `${EXAMPLES}profiles.ndjson`);
  // The webhook receivers of these tests listen on loopback.
  env = childEnv({ MONGODB_URI: mongo.uri, MAILCHIMP_API_KEY: apiKey, MAILCHIMP_BASE_URL: sandbox.baseUrl, CDP_WEBHOOK_ALLOW_PRIVATE: '1' });
});

afterAll(async () => {
  await stores?.close();
  await Promise.all([sandbox?.close(), mongo?.stop()]);
});

describe('cdp validate', () => {
  it('accepts the example connection', async () => {
    const result = await cdp(['validate', CONNECTION]);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('valid (connection "newsletter", 2 goals)');
  });
});

describe('cdp test (dry run)', () => {
  it('counts what a run would do and writes nothing to Mailchimp or the history', async () => {
    sandbox.admin.resetCounters();
    const result = await cdp(['test', CONNECTION]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Dry run (nothing written)');
    expect(result.stdout).toMatch(/export-newsletter-subscribers \(export\)\s+newsletter1\s+218\s+\d+/);
    expect(sandbox.admin.counters().writes).toBe(0);
    expect(await stores.state.listRuns({ connectionId: 'newsletter' })).toEqual([]);
  });
});

describe('cdp run', () => {
  it('runs the connection and prints the report as JSON', async () => {
    const result = await cdp(['run', CONNECTION, '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ connectionId: 'newsletter', status: 'succeeded', dryRun: false });
    const exported = report.goals.find((goal: { kind: string }) => goal.kind === 'export').audiences[0];
    expect(exported.created).toBeGreaterThan(100);
    // Not a terminal: progress comes as plain timestamped lines on standard error, a final one per goal.
    expect(result.stderr).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z export-newsletter-subscribers: 218 profiles processed in [\d.]+ m?s, [\d,]+\/s, done$/m);
  });

  it('prints a readable table; an immediate second run sends nothing', async () => {
    const result = await cdp(['run', CONNECTION, '--goal', 'export-newsletter-subscribers']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Goal\s+Audience\s+Selected\s+Created\s+Updated\s+Unchanged\s+Removed\s+Skipped\s+Failed\s+Truncated\s+API calls\s+Duration/);
    expect(result.stdout).toMatch(/export-newsletter-subscribers \(export\)\s+newsletter1\s+\d+\s+0\s+0\s+\d+/);
    expect(result.stdout).toContain('Data exchange:');
  });

  it('answers "already running" with exit 3 while another process holds the lock', async () => {
    const lock = await stores.state.acquireLock('newsletter', 'another-worker', 60_000);
    expect(lock.acquired).toBe(true);
    try {
      const result = await cdp(['run', CONNECTION]);
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/already running since/);
    } finally {
      await stores.state.releaseLock('newsletter', 'another-worker');
    }
  });

  it('exits 4 on a wrong API key, without printing it', async () => {
    const wrongKey = 'aaaabbbbccccddddeeeeffff00001111-us1';
    const result = await cdp(['run', CONNECTION], { MAILCHIMP_API_KEY: wrongKey });
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('Mailchimp refused the credentials');
    expect(result.stdout + result.stderr).not.toContain(wrongKey);
  });
});

describe('cdp history', () => {
  it('lists the runs, newest first, as a table and as JSON', async () => {
    const table = await cdp(['history', 'newsletter', '--since', '1h']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/Started\s+Run\s+Trigger\s+Status/);
    const json = await cdp(['history', 'newsletter', '--json']);
    const runs = JSON.parse(json.stdout) as { status: string; trigger: string }[];
    expect(runs.map((run) => run.status)).toEqual(['succeeded', 'succeeded']);
    expect(runs.every((run) => run.trigger === 'manual')).toBe(true);
  });

  it('refuses an unknown connection and a bad period', async () => {
    const unknown = await cdp(['history', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('Unknown connection "nope" (known: newsletter)');
    const period = await cdp(['history', 'newsletter', '--since', 'yesterday']);
    expect(period.code).toBe(2);
    expect(period.stderr).toContain('--since "yesterday"');
  });
});

describe('cdp diagnose', () => {
  it("shows the profile, consent, segments, last payload and member status of an email", async () => {
    const result = await cdp(['diagnose', 'newsletter', 'Yara.Janssens3@example.be']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Profile:     profile-0003');
    expect(result.stdout).toContain('(matches newsletter)');
    expect(result.stdout).toContain('Export goal export-newsletter-subscribers (segment newsletter-subscribers): qualifies');
    expect(result.stdout).toMatch(/Segments:\s+newsletter-subscribers, frequent-buyers, vip/);
    expect(result.stdout).toMatch(/export-newsletter-subscribers\s+newsletter1\s+subscribed\s+\d{4}-\d\d-\d\dT/);
    expect(result.stdout).toContain('"FNAME":"Yara"');
  });

  it('re-syncs one profile with --resync', async () => {
    const result = await cdp(['diagnose', 'newsletter', 'yara.janssens3@example.be', '--resync', '--json']);
    expect(result.code).toBe(0);
    const diagnosis = JSON.parse(result.stdout);
    expect(diagnosis.resync).toEqual([{ goalId: 'export-newsletter-subscribers', audienceId: 'newsletter1', outcome: 'updated' }]);
  });

  it('says why a profile is not exported, and refuses an invalid email', async () => {
    const noProfile = await cdp(['diagnose', 'newsletter', 'nobody@example.com']);
    expect(noProfile.code).toBe(0);
    expect(noProfile.stdout).toContain('Profile:     none has this email');
    const invalid = await cdp(['diagnose', 'newsletter', 'not-an-email']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('"not-an-email" is not a valid email address');
  });
});

describe('cdp audiences', () => {
  it('lists the audiences and merge fields the key can see', async () => {
    const result = await cdp(['audiences']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/newsletter1\s+Newsletter\s+\d+\s+no\s+FNAME \(text\)/);
    expect(result.stdout).toContain('POINTS (number)');
  });
});

/** A webhook receiver on loopback: the run summaries it was sent. */
async function startHook(): Promise<{ url: string; bodies: { status: string; runId: string; error?: string }[]; close(): Promise<void> }> {
  const bodies: { status: string; runId: string }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      bodies.push(JSON.parse(body));
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An SMTP server on loopback that takes every message without a login: the subjects it was sent. */
async function startMailbox(): Promise<{ port: number; subjects: string[]; close(): Promise<void> }> {
  const subjects: string[] = [];
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS', 'AUTH'],
    onData(stream, _session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        subjects.push(/^Subject: (.*)$/m.exec(raw)?.[1] ?? '');
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.server.address() as AddressInfo).port, subjects, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The example connection under another id (its own history and lock), changed by `edit`, in a file of its own. */
async function exampleVariant(id: string, edit: (config: Record<string, unknown>) => void): Promise<string> {
  const config = JSON.parse(await readFile(CONNECTION, 'utf8'));
  config.id = id;
  edit(config);
  const path = join(await mkdtemp(join(tmpdir(), 'cdp-cli-')), `${id}.connection.json`);
  await writeFile(path, JSON.stringify(config));
  return path;
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const BATCH_SUBSCRIBE = 'POST /3.0/lists/{list_id}';
const EXPORT_GOAL = 'export-newsletter-subscribers';

/**
 * Starts `cdp run` with every Mailchimp answer taking 1.5 s, and resolves once its batch call has reached the
 * sandbox: a signal sent then lands while the run waits for that call. The caller clears the faults.
 */
async function exportWaitingForItsBatch(args: string[]): Promise<RunningCdp> {
  const batchesBefore = sandbox.admin.counters().byRoute[BATCH_SUBSCRIBE] ?? 0;
  sandbox.admin.setFaults({ latencyMs: 1_500 });
  const running = spawnCdp(args, env);
  // Every call before the batch is slowed down too: on a loaded machine the batch may take a while to come.
  await waitFor(() => (sandbox.admin.counters().byRoute[BATCH_SUBSCRIBE] ?? 0) > batchesBefore, 45_000);
  return running;
}

describe('failed records', () => {
  it('a run that succeeded with failed members exits 5, or 0 with --allow-failures', async () => {
    const path = await exampleVariant('newsletter-failing', (config) => {
      // A first name is not a number: Mailchimp refuses every member of this goal.
      const exportGoal = (config.goals as { kind: string; mappings: unknown[] }[]).find((goal) => goal.kind === 'export')!;
      exportGoal.mappings = [{ source: 'property', property: 'first_name', to: 'POINTS' }];
      config.goals = [exportGoal];
    });
    const failing = await runCdp(['--catalog', CATALOG, 'run', path, '--json'], env);
    expect(failing.code).toBe(5);
    const report = JSON.parse(failing.stdout);
    expect(report.status).toBe('succeeded');
    expect(report.goals[0].audiences[0].failed).toBeGreaterThan(0);

    // The failed members are retried by the next run, which still exits 5 unless failures are allowed.
    const allowed = await runCdp(['--catalog', CATALOG, 'run', path, '--allow-failures', '--json'], env);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).goals[0].audiences[0].failed).toBe(report.goals[0].audiences[0].failed);
  });
});

describe('refused and interrupted runs', () => {
  it('a run refused for an audience the account lacks exits 2, is in the history with its reason, and is notified', async () => {
    const hook = await startHook();
    try {
      const path = await exampleVariant('newsletter-refused', (config) => {
        config.notify = [{ type: 'webhook', url: hook.url, on: 'failure' }];
        (config.goals as { kind: string; audiences: string[] }[])[1].audiences = ['gone1'];
      });
      const run = await runCdp(['--catalog', CATALOG, 'run', path], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('/goals/1/audiences/0: unknown audience "gone1"');
      const history = await runCdp(['--catalog', CATALOG, '--connections', path, 'history', 'newsletter-refused'], env);
      expect(history.stdout).toMatch(/manual\s+refused\s/);
      expect(history.stdout).toMatch(/Errors:\n {2}\S+: Invalid config:\n {4}\/goals\/1\/audiences\/0: unknown audience "gone1"/);
      expect(hook.bodies).toEqual([expect.objectContaining({ status: 'refused' })]);
    } finally {
      await hook.close();
    }
  });

  it('an email target on this machine gets the refused run only with CDP_EMAIL_ALLOW_PRIVATE=1', async () => {
    const mailbox = await startMailbox();
    try {
      const path = await exampleVariant('newsletter-emailed', (config) => {
        config.notify = [{ type: 'email', smtp: { host: '127.0.0.1', port: mailbox.port, security: 'none' }, from: 'cdp@example.com', to: ['ops@example.com'] }];
        (config.goals as { kind: string; audiences: string[] }[])[1].audiences = ['gone1'];
      });
      const refused = await runCdp(['--catalog', CATALOG, 'run', path], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/email notification not sent.*loopback|loopback.*email notification/i);
      expect(mailbox.subjects).toEqual([]);

      const allowed = await runCdp(['--catalog', CATALOG, 'run', path], childEnv({ CDP_EMAIL_ALLOW_PRIVATE: '1' }, env));
      expect(allowed.code).toBe(2);
      expect(mailbox.subjects).toEqual([expect.stringMatching(/run was refused/)]);
    } finally {
      await mailbox.close();
    }
  });

  it('Ctrl-C stops cdp run after the batch in flight: exit 130, one line, the report so far, saved as interrupted, the lock free at once', async () => {
    const hook = await startHook();
    const path = await exampleVariant('newsletter-interrupted', (config) => {
      config.notify = [{ type: 'webhook', url: hook.url, on: 'failure' }];
    });
    const args = ['--catalog', CATALOG, '--connections', path];
    try {
      const running = await exportWaitingForItsBatch([...args, 'run', path, '--goal', EXPORT_GOAL]);
      running.child.kill('SIGINT');
      const interrupted = await running.exited;
      sandbox.admin.setFaults({});

      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toMatch(/^Run \S+ interrupted by SIGINT: saved as interrupted, lock released; the next run continues where it stopped\.$/m);
      expect(interrupted.stdout).toMatch(/^Run \S+ of newsletter-interrupted: interrupted in /m);
      // The batch call in flight finished and was counted.
      expect(interrupted.stdout).toMatch(new RegExp(`${EXPORT_GOAL} \\(export, failed\\)\\s+newsletter1\\s+218\\s+\\d+\\s+[1-9]`));
      expect(interrupted.stdout).toContain(`${EXPORT_GOAL}: the run was interrupted; stopped before writing more`);
      expect(hook.bodies).toEqual([expect.objectContaining({ status: 'interrupted' })]);

      const history = await runCdp([...args, 'history', 'newsletter-interrupted'], env);
      expect(history.stdout).toMatch(/manual\s+interrupted\s/);

      // The lock is free and the batch was recorded: the next run starts at once and has nothing to send.
      const next = await runCdp([...args, 'run', path, '--goal', EXPORT_GOAL, '--json'], env);
      expect(next.code).toBe(0);
      const exported = JSON.parse(next.stdout).goals[0].audiences[0];
      expect(exported).toMatchObject({ created: 0, updated: 0 });
      expect(exported.unchanged).toBeGreaterThan(100);
    } finally {
      sandbox.admin.setFaults({});
      await hook.close();
    }
  }, 90_000);

  it('a second Ctrl-C quits at once, leaving the lock to its lease', async () => {
    const path = await exampleVariant('newsletter-quit', (config) => delete config.notify);
    try {
      const running = await exportWaitingForItsBatch(['--catalog', CATALOG, 'run', path, '--goal', EXPORT_GOAL]);
      running.child.kill('SIGINT');
      await waitFor(() => running.stderr().includes('Ctrl-C: stopping after the batch in flight'));
      running.child.kill('SIGINT');
      const quit = await running.exited;
      expect(quit.code).toBe(130);
      expect(quit.stderr).toContain("Ctrl-C again: quitting now; the connection's lock frees itself when its lease runs out.");
      expect(quit.stdout).toBe('');
      expect(await stores.state.listRuns({ connectionId: 'newsletter-quit' })).toEqual([expect.objectContaining({ status: 'running' })]);
      expect((await stores.state.acquireLock('newsletter-quit', 'another-run', 1_000)).acquired).toBe(false);
    } finally {
      sandbox.admin.setFaults({});
    }
  }, 90_000);
});

describe('long-running commands', () => {
  it('cdp sandbox serves until interrupted', async () => {
    const { child, stdout, exited } = await startCdp(['sandbox', '--port', '0', '--seed', `${EXAMPLES}mailchimp-seed.json`], env, /MAILCHIMP_BASE_URL=(\S+)/);
    const baseUrl = /MAILCHIMP_BASE_URL=(\S+)/.exec(stdout())![1];
    const ping = await fetch(`${baseUrl}/ping`, { headers: { authorization: `Basic ${Buffer.from(`any:${apiKey}`).toString('base64')}` } });
    expect(ping.status).toBe(200);
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });

  it('cdp schedule starts a worker with the next run of each connection and stops on SIGTERM', async () => {
    const { child, stdout, exited } = await startCdp(['--catalog', CATALOG, 'schedule', CONNECTION], env, /newsletter: next run \S+/);
    expect(stdout()).toContain('Scheduler worker started for 1 connection(s)');
    child.kill('SIGTERM');
    expect(await exited).toMatchObject({ code: 0, stdout: expect.stringContaining('Stopping') });
  });

  it('cdp schedule sends the daily digest of an email target once its time has come', async () => {
    const mailbox = await startMailbox();
    // A digest due two minutes ago (in UTC): the worker sends it as it starts, within the hour.
    const at = new Date(Date.now() - 2 * 60_000).toISOString().slice(11, 16);
    const path = await exampleVariant('newsletter-digest', (config) => {
      config.notify = [{ type: 'email', smtp: { host: '127.0.0.1', port: mailbox.port, security: 'none' }, from: 'cdp@example.com', to: ['ops@example.com'], digest: { at, timeZone: 'UTC' } }];
    });
    try {
      const { child, exited } = await startCdp(['--catalog', CATALOG, 'schedule', path], childEnv({ CDP_EMAIL_ALLOW_PRIVATE: '1' }, env), /newsletter-digest: next run/);
      await waitFor(() => mailbox.subjects.length > 0);
      child.kill('SIGTERM');
      expect((await exited).code).toBe(0);
      expect(mailbox.subjects).toEqual([expect.stringContaining('daily digest')]);
    } finally {
      await mailbox.close();
    }
  });
});

describe('secrets', () => {
  it('the API key appears in no output of any command', () => {
    expect(outputs.length).toBeGreaterThan(15);
    for (const output of outputs) expect(output).not.toContain(apiKey);
  });
});
