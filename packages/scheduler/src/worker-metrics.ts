import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AudienceReport, RunReport } from '@cdp/sdk';

/** Where the metrics learn of runs; `RunService` of `@cdp/runtime` is one. */
export interface RunFeed {
  /** Calls the listener with every recorded run's final report; returns the function that stops it. */
  onRunFinished(listener: (report: RunReport) => void): () => void;
  readonly runsInProgress: number;
}

/** The member counts of an audience report, each under the action label it is counted as. */
const MEMBER_ACTIONS = ['created', 'updated', 'unchanged', 'removed', 'restored', 'withdrawn', 'untagged', 'erased', 'failed'] as const satisfies readonly (keyof AudienceReport)[];

/** From a second to an hour: runs of a few members to full exports of large segments. */
const DURATION_BUCKETS_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];

/**
 * The worker's metrics in Prometheus text format: runs by connection, trigger and status, members by action and
 * skip reason, API calls, run durations and runs in progress, from the reports of the runs this process records;
 * and the process's own (CPU, memory, event loop), under their standard names.
 */
export class WorkerMetrics {
  private readonly registry = new Registry();
  private readonly stopListening: () => void;
  private readonly runs = this.counter('cdp_runs_total', 'Runs recorded, by connection, trigger and outcome', ['connection', 'trigger', 'status']);
  private readonly members = this.counter('cdp_members_total', 'Members and profiles handled by runs, by what was done to them', ['connection', 'goal_kind', 'action']);
  private readonly skipped = this.counter('cdp_members_skipped_total', 'Members and profiles left out by runs, by reason', ['connection', 'goal_kind', 'reason']);
  private readonly apiCalls = this.counter('cdp_api_calls_total', 'Requests runs sent to the external system, retries included', ['connection']);
  private readonly retries = this.counter('cdp_api_retries_total', 'Requests runs sent again after a retryable failure', ['connection']);
  private readonly duration = new Histogram({
    name: 'cdp_run_duration_seconds',
    help: 'How long runs took, from start to report; refused runs, which never started, are left out',
    labelNames: ['connection', 'trigger'],
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  constructor(feed: RunFeed) {
    new Gauge({
      name: 'cdp_runs_in_progress',
      help: 'Runs this process has started and not yet finished',
      registers: [this.registry],
      collect() {
        this.set(feed.runsInProgress);
      },
    });
    collectDefaultMetrics({ register: this.registry });
    this.stopListening = feed.onRunFinished((report) => this.count(report));
  }

  /** The content type of `text()`, for the HTTP response. */
  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops counting runs. */
  close(): void {
    this.stopListening();
  }

  private count(report: RunReport): void {
    const connection = report.connectionId;
    this.runs.inc({ connection, trigger: report.trigger, status: report.status });
    this.apiCalls.inc({ connection }, report.apiCalls);
    this.retries.inc({ connection }, report.retries);
    if (report.status !== 'refused' && report.endedAt) {
      this.duration.observe({ connection, trigger: report.trigger }, (report.endedAt.getTime() - report.startedAt.getTime()) / 1000);
    }
    for (const goal of report.goals) {
      for (const audience of goal.audiences) {
        for (const action of MEMBER_ACTIONS) this.members.inc({ connection, goal_kind: goal.kind, action }, audience[action] ?? 0);
        for (const [reason, count] of Object.entries(audience.skipped)) {
          this.members.inc({ connection, goal_kind: goal.kind, action: 'skipped' }, count);
          this.skipped.inc({ connection, goal_kind: goal.kind, reason }, count);
        }
      }
    }
  }

  private counter<L extends string>(name: string, help: string, labelNames: L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
}
