export * from './dialect.js';
export { postgresDialect, SqlError } from './postgres.js';
export * from './profile-sources.js';
export { DEFAULT_OVERLAP_SECONDS, DEFAULT_TIMEOUT_SECONDS, SqlProfileSource, type SourcedGoal } from './sql-profile-source.js';
