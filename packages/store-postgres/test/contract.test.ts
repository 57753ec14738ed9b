import { describeProfileStoreContract, describeStateStoreContract, TestClock } from '../../sdk/testing/store-contract.js';
import { PostgresProfileStore } from '../src/postgres-profile-store.js';
import { PostgresStateStore } from '../src/postgres-state-store.js';
import { startTestPostgres } from './support.js';

describeProfileStoreContract('PostgreSQL', async () => {
  const postgres = await startTestPostgres('profile_contract');
  const clock = new TestClock();
  const pool = postgres.connect();
  const store = new PostgresProfileStore(pool, { uniqueIdentifiers: ['email'], clock });
  await store.init();
  return { store, clock, deleteProfiles: async (ids) => void (await pool.query('DELETE FROM profiles WHERE id = ANY($1)', [ids])), close: () => postgres.stop() };
});

describeStateStoreContract('PostgreSQL', async () => {
  const postgres = await startTestPostgres('state_contract');
  const clock = new TestClock();
  const store = new PostgresStateStore(postgres.connect(), { clock });
  await store.init();
  return { store, clock, close: () => postgres.stop() };
});
