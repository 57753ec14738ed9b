import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { subscriberHash } from '@cdp/sdk';
import { collect, connect, KEY_A, startTestSandbox, type TestSandbox } from './support/sandbox-session.js';

const at = (minute: number): string => new Date(Date.UTC(2024, 4, 1) + minute * 60_000).toISOString().replace(/\.\d{3}Z$/, '+00:00');

describe('reading campaign activity', () => {
  let sb: TestSandbox;

  beforeAll(async () => {
    sb = await startTestSandbox({
      seed: {
        apiKeys: [KEY_A],
        lists: [
          { id: 'L1', name: 'News', members: [{ email_address: 'ann@shop.com', status: 'subscribed' }, { email_address: 'ben@shop.com', status: 'subscribed' }] },
          { id: 'L2', name: 'Offers', members: [{ email_address: 'ann@shop.com', status: 'subscribed' }] },
        ],
        campaigns: [
          {
            id: 'C1',
            list_id: 'L1',
            send_time: at(0),
            recipients: [
              { email_address: 'ann@shop.com', activity: [{ action: 'open', timestamp: at(5) }, { action: 'click', timestamp: at(6) }, { action: 'bounce', timestamp: at(7) }] },
              { email_address: 'ben@shop.com' },
            ],
          },
          { id: 'C2', list_id: 'L1', send_time: at(100), recipients: [{ email_address: 'ann@shop.com', activity: [{ action: 'open', timestamp: at(130) }] }] },
          { id: 'C3', list_id: 'L2', send_time: at(100), recipients: [{ email_address: 'ann@shop.com', activity: [{ action: 'open', timestamp: at(101) }] }] },
        ],
      },
    });
  });
  afterAll(() => sb.sandbox.close());

  it("counts every recipient as a send, and the opens and clicks, of the audience's campaigns", async () => {
    const session = await connect(sb.sandbox);
    const events = await collect(session.members.readActivity('L1', undefined, ['sent', 'open', 'click']));
    expect(events.map((e) => `${e.event} ${e.email} ${e.at.toISOString()}`).sort()).toEqual(
      [
        `sent ann@shop.com ${new Date(at(0)).toISOString()}`,
        `sent ben@shop.com ${new Date(at(0)).toISOString()}`,
        `open ann@shop.com ${new Date(at(5)).toISOString()}`,
        `click ann@shop.com ${new Date(at(6)).toISOString()}`,
        `sent ann@shop.com ${new Date(at(100)).toISOString()}`,
        `open ann@shop.com ${new Date(at(130)).toISOString()}`,
      ].sort(),
    );
    expect(events.find((e) => e.email === 'ben@shop.com')?.memberId).toBe(subscriberHash('ben@shop.com'));
  });

  it('reads only campaigns sent after `since`, and only the events asked for', async () => {
    const session = await connect(sb.sandbox);
    const opens = await collect(session.members.readActivity('L1', new Date(at(50)), ['open']));
    expect(opens.map((e) => [e.event, e.email, e.at.toISOString()])).toEqual([['open', 'ann@shop.com', new Date(at(130)).toISOString()]]);
    // A campaign sent exactly at `since` was read by the previous count.
    expect(await collect(session.members.readActivity('L1', new Date(at(100)), ['sent', 'open']))).toEqual([]);
  });
});
