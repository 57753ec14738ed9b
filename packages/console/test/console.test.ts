import { mkdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { OAUTH_APP, PASSWORD, PROFILES, REFUSED, TOKEN_VARIABLE, profile, startWorld, type World } from './support/world.js';

// The console in a real browser (Debian's Chromium, headless) over real runs: the run service against the Mailchimp
// sandbox and the MongoDB-compatible store. The main pages are captured on every run; with UPDATE_DOCS=1 into
// docs/console/ for docs/console.md, otherwise into a temporary folder, so a test run leaves the docs as they are.

const SCREENSHOTS =
  process.env.UPDATE_DOCS === '1' ? new URL('../../../docs/console/', import.meta.url) : pathToFileURL(`${join(tmpdir(), `cdp-console-screenshots-${process.pid}`)}/`);

let world: World;
let page: Page;

/** Every page captured, as HTML, to search for secrets at the end. */
const captured: string[] = [];

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
  captured.push(await page.content());
}

/** The history page's chart, as Chart.js drew it: each dataset's values per run, oldest first (read in the page). */
const DRAWN_SERIES = `(() => {
  const chart = window.Chart && window.Chart.getChart(document.getElementById('history-chart'));
  return chart ? Object.fromEntries(chart.data.datasets.map((dataset) => [dataset.label, dataset.data])) : undefined;
})()`;

async function chartSeries(target: Page): Promise<Record<string, number[]>> {
  await target.waitForFunction(DRAWN_SERIES);
  return target.evaluate<Record<string, number[]>>(DRAWN_SERIES);
}

beforeAll(async () => {
  await mkdir(SCREENSHOTS, { recursive: true });
  world = await startWorld('console-browser');
  // Two real runs before the console is opened: everyone created but the refused address, then one profile changed.
  await world.service.runNow('newsletter');
  await world.stores.profiles.upsertProfiles([profile(0, 'reader0@example.org', 'Renamed Reader', new Date())]);
  await world.service.runNow('newsletter');
  page = await world.loggedIn();
});

afterAll(async () => {
  await world?.close();
});

describe('access control', () => {
  it('refuses unauthenticated requests: pages redirect to the login form, the API answers 401', async () => {
    const pageAnswer = await fetch(`${world.console.url}/connections/newsletter/history`, { redirect: 'manual' });
    expect(pageAnswer.status).toBe(303);
    expect(pageAnswer.headers.get('location')).toBe('/login?next=%2Fconnections%2Fnewsletter%2Fhistory');
    const apiAnswer = await fetch(`${world.console.url}/api/live-runs/any/events`);
    expect(apiAnswer.status).toBe(401);
    const postAnswer = await fetch(`${world.console.url}/connections/newsletter/run`, { method: 'POST', redirect: 'manual' });
    expect(postAnswer.status).toBe(303);
    expect((await world.stores.state.listRuns({ connectionId: 'newsletter' })).length).toBe(2);
  });

  it('refuses a wrong password, and a login form posted without its token', async () => {
    const other = await world.newPage();
    await other.goto(`${world.console.url}/login`);
    await other.fill('input[name=password]', 'not the password at all');
    await other.click('button[type=submit]');
    await expect(other.locator('.error').textContent()).resolves.toBe('Wrong password.');
    const forged = await other.request.post(`${world.console.url}/login`, { form: { password: PASSWORD, next: '/' }, maxRedirects: 0 });
    expect(forged.status()).toBe(401);
    await other.context().close();
  });

  it('refuses a POST without the CSRF token, even with a live session cookie', async () => {
    const answer = await page.request.post(`${world.console.url}/connections/newsletter/run`, { form: { anything: '1' }, maxRedirects: 0 });
    expect(answer.status()).toBe(403);
    const wrong = await page.request.post(`${world.console.url}/connections/newsletter/run`, { form: { _csrf: 'forged' }, maxRedirects: 0 });
    expect(wrong.status()).toBe(403);
    expect((await world.stores.state.listRuns({ connectionId: 'newsletter' })).length).toBe(2);
  });

  it('sets the session cookie HttpOnly and SameSite=Strict, and sends no secret to the browser', async () => {
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'cdp_console_session', httpOnly: true, sameSite: 'Strict', secure: false });
    expect(await page.content()).not.toContain(world.env.MAILCHIMP_API_KEY);
  });
});

describe('connections and run history', () => {
  it('lists the connection with its schedule and next runs', async () => {
    await page.goto(`${world.console.url}/`);
    const row = page.locator('tr[data-connection=newsletter]');
    await expect(row.textContent()).resolves.toContain('mon, wed, fri at 06:30, 18:00 (Europe/Amsterdam)');
    expect(await row.locator('.next-runs li').count()).toBe(3);
    await screenshot('connections');
  });

  it('draws the chart of created, updated, removed and failed per run from the real runs', async () => {
    await page.goto(`${world.console.url}/connections/newsletter/history`);
    const series = await chartSeries(page);
    expect(series).toEqual({ created: [PROFILES - 1, 0], updated: [0, 1], removed: [0, 0], failed: [1, 1] });
    await screenshot('history');
  });

  it("shows a run's report per goal and audience with the failure and its reason", async () => {
    const [first] = (await world.stores.state.listRuns({ connectionId: 'newsletter' })).slice(-1);
    await page.goto(`${world.console.url}/connections/newsletter/runs/${first.runId}`);
    const failure = page.locator('table.failures tbody tr');
    await expect(failure.locator('td').first().textContent()).resolves.toBe(REFUSED);
    await expect(failure.locator('td.reason').textContent()).resolves.toContain('looks fake or invalid');
    await screenshot('run-report');
  });
});

describe('diagnosis and audiences', () => {
  it('diagnoses an email: its verdict per goal and its last error with the reason', async () => {
    await page.goto(`${world.console.url}/connections/newsletter/diagnose?email=${encodeURIComponent(REFUSED)}`);
    await expect(page.locator('ul.verdicts').textContent()).resolves.toContain('export-newsletter (segment newsletter): qualifies');
    await expect(page.locator('.last-error .reason').textContent()).resolves.toContain('looks fake or invalid');
    await screenshot('diagnose');
  });

  it('re-syncs one profile from its diagnosis', async () => {
    await page.goto(`${world.console.url}/connections/newsletter/diagnose?email=reader2%40example.org`);
    await expect(page.locator('.members tbody tr td').nth(2).textContent()).resolves.toBe('subscribed');
    await page.locator('button', { hasText: 'Re-sync this profile now' }).click();
    await expect(page.locator('.resync li').textContent()).resolves.toBe('export-newsletter / news1: updated');
  });

  it("lists the account's audiences with their merge fields", async () => {
    await page.goto(`${world.console.url}/connections/newsletter/audiences`);
    const row = page.locator('tr[data-audience=news1]');
    await expect(row.locator('.fields').textContent()).resolves.toContain('FNAME First name (text)');
    await screenshot('audiences');
  });
});

describe('Run now and Test', () => {
  it('Test shows a dry run with its counts and writes no history', async () => {
    const before = (await world.stores.state.listRuns({ connectionId: 'newsletter' })).length;
    await page.goto(`${world.console.url}/`);
    await page.locator('tr[data-connection=newsletter] button', { hasText: 'Test' }).click();
    await page.locator('section.report').waitFor();
    await expect(page.locator('.headline').textContent()).resolves.toContain('Dry run (nothing written)');
    expect((await world.stores.state.listRuns({ connectionId: 'newsletter' })).length).toBe(before);
  });

  it('Run now shows the progress, then the report, and the new run appears in the history', async () => {
    await world.stores.profiles.upsertProfiles([profile(1, 'reader1@example.org', 'Another Name', new Date())]);
    await page.goto(`${world.console.url}/`);
    // Slower answers keep the run going after its page is shown, so the page follows it over its event stream
    // and reloads itself with the report when it ends (the test does not reload).
    world.sandbox.admin.setFaults({ latencyMs: 100 });
    try {
      await page.locator('tr[data-connection=newsletter] button', { hasText: 'Run now' }).click();
      await page.locator('section.report').waitFor();
    } finally {
      world.sandbox.admin.setFaults({});
    }
    await expect(page.locator('ul.progress').textContent()).resolves.toMatch(/export-newsletter: [1-9]\d* (of \d+ )?profiles processed/);
    await screenshot('run-now');
    // The feed the page followed: the state and the progress lines, the last event once the run ended.
    const feed = await (await page.request.get(`${page.url().replace('/live-runs/', '/api/live-runs/')}/events`)).text();
    expect(feed).toMatch(/^data: \{"state":"ended","progress":\["export-newsletter: [1-9]\d* (of \d+ )?profiles processed"\]\}$/m);
    const [newest] = await world.stores.state.listRuns({ connectionId: 'newsletter', limit: 1 });
    expect(newest.goals[0].audiences[0].updated).toBe(1);
    await page.goto(`${world.console.url}/connections/newsletter/history`);
    await expect(page.locator('table.runs tbody tr').first().textContent()).resolves.toContain(newest.runId);
    const runs = await world.stores.state.listRuns({ connectionId: 'newsletter' });
    expect((await chartSeries(page)).updated).toEqual(runs.map((run) => run.goals[0].audiences[0].updated).reverse());
  });
});

describe('Connect with Mailchimp', () => {
  it('completes the OAuth flow against the sandbox and stores the token where the connection references it; the connection then runs with it', async () => {
    expect(world.env[TOKEN_VARIABLE]).toBeUndefined();
    await page.goto(`${world.console.url}/`);
    await page.locator('tr[data-connection=newsletter-oauth] button', { hasText: 'Connect with Mailchimp' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${world.sandbox.url}/oauth2/authorize?`));
    await page.locator('#allow').click();
    await expect(page.locator('.connected').textContent()).resolves.toBe('Connected to the Mailchimp account Newsletter account (data centre us1).');
    await screenshot('connected');
    const token = world.env[TOKEN_VARIABLE]!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(await readFile(world.secretsFile, 'utf8')).toBe(`${TOKEN_VARIABLE}=${token}\n`);
    expect((await stat(world.secretsFile)).mode & 0o777).toBe(0o600);
    expect(await page.content()).not.toContain(token);

    await page.locator('a', { hasText: 'Back to the connections' }).click();
    await page.locator('tr[data-connection=newsletter-oauth] button', { hasText: 'Run now' }).click();
    await page.locator('section.report').waitFor();
    await expect(page.locator('.headline .status').textContent()).resolves.toBe('succeeded');
    expect(await page.content()).not.toContain(token);
  });

  it('refuses a callback that no flow of this browser started', async () => {
    const answer = await page.request.get(`${world.console.url}/oauth/mailchimp/callback?code=any&state=made-up`);
    expect(answer.status()).toBe(400);
    await expect(answer.text()).resolves.toContain('does not belong to a connection started from this browser');
  });
});

describe('login throttling', () => {
  it('pauses logins after 10 failed ones in a minute, even for the right password', async () => {
    const post = (password: string, headers: Record<string, string> = {}, token = 'none') =>
      fetch(`${world.console.url}/login`, { method: 'POST', redirect: 'manual', headers, body: new URLSearchParams({ _csrf: token, password, next: '/' }) });
    // The earlier tests' failed logins count too: at most 10 more are refused as wrong before logins pause.
    let refused = 0;
    while ((await post(`guess number ${refused}`)).status === 401) expect(++refused).toBeLessThanOrEqual(10);
    const form = await fetch(`${world.console.url}/login`);
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    expect((await post(PASSWORD, { cookie: form.headers.get('set-cookie')!.split(';')[0] }, token)).status).toBe(429);
  });
});

describe('secrets', () => {
  it('appear in none of the pages captured: API key, access token, client secret, password', () => {
    const secrets = [world.env.MAILCHIMP_API_KEY!, world.env[TOKEN_VARIABLE]!, OAUTH_APP.clientSecret, PASSWORD];
    expect(captured.length).toBeGreaterThanOrEqual(7);
    for (const html of captured) for (const secret of secrets) expect(html).not.toContain(secret);
  });
});
