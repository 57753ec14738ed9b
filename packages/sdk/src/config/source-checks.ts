import type { ConfigProblem } from '../errors.js';
import type { Connection, ExportGoal, SqlSource } from './generated-types.js';

type At = (...segments: (string | number)[]) => string;

/**
 * What a goal reading a SQL source may name: its database must be one of the connection's, its consent
 * objectives the connection's own, and its mappings only the properties the source maps. The CDP's catalog does
 * not apply: the segment, identifier and properties are the source's. Columns are checked against the database
 * itself before a run (the source's own check), since only the database knows them.
 */
export function sourceProblems(connection: Connection, goal: ExportGoal & { source: SqlSource }, at: At): ConfigProblem[] {
  const { source } = goal;
  const problems: ConfigProblem[] = [];
  if ((source.table === undefined) === (source.query === undefined)) {
    problems.push({ pointer: at('source'), message: `goal "${goal.id}": give the source either a "table" or a "query", not ${source.table === undefined ? 'neither' : 'both'}` });
  }
  if (source.schema !== undefined && source.table === undefined) {
    problems.push({ pointer: at('source', 'schema'), message: `goal "${goal.id}": "schema" goes with a "table"; a query names its own tables` });
  }
  const databases = Object.keys(connection.databases ?? {});
  if (!databases.includes(source.database)) {
    const known = databases.length > 0 ? ` (databases: ${databases.join(', ')})` : ' (the connection defines no "databases")';
    problems.push({ pointer: at('source', 'database'), message: `goal "${goal.id}": unknown database "${source.database}"${known}` });
  }
  (source.consent.objectives ?? []).forEach((objective, k) => {
    if (!connection.objectives.includes(objective)) {
      problems.push({ pointer: at('source', 'consent', 'objectives', k), message: `"${objective}" is not one of the connection's objectives (objectives: ${connection.objectives.join(', ')})` });
    }
  });
  const properties = Object.keys(source.columns.properties ?? {});
  if (properties.includes(goal.identifier)) {
    problems.push({
      pointer: at('source', 'columns', 'properties', goal.identifier),
      message: `goal "${goal.id}": "${goal.identifier}" is the goal's identifier, which holds the email column; map this column to another property name`,
    });
  }
  const readable = [goal.identifier, ...properties];
  goal.mappings.forEach((mapping, m) => {
    if (mapping.source === 'property' && !readable.includes(mapping.property)) {
      problems.push({ pointer: at('mappings', m, 'property'), message: `goal "${goal.id}": the SQL source maps no property "${mapping.property}" (properties: ${readable.join(', ')})` });
    }
  });
  if (goal.lifecycleStage) problems.push({ pointer: at('lifecycleStage'), message: `goal "${goal.id}": profiles read from a SQL source have no lifecycles` });
  if (goal.lifecycleThreshold) problems.push({ pointer: at('lifecycleThreshold'), message: `goal "${goal.id}": profiles read from a SQL source have no lifecycles to count touchpoints for` });
  return problems;
}

/** The goals a SQL source feeds. */
export function hasSqlSource(goal: Connection['goals'][number]): goal is ExportGoal & { source: SqlSource } {
  return goal.kind === 'export' && goal.source !== undefined;
}
