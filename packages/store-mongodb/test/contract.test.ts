import { describeProfileStoreContract, describeStateStoreContract, TestClock } from '../../sdk/testing/store-contract.js';
import { MongoProfileStore } from '../src/mongo-profile-store.js';
import { MongoStateStore } from '../src/mongo-state-store.js';
import { startTestMongo } from './support.js';

describeProfileStoreContract('MongoDB over the wire', async () => {
  const mongo = await startTestMongo('profile_contract');
  const client = await mongo.connect();
  const clock = new TestClock();
  const store = new MongoProfileStore(client.db(mongo.database), { uniqueIdentifiers: ['email'], clock });
  await store.init();
  return { store, clock, close: () => mongo.stop() };
});

describeStateStoreContract('MongoDB over the wire', async () => {
  const mongo = await startTestMongo('state_contract');
  const client = await mongo.connect();
  const clock = new TestClock();
  const store = new MongoStateStore(client.db(mongo.database), { clock });
  await store.init();
  return { store, clock, close: () => mongo.stop() };
});
