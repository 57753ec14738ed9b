import { randomUUID } from 'node:crypto';
import type { RunService } from '@cdp/runtime';
import type { GoalProgress, RunReport } from '@cdp/sdk';

/** What a page shows of a run started from the console, while it runs and after. */
export interface LiveRunView {
  id: string;
  connectionId: string;
  dryRun: boolean;
  state: 'running' | 'ended' | 'failed';
  /** The latest progress of each goal (and audience, for imports), in the order they started. */
  progress: GoalProgress[];
  /** The run's report once it ended (a dry run's is kept only here: dry runs write no history). */
  report?: RunReport;
  /** Why the run could not start or stopped with an error (e.g. already running, a refused config). */
  error?: string;
}

type Listener = (view: LiveRunView) => void;

/** Ended runs kept for their pages; older ones are forgotten (the history keeps real runs). */
const KEPT_RUNS = 50;

/**
 * Runs and dry runs started from the console, through the run service (same lock, engine and history as `cdp run`),
 * with their progress as the engine reports it (`RunOptions.onProgress`) for pages to follow.
 */
export class LiveRuns {
  private readonly runs = new Map<string, LiveRunView>();
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly service: RunService) {}

  start(connectionId: string, dryRun: boolean): LiveRunView {
    const view: LiveRunView = { id: randomUUID(), connectionId, dryRun, state: 'running', progress: [] };
    this.runs.set(view.id, view);
    this.forgetOldest();
    const onProgress = (progress: GoalProgress): void => {
      const index = view.progress.findIndex((known) => known.goalId === progress.goalId && known.audienceId === progress.audienceId);
      if (index >= 0) view.progress[index] = progress;
      else view.progress.push(progress);
      this.emit(view);
    };
    const run = dryRun ? this.service.test(connectionId, { onProgress }) : this.service.runNow(connectionId, { onProgress });
    run.then(
      (report) => Object.assign(view, { state: 'ended', report }),
      (error: unknown) => Object.assign(view, { state: 'failed', error: error instanceof Error ? error.message : String(error) }),
    ).finally(() => this.emit(view));
    return view;
  }

  get(id: string): LiveRunView | undefined {
    return this.runs.get(id);
  }

  /** Calls `listener` at every change of the run until the returned function is called. */
  follow(id: string, listener: Listener): () => void {
    const listeners = this.listeners.get(id) ?? new Set<Listener>();
    this.listeners.set(id, listeners);
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  private emit(view: LiveRunView): void {
    for (const listener of this.listeners.get(view.id) ?? []) listener(view);
    if (view.state !== 'running') this.listeners.delete(view.id);
  }

  private forgetOldest(): void {
    for (const [id, view] of this.runs) {
      if (this.runs.size <= KEPT_RUNS) return;
      if (view.state !== 'running') this.runs.delete(id);
    }
  }
}
