import { SchedulerWorker, startHealthServer, type HealthServer, type JobStore } from '@cdp/scheduler';
import { nextRuns, type Connection } from '@cdp/sdk';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { FileConnectionSource, readConnectionPaths } from '../connection-files.js';
import { CONNECTORS, validateConnectionFile } from '../connectors.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { withHost, type Host } from '../host.js';
import { interrupted } from '../signals.js';

interface ScheduleFlags {
  metricsPort?: string;
  metricsHost: string;
}

/** `cdp schedule <connection.json…>`: a scheduler worker running the connections' schedules until interrupted. */
export const schedule: Handler<ScheduleFlags, [string[]]> = async ({ ctx, globals, options }, paths) => {
  const metricsPort = options.metricsPort === undefined ? undefined : portNumber(options.metricsPort);
  const catalog = await readCatalogFile(globals.catalog);
  // Refuse a bad config at start; later edits are re-validated at every refresh and logged when refused.
  const connections: Connection[] = [];
  for (const file of await readConnectionPaths(paths)) connections.push(await validateConnectionFile(file, catalog.catalog));
  return withHost(ctx, { catalog, connections: new FileConnectionSource(paths) }, async (host) => {
    const { service, stores } = host;
    const jobs = await stores.jobs();
    const worker = new SchedulerWorker({
      jobs,
      connections: () => service.validConnections(),
      state: stores.state,
      run: (connectionId, trigger) => service.runNow(connectionId, { trigger }),
      logger: ctx.logger,
    });
    // Listening before saying "started": a signal sent as soon as the line appears must stop cleanly.
    const stopRequested = interrupted();
    // The endpoints first: a port already in use stops the command before the worker takes any job.
    const health = metricsPort === undefined ? undefined : await startHealth(ctx, host, jobs, worker, metricsPort, options.metricsHost);
    let stopDigests: (() => void) | undefined;
    try {
      await worker.start();
      // Email targets' daily digests: each claimed once in the state store, so any number of workers may send them.
      stopDigests = service.startDigests();
      const now = new Date();
      ctx.output.line(`Scheduler worker started for ${connections.length} connection(s); Ctrl-C stops it.`);
      for (const connection of connections) {
        const [next] = connection.enabled && connection.schedule ? nextRuns(connection.schedule, now, 1) : [];
        ctx.output.line(`  ${connection.id}: ${next ? `next run ${next.toISOString()}` : connection.enabled ? 'no schedule' : 'disabled'}`);
      }
      if (health) ctx.output.line(`Health and metrics: ${health.url}/healthz, ${health.url}/readyz, ${health.url}/metrics`);
      await stopRequested;
      ctx.output.line('Stopping: waiting for the runs in progress.');
      await worker.stop();
    } finally {
      stopDigests?.();
      await health?.close();
    }
    return ExitCode.ok;
  });
};

/** `--metrics-port`: the worker's liveness, readiness (database, and each connection's Mailchimp account) and metrics. */
function startHealth(ctx: CliContext, { service }: Host, jobs: JobStore, worker: SchedulerWorker, port: number, host: string): Promise<HealthServer> {
  return startHealthServer({
    host,
    port,
    worker,
    runs: service,
    jobs,
    connectors: CONNECTORS,
    connections: () => service.validConnections(),
    context: { secret: (ref) => ctx.secrets.secret(ref), logger: ctx.logger },
  });
}

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new CliError(`--metrics-port must be a port number, got "${value}"`, ExitCode.badInput);
  return port;
}
