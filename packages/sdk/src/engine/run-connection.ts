import { randomUUID } from 'node:crypto';
import type { Connection, ExportGoal, ImportGoal } from '../config/generated-types.js';
import type { AudienceInfo, ConnectContext, Connector, ConnectorSession } from '../connector.js';
import { AlreadyRunningError, CdpError, InvalidConfigError, type ConfigProblem } from '../errors.js';
import type { Catalog } from '../ports/catalog.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { Clock, Logger } from '../ports/runtime-services.js';
import type { StateStore } from '../ports/state-store.js';
import type { GoalReport, RunReport, RunStatus, RunTrigger } from '../report.js';
import { runExportGoal } from './export-goal.js';
import type { GoalContext, GoalOutcome, RunOptions } from './goal-context.js';
import { runImportGoal } from './import-goal.js';

/** The services a run needs; the composition root (or a test) provides them. */
export interface RunDependencies {
  connector: Connector;
  profiles: ProfileStore;
  state: StateStore;
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  secret: ConnectContext['secret'];
}

export interface RunRequest extends RunOptions {
  trigger: RunTrigger;
  /** Who holds the lock (process + run); defaults to a fresh id. */
  owner?: string;
  /** Lock lease; renewed every third of it while the run is alive. */
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 60_000;

/**
 * Runs a validated connection once: takes the connection's lock (a second run is refused, not queued), runs
 * every goal in isolation (one failing goal does not stop the others), records the run in the history and
 * releases the lock. A dry run takes no lock and writes nothing.
 */
export async function runConnection(connection: Connection, deps: RunDependencies, request: RunRequest): Promise<RunReport> {
  const runId = randomUUID();
  const owner = request.owner ?? `run-${runId}`;
  const leaseMs = request.leaseMs ?? DEFAULT_LEASE_MS;
  const dryRun = request.dryRun ?? false;
  const { state, clock } = deps;

  if (!dryRun) {
    const lock = await state.acquireLock(connection.id, owner, leaseMs);
    if (!lock.acquired) throw new AlreadyRunningError(connection.id, lock.since);
  }
  const lost = new AbortController();
  const heartbeat = dryRun ? undefined : startHeartbeat(deps, connection.id, owner, leaseMs, lost);
  const report: RunReport = {
    runId,
    connectionId: connection.id,
    trigger: request.trigger,
    dryRun,
    status: 'running',
    startedAt: clock.now(),
    goals: [],
    apiCalls: 0,
    retries: 0,
    dataExchange: { imported: 0, exported: 0 },
  };
  let session: ConnectorSession | undefined;
  let refused: InvalidConfigError | undefined;
  try {
    session = await deps.connector.connect(connection.auth, { secret: deps.secret, logger: deps.logger });
    const audiences = await knownAudiences(session, connection);
    if (!dryRun) {
      await closeInterruptedRuns(state, connection.id, report.startedAt);
      await state.saveRun(report);
    }
    const context: GoalContext = { ...deps, connection, session, audiences, options: request, signal: lost.signal };
    for (const goal of selectGoals(connection, request)) {
      // A run that lost its lock starts no further goal: another run owns the connection now.
      if (lost.signal.aborted) throw new CdpError('lock_lost', 'the run lost its lock to another run; remaining goals were not run');
      report.goals.push(await runGoal(context, goal));
    }
    report.status = overallStatus(report.goals);
  } catch (error) {
    // A config naming audiences the account lacks is refused like any invalid config: no run is recorded.
    if (error instanceof InvalidConfigError) refused = error;
    report.status = 'failed';
    report.error = describe(error);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    if (session) Object.assign(report, session.stats());
    await session?.close();
    report.endedAt = clock.now();
    report.dataExchange = {
      imported: await state.countExchanged(connection.id, 'imported'),
      exported: await state.countExchanged(connection.id, 'exported'),
    };
    if (!dryRun && !refused) await state.saveRun(report);
    if (!dryRun) await state.releaseLock(connection.id, owner);
  }
  if (refused) throw refused;
  deps.logger.log(report.status === 'succeeded' ? 'info' : 'warn', `run ${report.status}`, { connectionId: connection.id, runId });
  return report;
}

/**
 * The audiences the goals name, read once for the run; refuses the config when the account lacks any, before
 * anything is written.
 */
async function knownAudiences(session: ConnectorSession, connection: Connection): Promise<AudienceInfo[]> {
  const named = connection.goals.flatMap((goal, g) =>
    goal.kind === 'export'
      ? goal.audiences.map((id, a) => ({ id, pointer: `/goals/${g}/audiences/${a}` }))
      : goal.audiences.map(({ id }, a) => ({ id, pointer: `/goals/${g}/audiences/${a}/id` })),
  );
  const audiences = await session.audiences([...new Set(named.map(({ id }) => id))]);
  const known = new Set(audiences.map((audience) => audience.id));
  const problems: ConfigProblem[] = named
    .filter(({ id }) => !known.has(id))
    .map(({ id, pointer }) => ({ pointer, message: `unknown audience "${id}": the account has none with this id` }));
  if (problems.length > 0) throw new InvalidConfigError(problems);
  return audiences;
}

/** How far back a new run looks for runs a killed process left marked as running. */
const INTERRUPTED_LOOKBACK = 20;

/** Runs still marked running when a run holds the lock were interrupted: their process ended mid-run. */
async function closeInterruptedRuns(state: StateStore, connectionId: string, now: Date): Promise<void> {
  for (const run of await state.listRuns({ connectionId, limit: INTERRUPTED_LOOKBACK })) {
    if (run.status !== 'running') continue;
    await state.saveRun({ ...run, status: 'failed', endedAt: now, error: 'interrupted: the process ended before the run finished' });
  }
}

function selectGoals(connection: Connection, { goalIds, profileIds }: RunRequest): (ImportGoal | ExportGoal)[] {
  // A re-sync of named profiles pushes them out; imports have nothing to do with it.
  const enabled = connection.goals.filter((goal) => goal.enabled !== false && (profileIds === undefined || goal.kind === 'export'));
  if (!goalIds?.length) return enabled;
  const unknown = goalIds.filter((id) => !connection.goals.some((goal) => goal.id === id));
  if (unknown.length > 0) throw new CdpError('unknown_goal', `connection ${connection.id} has no goal ${unknown.join(', ')}`);
  return connection.goals.filter((goal) => goalIds.includes(goal.id));
}

async function runGoal(ctx: GoalContext, goal: ImportGoal | ExportGoal): Promise<GoalReport> {
  const startedAt = ctx.clock.now();
  const before = ctx.session.stats();
  const outcome: GoalOutcome = goal.kind === 'import' ? await runImportGoal(ctx, goal) : await runExportGoal(ctx, goal);
  const after = ctx.session.stats();
  if (outcome.error) ctx.logger.log('error', `goal ${goal.id} failed`, { error: describe(outcome.error) });
  return {
    goalId: goal.id,
    kind: goal.kind,
    status: outcome.error ? 'failed' : 'succeeded',
    ...(outcome.error ? { error: describe(outcome.error) } : {}),
    audiences: outcome.audiences,
    apiCalls: after.apiCalls - before.apiCalls,
    retries: after.retries - before.retries,
    startedAt,
    durationMs: ctx.clock.now().getTime() - startedAt.getTime(),
  };
}

function overallStatus(goals: GoalReport[]): RunStatus {
  const failed = goals.filter((goal) => goal.status === 'failed').length;
  if (failed === 0) return 'succeeded';
  return failed === goals.length ? 'failed' : 'partial';
}

/** Renews the lease; when renewal fails the lock is gone, and the run stops between batches. */
function startHeartbeat(deps: RunDependencies, connectionId: string, owner: string, leaseMs: number, lost: AbortController): NodeJS.Timeout {
  const timer = setInterval(() => {
    deps.state.renewLock(connectionId, owner, leaseMs).then(
      (held) => {
        if (!held) lost.abort();
      },
      (error: unknown) => deps.logger.log('warn', 'lock renewal failed', { error: describe(error) }),
    );
  }, leaseMs / 3);
  timer.unref();
  return timer;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
