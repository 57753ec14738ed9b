import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import ApiClient from '@mailchimp/mailchimp_marketing/src/ApiClient.js';
import { startSandbox, type Sandbox } from '@cdp/mailchimp-sandbox';
import { refusal } from './support/client.js';

// The OAuth 2 flow as an app goes through it against Mailchimp: authorize (the owner allows), the code exchanged
// for a token, the metadata for the data centre; then the token used by the official client as its accessToken.

const CLIENT = { clientId: '123456789012', clientSecret: 'client-secret-of-the-app', redirectUri: 'http://127.0.0.1:9/callback' };

let sandbox: Sandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ seed: { lists: [{ id: 'list1', name: 'One' }] }, oauth: { clients: [CLIENT], dc: 'us7', accountName: 'Acme' } });
});

afterAll(async () => {
  await sandbox?.close();
});

/** The owner allowing the app: the allow form posted, and the code of the redirect back. */
async function authorize(state: string): Promise<string> {
  const query = new URLSearchParams({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: CLIENT.redirectUri, state });
  const page = await fetch(`${sandbox.url}/oauth2/authorize?${query}`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('Allow access to Acme?');
  const allowed = await fetch(`${sandbox.url}/oauth2/authorize`, { method: 'POST', body: query, redirect: 'manual' });
  expect(allowed.status).toBe(302);
  const back = new URL(allowed.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(CLIENT.redirectUri);
  expect(back.searchParams.get('state')).toBe(state);
  return back.searchParams.get('code')!;
}

function exchange(code: string, secret = CLIENT.clientSecret): Promise<Response> {
  const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: CLIENT.clientId, client_secret: secret, redirect_uri: CLIENT.redirectUri, code });
  return fetch(`${sandbox.url}/oauth2/token`, { method: 'POST', body: form });
}

describe('the sandbox OAuth endpoints', () => {
  it('issue a token for an allowed code, whose metadata names the data centre, and which the API accepts as Bearer', async () => {
    const answer = await exchange(await authorize('s1'));
    expect(answer.status).toBe(200);
    const token = (await answer.json()) as { access_token: string; expires_in: number; scope: null };
    expect(token).toMatchObject({ expires_in: 0, scope: null });
    const metadata = await fetch(`${sandbox.url}/oauth2/metadata`, { headers: { Authorization: `OAuth ${token.access_token}` } });
    expect(await metadata.json()).toMatchObject({ dc: 'us7', accountname: 'Acme', api_endpoint: sandbox.url });

    const client = new ApiClient();
    client.setConfig({ accessToken: token.access_token, server: 'us7' });
    client.basePath = sandbox.baseUrl;
    const lists = await client.lists.getAllLists();
    expect(lists.lists.map((list: { id: string }) => list.id)).toEqual(['list1']);
    const basic = await fetch(`${sandbox.baseUrl}/ping`, { headers: { Authorization: `Basic ${Buffer.from(`anystring:${token.access_token}`).toString('base64')}` } });
    expect(basic.status).toBe(200);
  });

  it('refuse a code used twice, a wrong client secret, an unknown client, and a token they did not issue', async () => {
    const code = await authorize('s2');
    expect((await exchange(code, 'wrong')).status).toBe(401);
    expect((await exchange(code)).status).toBe(200);
    expect((await exchange(code)).status).toBe(400);
    const unknown = await fetch(`${sandbox.url}/oauth2/authorize?response_type=code&client_id=999&redirect_uri=${encodeURIComponent(CLIENT.redirectUri)}`);
    expect(unknown.status).toBe(400);
    const metadata = await fetch(`${sandbox.url}/oauth2/metadata`, { headers: { Authorization: 'OAuth 0123456789abcdef0123456789abcdef' } });
    expect(metadata.status).toBe(401);
    const client = new ApiClient();
    client.setConfig({ accessToken: '0123456789abcdef0123456789abcdef', server: 'us7' });
    client.basePath = sandbox.baseUrl;
    expect((await refusal(client.ping.get())).status).toBe(401);
  });
});
