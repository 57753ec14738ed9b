export * from './embedded-mongo.js';
export { MongoProfileStore, type MongoProfileStoreOptions } from './mongo-profile-store.js';
export { MongoStateStore, STATE_COLLECTIONS } from './mongo-state-store.js';
export { StoreInputError } from '@cdp/sdk';
export { loadProfilesFromNdjson, type NdjsonLoadResult } from './ndjson-loader.js';
export { openMongoStores, type MongoStores } from './open-stores.js';
