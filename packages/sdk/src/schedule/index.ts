export { nextRuns, NEXT_RUNS_HORIZON_YEARS } from './next-runs.js';
