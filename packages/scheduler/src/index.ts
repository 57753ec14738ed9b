export { SchedulerWorker, type SchedulerWorkerOptions } from './scheduler-worker.js';
export { JOBS_COLLECTION, JOBS_TABLE, SCHEDULED_RUN_JOB } from './scheduled-run-job.js';
export { mongoJobs, postgresJobs, type JobStore } from './job-stores.js';
