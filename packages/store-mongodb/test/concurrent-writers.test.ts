import { describeConcurrentStoresContract } from '../../sdk/testing/concurrent-stores-contract.js';
import { TestClock } from '../../sdk/testing/store-contract.js';
import { MongoProfileStore } from '../src/mongo-profile-store.js';
import { MongoStateStore } from '../src/mongo-state-store.js';
import { startTestMongo } from './support.js';

/** Two stores on two separate MongoClients. */
describeConcurrentStoresContract('MongoDB', async () => {
  const mongo = await startTestMongo('concurrent');
  const clock = new TestClock();
  /** Conditional updates that matched nothing: a writer found the profile changed since it read it. */
  let missedUpdates = 0;
  const clients = [await mongo.connect({ monitorCommands: true }), await mongo.connect({ monitorCommands: true })];
  for (const client of clients) {
    client.on('commandSucceeded', (event) => {
      if (event.commandName === 'update' && (event.reply as { n?: number }).n === 0) missedUpdates++;
    });
  }
  const [first, second] = clients.map((client) => client.db(mongo.database));
  const profiles: [MongoProfileStore, MongoProfileStore] = [new MongoProfileStore(first, { uniqueIdentifiers: ['email'] }), new MongoProfileStore(second, { uniqueIdentifiers: ['email'] })];
  const states: [MongoStateStore, MongoStateStore] = [new MongoStateStore(first, { clock }), new MongoStateStore(second, { clock })];
  await profiles[0].init();
  await states[0].init();
  // The compare-and-set retry path is what keeps the totals exact, so the writers must have collided.
  return { profiles, states, clock, collided: () => missedUpdates > 0, close: () => mongo.stop() };
});
