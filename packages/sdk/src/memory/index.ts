export { InMemoryProfileStore } from './in-memory-profile-store.js';
export { InMemoryStateStore } from './in-memory-state-store.js';
export { patchProfile } from './patch-profile.js';
export { StaticCatalog, type CatalogData } from './static-catalog.js';
