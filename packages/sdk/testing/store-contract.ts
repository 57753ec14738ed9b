/** Contract suites every store implementation runs: the in-memory reference and the MongoDB stores alike. */
export { describeProfileStoreContract, makeProfile, type OpenedProfileStore } from './profile-store-contract.js';
export { describeStateStoreContract, type OpenedStateStore } from './state-store-contract.js';
export { TestClock } from './test-clock.js';
export { describeConcurrentStoresContract, type OpenedConcurrentStores } from './concurrent-stores-contract.js';
export { freshId } from './fresh-id.js';
