export * from './embedded-mongo.js';
export { MongoProfileStore, type MongoProfileStoreOptions } from './mongo-profile-store.js';
export { MongoStateStore, STATE_COLLECTIONS } from './mongo-state-store.js';
export { StoreInputError } from '@cdp/sdk';
export { loadProfiles, loadProfilesFromNdjson, type ProfileFileRecord, type ProfileLoadOptions, type ProfileLoadResult } from './ndjson-loader.js';
export { ProfileLineError, readProfileRecord, type ProfileLine } from './ndjson-profile.js';
export { openMongoStores, type MongoStores } from './open-stores.js';
