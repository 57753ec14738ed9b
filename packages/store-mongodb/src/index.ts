export * from './embedded-mongo.js';
