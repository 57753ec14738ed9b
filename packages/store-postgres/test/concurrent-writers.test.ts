import { describeConcurrentStoresContract } from '../../sdk/testing/concurrent-stores-contract.js';
import { TestClock } from '../../sdk/testing/store-contract.js';
import { PostgresProfileStore } from '../src/postgres-profile-store.js';
import { PostgresStateStore } from '../src/postgres-state-store.js';
import { startTestPostgres } from './support.js';

/** Two stores on two separate pools. */
describeConcurrentStoresContract('PostgreSQL', async () => {
  const postgres = await startTestPostgres('concurrent');
  const clock = new TestClock();
  const [first, second] = [postgres.connect(), postgres.connect()];
  const profiles: [PostgresProfileStore, PostgresProfileStore] = [new PostgresProfileStore(first, { uniqueIdentifiers: ['email'] }), new PostgresProfileStore(second, { uniqueIdentifiers: ['email'] })];
  const states: [PostgresStateStore, PostgresStateStore] = [new PostgresStateStore(first, { clock }), new PostgresStateStore(second, { clock })];
  // Both initialise at once, as two processes starting together would.
  await Promise.all([profiles[0].init(), profiles[1].init(), states[0].init(), states[1].init()]);
  return { profiles, states, clock, close: () => postgres.stop() };
});
