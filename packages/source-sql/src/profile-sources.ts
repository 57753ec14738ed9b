import { CdpError, hasSqlSource, InvalidConfigError, type Connection, type ExportGoal, type ProfileStore, type SecretRef } from '@cdp/sdk';
import type { SqlDatabase, SqlDialect } from './dialect.js';
import { postgresDialect } from './postgres.js';
import { SqlProfileSource, type SourcedGoal } from './sql-profile-source.js';

/** The profile sources of one run, open and checked; closed when the run ends. */
export interface OpenSources {
  /** The store the goal reads from, or undefined when it reads the CDP's profile store. */
  profilesFor(goal: ExportGoal): ProfileStore | undefined;
  close(): Promise<void>;
}

/** Opens the sources a run's goals read from (the composition root's view of this package). */
export interface ProfileSources {
  /**
   * Connects to the databases the goals name and checks each goal's source against its database (SQL, columns,
   * types, rules), before the run reads or writes anything. A problem refuses the run (InvalidConfigError naming
   * the goal and the column); a database that cannot be reached throws CdpError('source_unavailable').
   */
  open(connection: Connection, goals: readonly Connection['goals'][number][], secret: (ref: SecretRef) => string): Promise<OpenSources>;
}

const NONE: OpenSources = { profilesFor: () => undefined, close: async () => undefined };

/** The goals a run with these options runs: the named ones, or every enabled one. */
export function goalsToRun(connection: Connection, goalIds?: readonly string[]): Connection['goals'] {
  return goalIds?.length ? connection.goals.filter((goal) => goalIds.includes(goal.id)) : connection.goals.filter((goal) => goal.enabled !== false);
}

/** SQL databases as profile sources: PostgreSQL, or the dialects given. */
export function sqlProfileSources(dialects: readonly SqlDialect[] = [postgresDialect]): ProfileSources {
  return {
    async open(connection, goals, secret) {
      const sourced = goals.filter(hasSqlSource);
      if (sourced.length === 0) return NONE;
      const databases = new Map<string, SqlDatabase>();
      const sources = new Map<string, SqlProfileSource>();
      const close = async (): Promise<void> => {
        await Promise.allSettled([...databases.values()].map((db) => db.close()));
      };
      try {
        for (const goal of sourced) {
          const name = goal.source.database;
          const dialect = dialectOf(connection, name, dialects);
          let db = databases.get(name);
          if (!db) {
            db = dialect.open(checkedUrl(connection, name, dialect, secret));
            databases.set(name, db);
          }
          const index = connection.goals.indexOf(goal);
          sources.set(goal.id, new SqlProfileSource(db, dialect, goal as SourcedGoal, `/goals/${index}`));
        }
        const problems = [];
        for (const source of sources.values()) {
          try {
            await source.check();
          } catch (error) {
            if (!(error instanceof InvalidConfigError)) throw error;
            problems.push(...error.problems);
          }
        }
        if (problems.length > 0) throw new InvalidConfigError(problems);
      } catch (error) {
        await close();
        throw error;
      }
      return { profilesFor: (goal) => sources.get(goal.id), close };
    },
  };
}

function dialectOf(connection: Connection, name: string, dialects: readonly SqlDialect[]): SqlDialect {
  const engine = connection.databases?.[name]?.engine ?? 'postgresql';
  const dialect = dialects.find((d) => d.engine === engine);
  if (!dialect) throw new InvalidConfigError([{ pointer: `/databases/${name}/engine`, message: `no SQL dialect "${engine}" is registered` }]);
  return dialect;
}

/** The database's URL from its secret, refused (without being quoted) when it is not one the dialect connects to. */
function checkedUrl(connection: Connection, name: string, dialect: SqlDialect, secret: (ref: SecretRef) => string): string {
  const database = connection.databases?.[name];
  if (!database) throw new CdpError('unknown_database', `the connection defines no database "${name}"`);
  const url = secret(database.url);
  let scheme: string | undefined;
  try {
    scheme = new URL(url).protocol;
  } catch {
    scheme = undefined;
  }
  if (scheme === undefined || !dialect.schemes.includes(scheme)) {
    throw new InvalidConfigError([
      { pointer: `/databases/${name}/url`, message: `the variable ${database.url.env} does not hold a ${dialect.engine} URL (${dialect.schemes.map((s) => `${s}//…`).join(' or ')})` },
    ]);
  }
  return url;
}
