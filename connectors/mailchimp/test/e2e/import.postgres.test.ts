import { runWorldsOn } from './world.js';

// The import goal's end-to-end tests of import.test.ts, again with the stores on PostgreSQL.
runWorldsOn('PostgreSQL');
await import('./import.test.js');
