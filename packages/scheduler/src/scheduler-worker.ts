import { hostname } from 'node:os';
import { Agenda, type Job } from 'agenda';
import {
  AlreadyRunningError,
  createLogger,
  nextRuns,
  systemClock,
  type Clock,
  type Connection,
  type Logger,
  type Schedule,
  type StateStore,
} from '@cdp/sdk';
import type { JobStore } from './job-stores.js';
import { messageOf } from './message-of.js';
import { SCHEDULED_RUN_JOB, scheduleKeyOf, type ScheduledRunData } from './scheduled-run-job.js';

export interface SchedulerWorkerOptions {
  /** Where Agenda keeps the jobs: `mongoJobs(db)` or `postgresJobs(pool)`. */
  jobs: JobStore;
  /** The connections as configured now; read at every refresh and before every scheduled run. */
  connections: () => Promise<Connection[]>;
  /** Claims each scheduled slot once across all workers. */
  state: StateStore;
  /** Starts a run; takes the connection's run lock and throws `AlreadyRunningError` while another run holds it. */
  run: (connectionId: string, trigger: 'schedule') => Promise<unknown>;
  clock?: Clock;
  /** How long Agenda keeps a fired job locked to this worker; default 10 minutes. */
  lockLifetimeMs?: number;
  /** How often the connections are re-read; default one minute. */
  refreshMs?: number;
  /** How often Agenda looks for due jobs; default 5 seconds. */
  pollMs?: number;
  logger?: Logger;
}

/**
 * Triggers the scheduled runs of all connections with Agenda: one job per enabled, scheduled connection, due at
 * the connection's next slot (`nextRuns`). Several workers may share one database: each slot runs once because
 * the worker that fires it must first claim the slot in the state store, and `run` itself is exclusive per
 * connection. Agenda's own job lock is only a hint here, never the guarantee.
 */
export class SchedulerWorker {
  private readonly agenda: Agenda;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly refreshMs: number;
  private refreshTimer?: NodeJS.Timeout;
  /** The start in progress or done: a stop waits for it, so a worker stopped while starting does not start after. */
  private starting?: Promise<void>;
  /** Refreshes run one after the other, so a refresh asked for after a change always sees that change. */
  private refreshQueue: Promise<void> = Promise.resolve();
  private readonly firing = new Set<Promise<void>>();
  /** Between a finished start and a stop. */
  private running = false;
  /** When a refresh last settled, well or not (process time, not the schedules' clock). */
  private lastRefreshAt?: Date;

  constructor(private readonly options: SchedulerWorkerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger();
    this.refreshMs = options.refreshMs ?? 60_000;
    this.agenda = new Agenda({
      backend: options.jobs.backend,
      name: `scheduler@${hostname()}:${process.pid}`,
      processEvery: options.pollMs ?? 5_000,
      defaultLockLifetime: options.lockLifetimeMs ?? 10 * 60_000,
    });
    this.agenda.define<ScheduledRunData>(SCHEDULED_RUN_JOB, (job) => this.track(this.fire(job)));
    // A lost database connection (a server restart, an administrator ending sessions) reaches these as `error`
    // events; without a listener they would end the process. Agenda keeps polling and the channel reconnects.
    this.agenda.on('error', (error: unknown) => this.logger.log('warn', 'job processing error', { error: messageOf(error) }));
    options.jobs.backend.notificationChannel?.on('error', (error) =>
      this.logger.log('warn', 'job notifications interrupted; due jobs are still found by polling', { error: messageOf(error) }),
    );
  }

  /** Brings the jobs in line with the connections, then starts firing them and refreshing on a timer. */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    await this.refresh();
    await this.agenda.start();
    this.refreshTimer = setInterval(() => {
      this.refresh().catch((error: unknown) => this.logger.log('error', 'schedule refresh failed', { error: messageOf(error) }));
    }, this.refreshMs);
    // The timer alone must not keep a process alive; Agenda's own polling does while the worker runs.
    this.refreshTimer.unref();
    this.running = true;
  }

  /**
   * Whether the worker loop is alive: started, and a refresh settled (well or not) within three refresh periods.
   * A refresh stuck for longer holds every later one behind it, so the worker should be restarted. An unreachable
   * database fails refreshes without stopping them: that is for readiness to report, not liveness.
   */
  liveness(now: Date = new Date()): { alive: boolean; lastRefreshAt?: Date } {
    const recent = this.lastRefreshAt !== undefined && now.getTime() - this.lastRefreshAt.getTime() < 3 * this.refreshMs;
    return { alive: this.running && recent, lastRefreshAt: this.lastRefreshAt };
  }

  /**
   * Re-reads the connections: creates the job of a newly enabled or scheduled connection, moves the job of a
   * changed schedule to its new next slot, and removes the jobs of disabled, unscheduled or deleted connections.
   */
  refresh(): Promise<void> {
    const next = this.refreshQueue.then(() => this.syncJobs()).finally(() => (this.lastRefreshAt = new Date()));
    this.refreshQueue = next.catch(() => undefined);
    return next;
  }

  /** Stops firing and waits for the scheduled runs this worker already started. */
  async stop(): Promise<void> {
    await this.starting?.catch(() => undefined);
    this.running = false;
    clearInterval(this.refreshTimer);
    await this.agenda.stop();
    await Promise.allSettled(this.firing);
    this.starting = undefined;
  }

  private async syncJobs(): Promise<void> {
    const wanted = new Map<string, Schedule>();
    for (const connection of await this.options.connections()) {
      if (connection.enabled && connection.schedule) wanted.set(connection.id, connection.schedule);
    }
    const jobs = await this.scheduledJobs();
    for (const job of jobs) {
      if (wanted.has(job.data.connectionId)) continue;
      await this.agenda.cancel({ id: job.id });
      this.logger.log('info', 'connection unscheduled', { connectionId: job.data.connectionId });
    }
    for (const [connectionId, schedule] of wanted) {
      const job = jobs.find((candidate) => candidate.data.connectionId === connectionId);
      // An unchanged job is left alone: rewriting it could skip a slot that is due right now.
      if (job && job.nextRunAt && job.data.scheduleKey === scheduleKeyOf(schedule)) continue;
      try {
        await this.scheduleNext(connectionId, schedule, this.clock.now());
      } catch (error) {
        this.logger.log('error', 'connection could not be scheduled', { connectionId, error: messageOf(error) });
      }
    }
  }

  /**
   * Points the connection's job at its first slot after `after`, or removes the job when there is none. A job
   * being fired is updated in place, so that Agenda's own save at the end of the firing keeps the new slot.
   */
  private async scheduleNext(connectionId: string, schedule: Schedule, after: Date, fired?: Job<ScheduledRunData>): Promise<void> {
    const [slot] = nextRuns(schedule, after, 1);
    if (!slot) {
      const jobs = (await this.scheduledJobs()).filter((job) => job.data.connectionId === connectionId);
      if (jobs.length > 0) await this.agenda.cancel({ ids: jobs.map((job) => job.id) });
      this.logger.log('warn', 'schedule never fires; connection unscheduled', { connectionId });
      return;
    }
    const data: ScheduledRunData = { connectionId, slot, scheduleKey: scheduleKeyOf(schedule) };
    const job = fired ?? this.agenda.create(SCHEDULED_RUN_JOB, data).unique(this.options.jobs.uniqueKey(connectionId));
    job.attrs.data = data;
    try {
      await job.schedule(slot).save();
    } catch (error) {
      // Another worker saved this connection's first job at the same moment: saved again, it updates that one.
      if (fired || !this.options.jobs.isDuplicate(error)) throw error;
      await job.save();
    }
    this.logger.log('debug', 'connection scheduled', { connectionId, slot: slot.toISOString() });
  }

  /** The scheduled-run jobs as stored, whichever backend holds them. */
  private async scheduledJobs(): Promise<{ id: string; data: ScheduledRunData; nextRunAt?: Date | null }[]> {
    const { jobs } = await this.agenda.queryJobs({ name: SCHEDULED_RUN_JOB });
    return jobs.map((job) => ({ id: String(job._id), data: job.data as ScheduledRunData, nextRunAt: job.nextRunAt }));
  }

  private track(firing: Promise<void>): Promise<void> {
    this.firing.add(firing);
    return firing.finally(() => this.firing.delete(firing));
  }

  /** One fired job: moves the job on to the next slot first, then runs the slot if this worker claims it. */
  private async fire(job: Job<ScheduledRunData>): Promise<void> {
    const { connectionId, scheduleKey } = job.attrs.data;
    const slot = new Date(job.attrs.data.slot);
    const connection = (await this.options.connections()).find((candidate) => candidate.id === connectionId);
    if (!connection?.enabled || !connection.schedule) {
      await job.remove();
      this.logger.log('info', 'connection unscheduled', { connectionId });
      return;
    }
    const now = this.clock.now();
    if (scheduleKeyOf(connection.schedule) !== scheduleKey) {
      // The slot belongs to a schedule that has since changed: follow the new one from now on.
      await this.scheduleNext(connectionId, connection.schedule, now, job);
      return;
    }
    // Slots missed while no worker was running are not replayed: the next slot is the first after now.
    await this.scheduleNext(connectionId, connection.schedule, slot > now ? slot : now, job);

    if (!(await this.options.state.claimScheduledSlot(connectionId, slot))) {
      this.logger.log('debug', 'slot already run by another worker', { connectionId, slot: slot.toISOString() });
      return;
    }
    try {
      await this.options.run(connectionId, 'schedule');
      this.logger.log('info', 'scheduled run finished', { connectionId, slot: slot.toISOString() });
    } catch (error) {
      if (error instanceof AlreadyRunningError) {
        this.logger.log('info', 'scheduled run skipped: connection already running', { connectionId, slot: slot.toISOString(), since: error.since.toISOString() });
      } else {
        this.logger.log('error', 'scheduled run failed', { connectionId, slot: slot.toISOString(), error: messageOf(error) });
      }
    }
  }
}
