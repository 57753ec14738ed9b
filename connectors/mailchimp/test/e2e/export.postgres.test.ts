import { runWorldsOn } from './world.js';

// The export goal's end-to-end tests of export.test.ts, again with the stores on PostgreSQL.
runWorldsOn('PostgreSQL');
await import('./export.test.js');
