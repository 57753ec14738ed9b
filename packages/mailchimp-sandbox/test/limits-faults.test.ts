import { afterEach, describe, expect, it } from '@jest/globals';
import { setTimeout as sleep } from 'node:timers/promises';
import { subscriberHash } from '@cdp/mailchimp-sandbox';
import { clientFor, KEY_A, KEY_B, refusal, type ClientError } from './support/client.js';
import { checkedSandboxForSuite } from './support/conformance.js';

const settled = async (calls: Promise<unknown>[]): Promise<(number | string)[]> =>
  (await Promise.allSettled(calls)).map((outcome) =>
    outcome.status === 'fulfilled' ? 200 : ((outcome.reason as { status?: number; code?: string }).status ?? (outcome.reason as { code: string }).code));

describe('connection limit and injected faults', () => {
  const checked = checkedSandboxForSuite({
    seed: { apiKeys: [KEY_A, KEY_B], lists: [{ id: 'L1', name: 'Main', members: [{ email_address: 'ann@shop.com', status: 'subscribed' }] }] },
  });
  afterEach(() => checked.sandbox.admin.setFaults({}));

  it('refuses the 11th simultaneous request of one key with 429, while another key has its own slots', async () => {
    checked.sandbox.admin.setFaults({ latencyMs: 300 });
    const a = clientFor(checked.sandbox, KEY_A);
    const b = clientFor(checked.sandbox, KEY_B);
    const calls = Array.from({ length: 11 }, () => a.ping.get());
    await sleep(50);
    const statuses = await settled([...calls, b.ping.get()]);
    expect(statuses.filter((status) => status === 200)).toHaveLength(11);
    expect(statuses.filter((status) => status === 429)).toHaveLength(1);
    const again = await Promise.allSettled(Array.from({ length: 11 }, () => a.ping.get()));
    const refused = again.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as ClientError] : []));
    expect(refused.map((error) => error.response?.body)).toEqual([
      expect.objectContaining({ status: 429, title: 'TooManyRequests', detail: 'You have exceeded the limit of 10 simultaneous connections.' }),
    ]);
  });

  it('frees a slot when the client gives up on a request', async () => {
    checked.sandbox.admin.setFaults({ latencyMs: 400 });
    const impatient = clientFor(checked.sandbox, KEY_A, 50);
    const aborted = await settled(Array.from({ length: 10 }, () => impatient.ping.get()));
    expect(aborted).toEqual(Array(10).fill('ECONNABORTED'));
    await sleep(30);
    checked.sandbox.admin.setFaults({});
    await expect(clientFor(checked.sandbox, KEY_A).ping.get()).resolves.toEqual({ health_status: "Everything's Chimpy!" });
  });

  it('adds latency to every API request', async () => {
    checked.sandbox.admin.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await clientFor(checked.sandbox, KEY_A).ping.get();
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
  });

  it('answers injected 429s with Retry-After, and 500s and 503s as problem documents', async () => {
    const client = clientFor(checked.sandbox, KEY_A);
    checked.sandbox.admin.setFaults({ rate429: 1, retryAfterSeconds: 7 });
    const limited = await refusal(client.ping.get());
    expect(limited.status).toBe(429);
    expect(limited.response?.headers['retry-after']).toBe('7');
    checked.sandbox.admin.setFaults({ rate500: 1 });
    expect((await refusal(client.ping.get())).response?.body).toMatchObject({ status: 500, title: 'Internal Server Error' });
    checked.sandbox.admin.setFaults({ rate503: 1 });
    expect((await refusal(client.ping.get())).response?.body).toMatchObject({ status: 503, title: 'Service Unavailable' });
  });

  it('resets connections without an answer', async () => {
    checked.sandbox.admin.setFaults({ rateReset: 1 });
    const reset = await refusal(clientFor(checked.sandbox, KEY_A).ping.get());
    expect(reset.status).toBeUndefined();
    expect(reset.code).toBe('ECONNRESET');
  });

  it('answers slow requests after the client timed out, and still applies them', async () => {
    checked.sandbox.admin.setFaults({ rateSlow: 1, slowMs: 300 });
    const client = clientFor(checked.sandbox, KEY_A, 100);
    const slow = await refusal(client.lists.updateListMember('L1', subscriberHash('ann@shop.com'), { merge_fields: { FNAME: 'Late' } }));
    expect(slow.code).toBe('ECONNABORTED');
    checked.sandbox.admin.setFaults({});
    await sleep(350);
    expect(checked.sandbox.admin.dump().lists[0].members[0].merge_fields).toEqual({ FNAME: 'Late' });
  });

  it('repeats the same fault sequence under the same seed', async () => {
    const client = clientFor(checked.sandbox, KEY_A);
    const run = async (): Promise<(number | string)[]> => {
      checked.sandbox.admin.setFaults({ seed: 42, rate500: 0.25, rate503: 0.25, rate429: 0.1 });
      const statuses: (number | string)[] = [];
      for (let i = 0; i < 30; i += 1) statuses.push(...(await settled([client.ping.get()])));
      return statuses;
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 429, 500, 503]));
  });

  it('refuses a fault configuration that makes no sense', () => {
    expect(() => checked.sandbox.admin.setFaults({ rate500: 0.8, rate503: 0.5 })).toThrow('add up to 1.3');
    expect(() => checked.sandbox.admin.setFaults({ latencyMs: -1 })).toThrow('latencyMs');
  });
});
