export * from './connection-source.js';
export * from './container.js';
export * from './diagnosis.js';
export * from './email-notifier.js';
export * from './run-service.js';
export * from './secrets.js';
export * from './tokens.js';
export * from './webhook-notifier.js';
