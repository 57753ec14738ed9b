import { randomUUID } from 'node:crypto';
import type { Connection, ExportGoal, ImportGoal } from '../config/generated-types.js';
import type { AudienceInfo, ConnectContext, Connector, ConnectorSession, SharedLeases } from '../connector.js';
import { AlreadyRunningError, CdpError, InvalidConfigError, type ConfigProblem } from '../errors.js';
import type { Catalog } from '../ports/catalog.js';
import type { ProfileStore } from '../ports/profile-store.js';
import type { Clock, Logger, Notifier } from '../ports/runtime-services.js';
import type { StateStore } from '../ports/state-store.js';
import { redact } from '../logging/redact.js';
import type { GoalReport, RunReport, RunStatus, RunTrigger } from '../report.js';
import { runExportGoal } from './export-goal.js';
import { throwIfStopped, type GoalContext, type GoalOutcome, type RunOptions, type StopCause } from './goal-context.js';
import { runImportGoal } from './import-goal.js';
import { guardStore } from './store-guard.js';

/** The services a run needs; the composition root (or a test) provides them. */
export interface RunDependencies {
  connector: Connector;
  profiles: ProfileStore;
  state: StateStore;
  catalog: Catalog;
  clock: Clock;
  logger: Logger;
  /** Told of every recorded run; dry runs are not recorded. */
  notifier: Notifier;
  secret: ConnectContext['secret'];
  /** The store an export goal reads its profiles from when it is not `profiles` (a goal's SQL source). */
  profilesFor?(goal: ExportGoal): ProfileStore | undefined;
}

export interface RunRequest extends RunOptions {
  trigger: RunTrigger;
  /** Who holds the lock (process + run); defaults to a fresh id. */
  owner?: string;
  /** Lock lease; renewed every third of it while the run is alive. */
  leaseMs?: number;
  /**
   * Aborting it interrupts the run: goals stop between batches (a call in flight finishes and is recorded), and
   * the run is saved as interrupted and releases its lock.
   */
  signal?: AbortSignal;
}

export const DEFAULT_LEASE_MS = 60_000;

/**
 * Runs a validated connection once: takes the connection's lock (a second run is refused, not queued), runs
 * every goal in isolation (one failing goal does not stop the others), records the run in the history, releases
 * the lock and notifies. A config naming audiences the account lacks is recorded as refused, then thrown. A dry
 * run takes no lock, writes nothing and notifies no one.
 */
export async function runConnection(connection: Connection, given: RunDependencies, request: RunRequest): Promise<RunReport> {
  const deps: RunDependencies = { ...given, profiles: guardStore(given.profiles, 'profile store'), state: guardStore(given.state, 'state store') };
  const dryRun = request.dryRun ?? false;
  // A disabled connection is one its operator stopped: only a dry run may still look at it.
  if (connection.enabled === false && !dryRun) {
    throw new CdpError('connection_disabled', `connection ${connection.id} is disabled ("enabled": false): enable it to run it; a dry run (cdp test) still works`);
  }
  const report = newReport(connection.id, request.trigger, dryRun, deps.clock.now());
  const owner = request.owner ?? `run-${report.runId}`;
  const leaseMs = request.leaseMs ?? DEFAULT_LEASE_MS;
  const { state } = deps;

  if (!dryRun) {
    const lock = await state.acquireLock(connection.id, owner, leaseMs);
    if (!lock.acquired) throw new AlreadyRunningError(connection.id, lock.since);
  }
  const { stop, detach } = stopController(request.signal);
  const heartbeat = dryRun ? undefined : startHeartbeat(deps, connection.id, owner, leaseMs, stop);
  const secrets = secretsInUse(deps.secret);
  let session: ConnectorSession | undefined;
  let refused: InvalidConfigError | undefined;
  try {
    if (!dryRun) await closeInterruptedRuns(state, connection.id, report.startedAt);
    session = await deps.connector.connect(connection.auth, { secret: secrets.secret, logger: deps.logger, leases: leasesOf(state) });
    const audiences = await knownAudiences(session, connection);
    if (!dryRun) await state.saveRun(report);
    const context: GoalContext = { ...deps, connection, session, audiences, options: request, signal: stop.signal, redact: secrets.redact };
    for (const goal of selectGoals(connection, request)) {
      // A stopped run starts no further goal: its caller interrupted it, or another run owns the connection now.
      throwIfStopped(stop.signal, 'remaining goals were not run');
      const source = goal.kind === 'export' ? deps.profilesFor?.(goal) : undefined;
      report.goals.push(await runGoal(source ? { ...context, profiles: guardStore(source, `profile source of goal ${goal.id}`) } : context, goal));
    }
    report.status = overallStatus(report.goals, stop.signal);
    if (report.status === 'interrupted') report.error = 'the run was interrupted; its goal in progress stopped between batches';
  } catch (error) {
    if (error instanceof InvalidConfigError) refused = error;
    report.status = refused ? 'refused' : isInterruption(error) ? 'interrupted' : 'failed';
    report.error = describe(error);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    detach();
    if (session) Object.assign(report, session.stats());
    await session?.close();
    redactReport(report, secrets.redact);
    await endReport(report, deps);
    if (!dryRun) await recordAndRelease(deps, report, owner);
  }
  if (!dryRun) await notify(deps, connection, report);
  deps.logger.log(report.status === 'succeeded' ? 'info' : 'warn', `run ${report.status}`, { connectionId: connection.id, runId: report.runId });
  if (refused) throw refused;
  return report;
}

/**
 * Records a run refused before it could start, because its config no longer validates, and tells the notifier;
 * the caller throws the refusal afterwards. Takes no lock, and reads or writes nothing else.
 */
export async function recordRefusedRun(
  connection: Connection,
  deps: Pick<RunDependencies, 'state' | 'clock' | 'logger' | 'notifier'>,
  trigger: RunTrigger,
  refusal: InvalidConfigError,
): Promise<RunReport> {
  const report = newReport(connection.id, trigger, false, deps.clock.now());
  report.status = 'refused';
  report.error = refusal.message;
  await endReport(report, deps);
  await deps.state.saveRun(report);
  await notify(deps, connection, report);
  deps.logger.log('warn', 'run refused', { connectionId: connection.id, runId: report.runId });
  return report;
}

/**
 * The secret reader the connector gets, remembering what it handed out, and a redaction of every form of those
 * values: an upstream error may echo a credential, and nothing the run stores or reports may hold one.
 */
function secretsInUse(read: ConnectContext['secret']): { secret: ConnectContext['secret']; redact: (text: string) => string } {
  const values = new Set<string>();
  return {
    secret: (ref) => {
      const value = read(ref);
      values.add(value);
      return value;
    },
    redact: (text) => redact(text, [...values]),
  };
}

/** Passes every text of a report that came from outside (errors, failure reasons) through the redaction. */
function redactReport(report: RunReport, clean: (text: string) => string): void {
  if (report.error) report.error = clean(report.error);
  for (const goal of report.goals) {
    if (goal.error) goal.error = clean(goal.error);
    for (const audience of goal.audiences) {
      audience.failures = audience.failures.map(({ record, reason }) => ({ record: clean(record), reason: clean(reason) }));
    }
  }
}

function newReport(connectionId: string, trigger: RunTrigger, dryRun: boolean, startedAt: Date): RunReport {
  return {
    runId: randomUUID(),
    connectionId,
    trigger,
    dryRun,
    status: 'running',
    startedAt,
    goals: [],
    apiCalls: 0,
    retries: 0,
    dataExchange: { imported: 0, exported: 0 },
  };
}

/** Closes the report; when the state store cannot count the data exchange, its failure is reported on saving. */
async function endReport(report: RunReport, { state, clock }: Pick<RunDependencies, 'state' | 'clock'>): Promise<void> {
  report.endedAt = clock.now();
  const [imported, exported] = await Promise.all([
    state.countExchanged(report.connectionId, 'imported'),
    state.countExchanged(report.connectionId, 'exported'),
  ]).catch(() => [report.dataExchange.imported, report.dataExchange.exported]);
  report.dataExchange = { imported, exported };
}

/** A notification that fails is logged; it never changes the run's outcome. */
/**
 * Saves the finished run and frees the lock. When the state store itself fails (its server went away), the
 * report still reaches the caller, saying it could not be recorded; the lock then frees itself with its lease.
 */
async function recordAndRelease({ state, logger }: Pick<RunDependencies, 'state' | 'logger'>, report: RunReport, owner: string): Promise<void> {
  try {
    await state.saveRun(report);
    await state.releaseLock(report.connectionId, owner);
  } catch (error) {
    report.status = report.status === 'succeeded' ? 'failed' : report.status;
    report.error = [report.error, `the run could not be recorded: ${describe(error)}`].filter(Boolean).join('; ');
    logger.log('error', 'run not recorded', { connectionId: report.connectionId, runId: report.runId, error: describe(error) });
  }
}

async function notify({ notifier, logger }: Pick<RunDependencies, 'notifier' | 'logger'>, connection: Connection, report: RunReport): Promise<void> {
  try {
    await notifier.notify(connection, report);
  } catch (error) {
    logger.log('warn', 'run notification failed', { connectionId: connection.id, runId: report.runId, error: describe(error) });
  }
}

/** The state store's leases (its run locks) as the connector sees them. */
function leasesOf(state: StateStore): SharedLeases {
  return {
    acquire: async (name, owner, leaseMs) => (await state.acquireLock(name, owner, leaseMs)).acquired,
    release: (name, owner) => state.releaseLock(name, owner),
  };
}

/** The one signal goals stop on; its reason says why: the caller's signal aborted, or the heartbeat lost the lock. */
function stopController(interruption: AbortSignal | undefined): { stop: AbortController; detach: () => void } {
  const stop = new AbortController();
  const interrupt = (): void => stop.abort('interrupted' satisfies StopCause);
  if (interruption?.aborted) interrupt();
  interruption?.addEventListener('abort', interrupt, { once: true });
  return { stop, detach: () => interruption?.removeEventListener('abort', interrupt) };
}

function isInterruption(error: unknown): boolean {
  return error instanceof CdpError && error.code === ('interrupted' satisfies StopCause);
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
    await state.saveRun({ ...run, status: 'interrupted', endedAt: now, error: 'the process ended before the run finished' });
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

/** The run's status once its goals are done: an interruption that stopped a goal leaves the run interrupted. */
function overallStatus(goals: GoalReport[], stop: AbortSignal): RunStatus {
  const failed = goals.filter((goal) => goal.status === 'failed').length;
  if (failed === 0) return 'succeeded';
  if (stop.reason === ('interrupted' satisfies StopCause)) return 'interrupted';
  return failed === goals.length ? 'failed' : 'partial';
}

/** Renews the lease; when renewal fails the lock is gone, and the run stops between batches. */
function startHeartbeat(deps: RunDependencies, connectionId: string, owner: string, leaseMs: number, stop: AbortController): NodeJS.Timeout {
  const timer = setInterval(() => {
    deps.state.renewLock(connectionId, owner, leaseMs).then(
      (held) => {
        if (!held) stop.abort('lock_lost' satisfies StopCause);
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
