import {
  assertValidConnection,
  CdpError,
  CONNECTION_SCHEMA_ID,
  InvalidConfigError,
  recordRefusedRun,
  runConnection,
  schemaRegistry,
  type Catalog,
  type Clock,
  type Connection,
  type Connector,
  type EmailTarget,
  nextRuns,
  type Schedule,
  type Logger,
  type NotificationTarget,
  type Notifier,
  type ProfileStore,
  type RunOptions,
  type RunQuery,
  type RunReport,
  type RunRequest,
  type StateStore,
} from '@cdp/sdk';
import { goalsToRun, type OpenSources, type ProfileSources } from '@cdp/source-sql';
import { randomUUID } from 'node:crypto';
import { inject, injectable, multiInject } from 'inversify';
import type { ConnectionSource } from './connection-source.js';
import type { DigestSender } from './email-notifier.js';
import { requireSecrets, type SecretResolver } from './secrets.js';
import { TOKENS } from './tokens.js';

/** This process's identity in run locks: several workers and CLIs can tell each other apart. */
const PROCESS_OWNER = `${process.pid}-${randomUUID().slice(0, 8)}`;

/** `trigger` defaults to manual; `leaseMs` and `signal` are the run request's (`RunRequest`). */
export type RunNowOptions = RunOptions & Partial<Pick<RunRequest, 'trigger' | 'leaseMs' | 'signal'>>;

/** Told of each recorded run once its report is final (metrics, a live view); dry runs are not recorded. */
export type RunFinishedListener = (report: RunReport) => void;

/**
 * The one entry point for runs: Run now, scheduled runs, dry runs (`cdp test`) and history all go through it,
 * so they share one engine, one lock and one history.
 */
@injectable()
export class RunService {
  /** Why `validConnections` last refused each connection, so that each change is reported once. */
  private reportedRefusals = new Map<string, string>();
  private readonly finishedListeners = new Set<RunFinishedListener>();
  private running = 0;

  constructor(
    @inject(TOKENS.ProfileStore) private readonly profiles: ProfileStore,
    @inject(TOKENS.StateStore) private readonly state: StateStore,
    @inject(TOKENS.Catalog) private readonly catalog: Catalog,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.Notifier) private readonly notifier: Notifier,
    @inject(TOKENS.ConnectionSource) private readonly connections: ConnectionSource,
    @inject(TOKENS.Secrets) private readonly secrets: SecretResolver,
    @multiInject(TOKENS.Connector) private readonly connectors: Connector[],
    @inject(TOKENS.ProfileSources) private readonly sources: ProfileSources,
    @inject(TOKENS.DigestSender) private readonly digests: DigestSender,
  ) {}

  /**
   * Runs a connection now; refused with AlreadyRunningError while another run holds its lock. `leaseMs` is the
   * lock's lease (default one minute): how soon a crashed run's lock frees itself. Aborting `signal` interrupts
   * the run between batches. A config that no longer validates, or names a secret that cannot be read, is recorded
   * as a refused run and notified, then thrown (InvalidConfigError); so is a goal's source database that cannot be
   * reached (CdpError 'source_unavailable').
   */
  async runNow(connectionId: string, options: RunNowOptions = {}): Promise<RunReport> {
    const trigger = options.trigger ?? 'manual';
    const raw = await this.rawConnection(connectionId);
    let connection: Connection;
    let sources: OpenSources;
    try {
      connection = await this.validate(raw);
      // Every secret is read now: an unset or refused variable refuses the run before it writes anything.
      requireSecrets(connection, this.secrets);
      // So are the goals' SQL sources: bad SQL, a missing column or a wrong type refuses the run just as early.
      sources = await this.sources.open(connection, goalsToRun(connection, options.goalIds), (ref) => this.secrets.secret(ref));
    } catch (error) {
      // A dry run records nothing, not even its refusal.
      const refusal = refusalOf(error);
      if (refusal && !options.dryRun) await recordRefusedRun(refusedConnection(connectionId, raw), this.dependencies(), trigger, refusal);
      throw error;
    }
    if (!options.dryRun) this.running++;
    try {
      return await runConnection(connection, { ...this.dependencies(), connector: this.connector(connection), profilesFor: (goal) => sources.profilesFor(goal) }, {
        ...options,
        trigger,
        owner: `${PROCESS_OWNER}-${randomUUID().slice(0, 8)}`,
      });
    } finally {
      if (!options.dryRun) this.running--;
      await sources.close();
    }
  }

  /** Runs (not dry runs) this service has started and not yet finished. */
  get runsInProgress(): number {
    return this.running;
  }

  /**
   * Calls `listener` with the report of every run this service records from now on, refused runs included, as the
   * notifier gets it; returns the function that stops it. A listener that throws is logged and changes nothing.
   */
  onRunFinished(listener: RunFinishedListener): () => void {
    this.finishedListeners.add(listener);
    return () => this.finishedListeners.delete(listener);
  }

  /** The dry run: what a run would do, writing nothing. */
  test(connectionId: string, options: Omit<RunOptions, 'dryRun'> = {}): Promise<RunReport> {
    return this.runNow(connectionId, { ...options, dryRun: true });
  }

  history(query: RunQuery): Promise<RunReport[]> {
    return this.state.listRuns(query);
  }

  /** The connection's config, validated against the schemas, the catalog and the connectors. */
  async connection(connectionId: string): Promise<Connection> {
    return this.validate(await this.rawConnection(connectionId));
  }

  /**
   * Every connection config that passes validation (the scheduler's view). A config refused for the first time,
   * or for another reason than before, is logged and recorded as a refused scheduled run (and notified), unless
   * the newest run in its history already is that refusal (another worker recorded it).
   */
  async validConnections(): Promise<Connection[]> {
    const valid: Connection[] = [];
    const refusals = new Map<string, string>();
    for (const raw of await this.connections.list()) {
      const id = (raw as { id?: string }).id ?? '?';
      try {
        valid.push(await this.validate(raw));
      } catch (error) {
        if (!(error instanceof InvalidConfigError)) {
          this.logger.log('error', 'connection could not be validated', { connectionId: id, error: describe(error) });
          continue;
        }
        refusals.set(id, error.message);
        if (this.reportedRefusals.get(id) !== error.message) await this.reportRefusal(id, raw, error);
      }
    }
    this.reportedRefusals = refusals;
    return valid;
  }

  /**
   * Sends the daily digests that are due: for each email target with a `digest`, once its local time has come
   * (within the hour before `now`), the connection's runs of the 24 hours before it. Each digest is claimed in the
   * state store first, so several workers send it once. A host calls this on a timer (`startDigests`). Configs that
   * do not validate are skipped; their refusals are reported by the runs and the scheduler.
   */
  async sendDigests(now: Date = this.clock.now()): Promise<number> {
    let sent = 0;
    for (const raw of await this.connections.list()) {
      const connection = await this.validate(raw).catch(() => undefined);
      for (const [index, target] of (connection?.notify ?? []).entries()) {
        if (!connection || target.type !== 'email' || !target.digest) continue;
        const slot = dueDigest(target.digest, now);
        if (!slot || !(await this.state.claimScheduledSlot(`${connection.id}#digest-${index}`, slot))) continue;
        const period = { from: new Date(slot.getTime() - DAY_MS), until: slot };
        const runs = await this.state.listRuns({ connectionId: connection.id, since: period.from, until: period.until });
        await this.digests.sendDigest(connection, target, runs, period);
        sent++;
      }
    }
    return sent;
  }

  /**
   * Calls `sendDigests` now (a worker started after a digest's time still sends it within the hour) and then every
   * `everyMs` (default one minute) until the returned function is called; failures are logged.
   */
  startDigests(everyMs = 60_000): () => void {
    const send = () => void this.sendDigests().catch((error: unknown) => this.logger.log('error', 'digests not sent', { error: describe(error) }));
    send();
    const timer = setInterval(send, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  private tellFinished(report: RunReport): void {
    for (const listener of this.finishedListeners) {
      try {
        listener(report);
      } catch (error) {
        this.logger.log('warn', 'run listener failed', { connectionId: report.connectionId, runId: report.runId, error: describe(error) });
      }
    }
  }

  private async reportRefusal(connectionId: string, raw: unknown, refusal: InvalidConfigError): Promise<void> {
    this.logger.log('error', 'connection refused: not scheduled until its config validates', { connectionId, error: refusal.message });
    const [newest] = await this.state.listRuns({ connectionId, limit: 1 });
    if (newest?.status === 'refused' && newest.error === refusal.message) return;
    await recordRefusedRun(refusedConnection(connectionId, raw), this.dependencies(), 'schedule', refusal);
  }

  private async rawConnection(connectionId: string): Promise<unknown> {
    const raw = await this.connections.get(connectionId);
    if (raw === undefined) throw new CdpError('unknown_connection', `no connection with id "${connectionId}"`);
    return raw;
  }

  private validate(raw: unknown): Promise<Connection> {
    return assertValidConnection(raw, { catalog: this.catalog, connectors: this.connectors, now: this.clock.now() });
  }

  private connector(connection: Connection): Connector {
    const connector = this.connectors.find((c) => c.id === connection.connector);
    if (!connector) throw new CdpError('unknown_connector', `no connector "${connection.connector}" is registered`);
    return connector;
  }

  private dependencies() {
    return {
      profiles: this.profiles,
      state: this.state,
      catalog: this.catalog,
      clock: this.clock,
      logger: this.logger,
      // Every recorded run reaches the notifier, so its listeners are told there too.
      notifier: {
        notify: (connection: Connection, report: RunReport) => {
          this.tellFinished(report);
          return this.notifier.notify(connection, report);
        },
      },
      secret: (ref: { env: string }) => this.secrets.secret(ref),
    };
  }
}

/** Errors before a run starts that refuse it, besides an invalid config: a goal's source database cannot be reached. */
const REFUSING_CODES = new Set(['source_unavailable']);

/**
 * The refusal to record for an error thrown before the run started: the config's problems, or the reason the run
 * could not start (its message, recorded as is), so that every refused run is in the history and notified.
 */
function refusalOf(error: unknown): InvalidConfigError | undefined {
  if (error instanceof InvalidConfigError) return error;
  if (!(error instanceof CdpError && REFUSING_CODES.has(error.code))) return undefined;
  const refusal = new InvalidConfigError([]);
  refusal.message = error.message;
  return refusal;
}

const DAY_MS = 24 * 60 * 60_000;

/** A digest's slot that came in the hour up to `now`, if one did; an unknown time zone has none. */
function dueDigest(digest: NonNullable<EmailTarget['digest']>, now: Date): Date | undefined {
  const daily: Schedule = { type: 'daysOfWeek', timeZone: digest.timeZone, days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], at: [digest.at] };
  try {
    return nextRuns(daily, new Date(now.getTime() - DIGEST_GRACE_MS), 1).find((slot) => slot <= now);
  } catch {
    return undefined;
  }
}

/** How late a digest may still go out: a worker that was stopped longer skips it rather than send it hours late. */
const DIGEST_GRACE_MS = 60 * 60_000;

/**
 * What a config refused before it could be read as a connection is recorded and notified as: the id asked for,
 * no goals, and its notification targets only if they pass their schema. Nothing else of it is trusted.
 */
function refusedConnection(connectionId: string, raw: unknown): Connection {
  return { id: connectionId, name: connectionId, connector: '', enabled: false, objectives: [], auth: {}, goals: [], notify: notificationTargets(raw) };
}

const NOTIFY_SCHEMA = `${CONNECTION_SCHEMA_ID}#/properties/notify`;

/** The list, a target, its SMTP settings, their password, and its variable name: no valid `notify` is deeper. */
const NOTIFY_DEPTH = 4;

function notificationTargets(raw: unknown): NotificationTarget[] {
  const notify = (raw as { notify?: unknown } | null)?.notify;
  // Deeper values are refused unread: the schema check copies its input, and a deep copy overflows the stack.
  if (notify === undefined || nestedDeeperThan(notify, NOTIFY_DEPTH)) return [];
  const checked = schemaRegistry().validate(NOTIFY_SCHEMA, notify);
  return checked.errors.length === 0 ? (checked.value as NotificationTarget[]) : [];
}

function nestedDeeperThan(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  return levels === 0 || Object.values(value).some((inner) => nestedDeeperThan(inner, levels - 1));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
