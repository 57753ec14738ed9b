export { type ConnectorInfo } from './connector-checks.js';
export { CONNECTION_SCHEMA_ID, readSchemas, SCHEMAS_DIR, SchemaRegistry, schemaRegistry, type PrecompiledValidator, type SchemaValidation } from './schemas.js';
export * from './validate.js';
export { hasSqlSource } from './source-checks.js';
export { writeModeOf, type ExportWriteMode } from './goal-option-checks.js';
