import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InMemoryStateStore, RetryableError, type Logger, type SharedLeases, type StateStore } from '@cdp/sdk';
import { storeBackends, type StoreBackend } from '../../../test/support/store-backends.js';
import { keyGate, KeySlots, MAX_IN_FLIGHT_PER_KEY, SharedKeySlots } from '../src/key-limiter.js';
import { createOfficialClient, keptConnections } from '../src/official-client.js';
import { MailchimpRequests } from '../src/requests.js';
import { KEY_A, startTestSandbox, type TestSandbox } from './support/sandbox-session.js';

const quiet: Logger = { log: () => undefined };
const CALLS_PER_PROCESS = 40;

/** What the engine hands a connector: the state store's named leases (its run locks). */
const leasesOf = (state: StateStore): SharedLeases => ({
  acquire: async (name, owner, leaseMs) => (await state.acquireLock(name, owner, leaseMs)).acquired,
  release: (name, owner) => state.releaseLock(name, owner),
});

/**
 * One worker process as far as the key is concerned: slots of its own in the process, and, when given, the
 * deployment's shared leases; no retries, so a request the sandbox refuses (the 11th of the key) fails.
 */
function workerRequests(sb: TestSandbox, state?: StateStore): MailchimpRequests {
  const shared = state && new SharedKeySlots(leasesOf(state), KEY_A, 60_000, quiet);
  return new MailchimpRequests(
    createOfficialClient({ kind: 'apiKey', secret: KEY_A, baseUrl: sb.sandbox.baseUrl }, 10_000, keptConnections(sb.sandbox.baseUrl)),
    keyGate(new KeySlots(), shared),
    { maxInFlight: MAX_IN_FLIGHT_PER_KEY, retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } },
    quiet,
    (text) => text,
  );
}

/** Two workers sending their calls at once; how many failed. */
async function twoWorkers(sb: TestSandbox, states: [StateStore, StateStore] | undefined): Promise<number> {
  sb.sandbox.admin.resetCounters();
  sb.statuses.length = 0;
  const workers = [workerRequests(sb, states?.[0]), workerRequests(sb, states?.[1])];
  const calls = workers.flatMap((requests) => Array.from({ length: CALLS_PER_PROCESS }, () => requests.call('GET /ping', (client) => client.ping.get())));
  return (await Promise.allSettled(calls)).filter((result) => result.status === 'rejected').length;
}

/** Every call answered, none refused for the 11th connection, and still several at once (the sandbox caps the peak at 10). */
function expectSharedWithin10(sb: TestSandbox): void {
  expect(sb.count(429)).toBe(0);
  expect(sb.count(200)).toBe(2 * CALLS_PER_PROCESS);
  expect(sb.sandbox.admin.counters().peakInFlight).toBeGreaterThanOrEqual(MAX_IN_FLIGHT_PER_KEY / 2);
}

describe('one API key shared by several worker processes', () => {
  let sb: TestSandbox;

  beforeAll(async () => {
    sb = await startTestSandbox({ seed: { apiKeys: [KEY_A] }, faults: { latencyMs: 40 } });
  });
  afterAll(() => sb.sandbox.close());

  it('goes past Mailchimp\'s 10 connections when each process counts only its own requests', async () => {
    const failed = await twoWorkers(sb, undefined);
    expect(sb.count(429)).toBeGreaterThan(0);
    expect(failed).toBe(sb.count(429));
  });

  it('stays within 10 across the processes with leases in one in-memory state store', async () => {
    const state = new InMemoryStateStore();
    expect(await twoWorkers(sb, [state, state])).toBe(0);
    expectSharedWithin10(sb);
  });

  it('gives up, retryable, when no slot frees within a lease (processes that died holding all ten)', async () => {
    const state = new InMemoryStateStore();
    const dead = new SharedKeySlots(leasesOf(state), KEY_A, 60_000, quiet);
    await Promise.all(Array.from({ length: MAX_IN_FLIGHT_PER_KEY }, () => dead.acquire()));
    const waiting = new SharedKeySlots(leasesOf(state), KEY_A, 200, quiet);
    const refusal = waiting.acquire();
    await expect(refusal).rejects.toThrow(RetryableError);
    await expect(refusal).rejects.toThrow(/^No request slot of this Mailchimp key came free within \d+ s: other processes hold all 10$/);
  });

  describe.each(storeBackends('shared-key-slots').map((backend) => [backend.name, backend] as const))('over %s', (_name, backend: StoreBackend) => {
    beforeAll(() => backend.start());
    afterAll(() => backend.stop());

    it('stays within 10 across the processes, each on a connection of its own, and frees every slot after', async () => {
      const database = await backend.database('slots');
      try {
        const [first, second] = await Promise.all([database.open(), database.open()]);
        expect(await twoWorkers(sb, [first.state, second.state])).toBe(0);
        expectSharedWithin10(sb);
        // Every slot is free again: a third process takes all ten at once.
        const third = new SharedKeySlots(leasesOf(first.state), KEY_A, 60_000, quiet);
        const releases = await Promise.all(Array.from({ length: MAX_IN_FLIGHT_PER_KEY }, () => third.acquire()));
        releases.forEach((release) => release());
      } finally {
        await database.close();
      }
    });
  });
});
