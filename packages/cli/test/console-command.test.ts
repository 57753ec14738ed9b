import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mongoFromEnvironment, type EmbeddedMongo } from '@cdp/store-mongodb';
import { assertBuilt, childEnv, EXAMPLES, runCdp, startCdp } from './support/cli-process.js';

// `cdp console` as an operator starts it: refused without a password, on loopback by default, and closed to anyone
// who has not logged in.

const PASSWORD = 'a console password long enough';
const ARGS = ['--catalog', `${EXAMPLES}catalog.json`, '--connections', `${EXAMPLES}newsletter.connection.json`, 'console', '--port', '0'];

let mongo: EmbeddedMongo;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  mongo = await mongoFromEnvironment('cli-console');
  env = childEnv({ MONGODB_URI: mongo.uri, CDP_CONSOLE_PASSWORD: undefined });
});

afterAll(async () => {
  await mongo?.stop();
});

describe('cdp console', () => {
  it('refuses to start without a password, or with a short one', async () => {
    const missing = await runCdp(ARGS, env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CDP_CONSOLE_PASSWORD is not set');
    const short = await runCdp(ARGS, childEnv({ CDP_CONSOLE_PASSWORD: 'short' }, env));
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('shorter than 12 characters');
  });

  it('serves on loopback, sends strangers to the login form, lets the password in, and stops on SIGTERM', async () => {
    const { child, stdout, exited } = await startCdp(ARGS, childEnv({ CDP_CONSOLE_PASSWORD: PASSWORD }, env), /Console listening on (\S+);/);
    const url = /Console listening on (\S+);/.exec(stdout())![1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const stranger = await fetch(`${url}/`, { redirect: 'manual' });
    expect(stranger.status).toBe(303);
    const form = await fetch(`${url}/login`);
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const login = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: form.headers.get('set-cookie')!.split(';')[0] },
      body: new URLSearchParams({ _csrf: token, password: PASSWORD, next: '/' }),
    });
    expect(login.status).toBe(303);
    const session = login.headers.getSetCookie().find((cookie) => cookie.startsWith('cdp_console_session='))!.split(';')[0];
    const home = await fetch(`${url}/`, { headers: { cookie: session } });
    expect(await home.text()).toContain('Newsletter with Mailchimp');
    child.kill('SIGTERM');
    expect((await exited).code).toBe(0);
  });
});
