import { SchedulerWorker } from '@cdp/scheduler';
import { nextRuns, type Connection } from '@cdp/sdk';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { FileConnectionSource, readConnectionPaths } from '../connection-files.js';
import { ExitCode } from '../exit-codes.js';
import { validateConnectionFile, withHost } from '../host.js';
import { interrupted } from '../signals.js';

/** `cdp schedule <connection.json…>`: a scheduler worker running the connections' schedules until interrupted. */
export const schedule: Handler<object, [string[]]> = async ({ ctx, globals }, paths) => {
  const catalog = await readCatalogFile(globals.catalog);
  // Refuse a bad config at start; later edits are re-validated at every refresh and logged when refused.
  const connections: Connection[] = [];
  for (const file of await readConnectionPaths(paths)) connections.push(await validateConnectionFile(file, catalog.catalog));
  return withHost(ctx, { catalog, connections: new FileConnectionSource(paths) }, async ({ service, stores }) => {
    const worker = new SchedulerWorker({
      jobs: stores.jobs,
      connections: () => service.validConnections(),
      state: stores.state,
      run: (connectionId, trigger) => service.runNow(connectionId, { trigger }),
      logger: ctx.logger,
    });
    // Listening before saying "started": a signal sent as soon as the line appears must stop cleanly.
    const stopRequested = interrupted();
    await worker.start();
    const now = new Date();
    ctx.output.line(`Scheduler worker started for ${connections.length} connection(s); Ctrl-C stops it.`);
    for (const connection of connections) {
      const [next] = connection.enabled && connection.schedule ? nextRuns(connection.schedule, now, 1) : [];
      ctx.output.line(`  ${connection.id}: ${next ? `next run ${next.toISOString()}` : connection.enabled ? 'no schedule' : 'disabled'}`);
    }
    await stopRequested;
    ctx.output.line('Stopping: waiting for the runs in progress.');
    await worker.stop();
    return ExitCode.ok;
  });
};
