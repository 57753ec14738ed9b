import { streamSSE } from 'hono/streaming';
import type { ConsoleApp, ConsoleContext } from '../console.js';
import { listConnections } from '../connections.js';
import { page } from '../html.js';
import type { LiveRunView } from '../live-runs.js';
import { connectionsPage } from '../pages/connections.js';
import { historyPage } from '../pages/history.js';
import { liveRunPage, progressLine } from '../pages/live-run.js';
import { reportView } from '../pages/report.js';

/** The history periods the page offers. */
const PERIODS: Record<string, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000, '90d': 90 * 86_400_000 };
const DEFAULT_PERIOD = '30d';
/** Runs shown on the history page at most. */
const HISTORY_LIMIT = 200;
/** Runs searched for a run's report by its id. */
const REPORT_SEARCH_DEPTH = 1000;

/** What the live page's script receives: the progress lines, and the state. */
function liveEvent(view: LiveRunView): string {
  return JSON.stringify({ state: view.state, progress: view.progress.map(progressLine), error: view.error });
}

export function runRoutes(app: ConsoleApp, context: ConsoleContext): void {
  const { service, stores, liveRuns } = context;

  app.get('/', async (c) => {
    const listed = await listConnections(context.connections, service);
    const rows = await Promise.all(listed.map(async (entry) => ({ listed: entry, lastRun: (await stores.state.listRuns({ connectionId: entry.id, limit: 1 }))[0] })));
    return c.html(connectionsPage(rows, c.get('session').csrf, context.oauth !== undefined, new Date()));
  });

  app.get('/connections/:id/history', async (c) => {
    const connectionId = c.req.param('id');
    const since = c.req.query('since') ?? DEFAULT_PERIOD;
    const period = PERIODS[since] ?? PERIODS[DEFAULT_PERIOD];
    const runs = await stores.state.listRuns({ connectionId, since: new Date(Date.now() - period), limit: HISTORY_LIMIT });
    return c.html(historyPage(connectionId, runs, since in PERIODS ? since : DEFAULT_PERIOD, c.get('session').csrf));
  });

  app.get('/connections/:id/runs/:runId', async (c) => {
    const connectionId = c.req.param('id');
    const run = (await stores.state.listRuns({ connectionId, limit: REPORT_SEARCH_DEPTH })).find((candidate) => candidate.runId === c.req.param('runId'));
    if (!run) return c.notFound();
    return c.html(page({ title: `Run of ${connectionId}`, csrf: c.get('session').csrf, connectionId }, reportView(run)));
  });

  for (const [action, dryRun] of [['test', true], ['run', false]] as const) {
    app.post(`/connections/:id/${action}`, (c) => {
      const view = liveRuns.start(c.req.param('id'), dryRun);
      return c.redirect(`/live-runs/${view.id}`, 303);
    });
  }

  app.get('/live-runs/:id', (c) => {
    const view = liveRuns.get(c.req.param('id'));
    return view ? c.html(liveRunPage(view, c.get('session').csrf)) : c.notFound();
  });

  // The live page's feed: the state now, then every change, until the run ends.
  app.get('/api/live-runs/:id/events', (c) => {
    const view = liveRuns.get(c.req.param('id'));
    if (!view) return c.json({ error: 'no such run' }, 404);
    return streamSSE(c, async (stream) => {
      // A change that comes while an event is being written is sent right after it: `changed` remembers it.
      let changed = false;
      let aborted = false;
      let wake: () => void = () => undefined;
      const stop = liveRuns.follow(view.id, () => {
        changed = true;
        wake();
      });
      stream.onAbort(() => {
        aborted = true;
        wake();
      });
      try {
        for (;;) {
          changed = false;
          const running = view.state === 'running';
          await stream.writeSSE({ data: liveEvent(view) });
          if (aborted || !running) break;
          if (!changed) await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        stop();
      }
    });
  });
}
