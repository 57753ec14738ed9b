export * from './embedded-postgres.js';
export { PostgresProfileStore, type PostgresProfileStoreOptions } from './postgres-profile-store.js';
export { PostgresStateStore } from './postgres-state-store.js';
export { STATE_TABLES } from './schema.js';
export { createPool, openPostgresStores, type PostgresStores } from './open-stores.js';
