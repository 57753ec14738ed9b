export { SchedulerWorker, type SchedulerWorkerOptions } from './scheduler-worker.js';
export { JOBS_COLLECTION, SCHEDULED_RUN_JOB } from './scheduled-run-job.js';
