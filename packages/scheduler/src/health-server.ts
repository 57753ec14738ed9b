import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectorChecks, type ConnectorChecksOptions } from './connector-checks.js';
import type { JobStore } from './job-stores.js';
import { Readiness, type ReadinessOptions } from './readiness.js';
import type { SchedulerWorker } from './scheduler-worker.js';
import { WorkerMetrics, type RunFeed } from './worker-metrics.js';

export interface HealthServerOptions extends ConnectorChecksOptions, ReadinessOptions {
  /** Default 127.0.0.1: listening on other interfaces is the operator's explicit choice. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  worker: Pick<SchedulerWorker, 'liveness'>;
  /** The runs to count: the run service the worker runs through. */
  runs: RunFeed;
  /** The worker's jobs; their database is the one readiness pings (the CLI keeps its stores there too). */
  jobs: JobStore;
}

/** What the endpoints answer from. */
interface Probes {
  worker: Pick<SchedulerWorker, 'liveness'>;
  readiness: Readiness;
  metrics: WorkerMetrics;
}

export interface HealthServer {
  /** Where it listens, e.g. `http://127.0.0.1:9464`. */
  url: string;
  close(): Promise<void>;
}

/**
 * The worker's probes and metrics over HTTP: `GET /healthz` (liveness: the worker loop is alive), `GET /readyz`
 * (readiness: the database answers a ping and each connector's credentials check passes; 503 otherwise, each check's
 * result in the JSON body) and `GET /metrics` (Prometheus text format, counted from the runs' reports).
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const metrics = new WorkerMetrics(options.runs);
  const probes: Probes = {
    worker: options.worker,
    readiness: new Readiness({ store: () => options.jobs.ping(), ...connectorChecks(options) }, options),
    metrics,
  };
  const server = createServer((request, response) => {
    respond(request, probes).then(
      (answer) => send(response, answer),
      // Nothing of an unexpected error goes out: it could name a server or a path.
      () => send(response, json(500, { error: 'internal error' })),
    );
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, host, () => resolve());
    });
  } catch (error) {
    metrics.close();
    throw error;
  }
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        metrics.close();
        server.close((error) => (error ? reject(error) : resolve()));
        // A prober's kept-alive connection must not hold the worker's shutdown.
        server.closeAllConnections();
      }),
  };
}

const JSON_TYPE = 'application/json; charset=utf-8';

interface Answer {
  status: number;
  type: string;
  body: string;
}

async function respond(request: IncomingMessage, { worker, readiness, metrics }: Probes): Promise<Answer> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (!['/healthz', '/readyz', '/metrics'].includes(path)) return json(404, { error: 'not found: the endpoints are /healthz, /readyz and /metrics' });
  if (request.method !== 'GET' && request.method !== 'HEAD') return json(405, { error: 'only GET' });
  switch (path) {
    case '/healthz': {
      const { alive, lastRefreshAt } = worker.liveness();
      return json(alive ? 200 : 503, { status: alive ? 'alive' : 'not alive', lastRefreshAt });
    }
    case '/readyz': {
      const { ready, checks } = await readiness.report();
      return json(ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks });
    }
    default:
      return { status: 200, type: metrics.contentType, body: await metrics.text() };
  }
}

function json(status: number, value: unknown): Answer {
  return { status, type: JSON_TYPE, body: `${JSON.stringify(value)}\n` };
}

function send(response: ServerResponse, { status, type, body }: Answer): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}
