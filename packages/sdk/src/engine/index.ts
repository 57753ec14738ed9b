export * from './goal-context.js';
export * from './run-connection.js';
export { IMPORT_OVERLAP_MS } from './import-goal.js';
export { periodKey } from './touchpoints.js';
