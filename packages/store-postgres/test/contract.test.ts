import { describeProfileStoreContract, describeStateStoreContract, TestClock } from '../../sdk/testing/store-contract.js';
import { PostgresProfileStore } from '../src/postgres-profile-store.js';
import { PostgresStateStore } from '../src/postgres-state-store.js';
import { startTestPostgres } from './support.js';

describeProfileStoreContract('PostgreSQL', async () => {
  const postgres = await startTestPostgres('profile_contract');
  const clock = new TestClock();
  const store = new PostgresProfileStore(postgres.connect(), { uniqueIdentifiers: ['email'], clock });
  await store.init();
  return { store, clock, close: () => postgres.stop() };
});

describeStateStoreContract('PostgreSQL', async () => {
  const postgres = await startTestPostgres('state_contract');
  const clock = new TestClock();
  const store = new PostgresStateStore(postgres.connect(), { clock });
  await store.init();
  return { store, clock, close: () => postgres.stop() };
});
