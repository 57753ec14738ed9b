export { SchedulerWorker, type SchedulerWorkerOptions } from './scheduler-worker.js';
export { JOBS_COLLECTION, JOBS_TABLE, SCHEDULED_RUN_JOB } from './scheduled-run-job.js';
export { mongoJobs, postgresJobs, type JobStore } from './job-stores.js';
export { startHealthServer, type HealthServer, type HealthServerOptions } from './health-server.js';
export type { RunFeed } from './worker-metrics.js';
export type { ConnectorChecksOptions } from './connector-checks.js';
export type { ReadinessOptions } from './readiness.js';
