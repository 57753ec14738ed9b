import type { RunService } from '@cdp/runtime';
import { SchedulerWorker, type JobStore } from '@cdp/scheduler';
import type { Logger, StateStore } from '@cdp/sdk';

/** A worker as a host composes it over its run service, polling fast and holding fired jobs briefly, for tests. */
export function workerOver(service: RunService, stores: { jobs: JobStore; state: StateStore }, logger: Logger): SchedulerWorker {
  return new SchedulerWorker({
    jobs: stores.jobs,
    connections: () => service.validConnections(),
    state: stores.state,
    run: (connectionId, trigger) => service.runNow(connectionId, { trigger }),
    lockLifetimeMs: 1_000,
    pollMs: 200,
    logger,
  });
}
