export { ROUTE_TEMPLATES, startSandbox } from './server.js';
export { subscriberHash } from './email.js';
export { assertValidSeed } from './seed-validation.js';
export type * from './types.js';
