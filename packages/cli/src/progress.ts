import type { GoalProgress } from '@cdp/sdk';
import { MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import type { Output } from './output.js';
import { formatCount, formatDuration } from './table.js';

/** Plain progress lines (not a terminal) of a goal in progress are at most this frequent. */
const LINE_INTERVAL_MS = 2000;
/** Redraws of the bars on a terminal per second. */
const FPS = 10;
const BAR_WIDTH = 20;

const UNITS: Record<GoalProgress['phase'], string> = { read: 'members read', write: 'profiles processed', remove: 'members checked' };

/** One bar: a goal (and audience, for imports), from its first event to the next goal's or the run's end. */
interface Track {
  label: string;
  startedAt: number;
  last: GoalProgress;
  shownAt: number;
  endedAt?: number;
  bar?: SingleBar;
}

/**
 * Shows run progress per goal. On a terminal: one bar per goal (done/total, percentage, rate, ETA), redrawn in
 * place by cli-progress; a goal's line becomes final, with its last count and duration, when the next goal
 * starts. Otherwise (a log, a pipe): a timestamped line per goal now and then, and one when it ends. Nothing
 * with --quiet.
 */
export class ProgressDisplay {
  private readonly tracks = new Map<string, Track>();
  private current?: Track;
  private bars?: MultiBar;

  constructor(
    private readonly output: Output,
    private readonly now: () => number = Date.now,
  ) {}

  /** For `RunOptions.onProgress`. */
  readonly update = (progress: GoalProgress): void => {
    if (this.output.quiet) return;
    const key = `${progress.goalId}\u0000${progress.audienceId ?? ''}`;
    const now = this.now();
    let track = this.tracks.get(key);
    if (!track) {
      if (this.current) this.end(this.current, now);
      const label = progress.audienceId ? `${progress.goalId} ${progress.audienceId}` : progress.goalId;
      track = { label, startedAt: now, last: progress, shownAt: now };
      this.tracks.set(key, track);
      this.current = track;
      if (this.output.interactive) track.bar = this.multiBar().create(totalOf(progress), progress.done, { track });
      return;
    }
    // The total is kept from the goal's first event, and grows when it was an underestimate.
    const total = progress.total ?? track.last.total;
    track.last = { ...progress, total: total === undefined ? undefined : Math.max(total, progress.done) };
    if (track.bar) {
      track.bar.setTotal(totalOf(track.last));
      track.bar.update(progress.done, { track });
    } else if (now - track.shownAt >= LINE_INTERVAL_MS) {
      track.shownAt = now;
      this.output.message(`${new Date(now).toISOString()} ${describe(track, now)}`);
    }
  };

  /** Ends every goal's line with its final figures; call once the run has ended. */
  finish(): void {
    if (this.current) this.end(this.current, this.now());
    this.current = undefined;
    if (this.bars) {
      this.bars.stop();
      this.output.divertMessages(undefined);
      this.bars = undefined;
    }
  }

  private end(track: Track, now: number): void {
    if (track.endedAt !== undefined) return;
    track.endedAt = now;
    // The goal read or sent what there was: its count is the total, whatever was estimated.
    track.last = { ...track.last, total: track.last.done };
    if (track.bar) {
      track.bar.setTotal(Math.max(track.last.done, 1));
      track.bar.update(track.last.done, { track });
      track.bar.stop();
    } else {
      this.output.message(`${new Date(now).toISOString()} ${describe(track, now)}`);
    }
  }

  private multiBar(): MultiBar {
    if (this.bars) return this.bars;
    const options: Options = {
      stream: this.output.stderr,
      fps: FPS,
      hideCursor: true,
      gracefulExit: false,
      autopadding: false,
      barsize: BAR_WIDTH,
      format: (_options, params, payload: { track: Track }) => this.drawBar(payload.track, params),
    };
    const bars = new MultiBar(options);
    this.bars = bars;
    // Log lines and messages are written above the bars instead of over them.
    this.output.divertMessages((text) => bars.log(`${text}\n`));
    return bars;
  }

  private drawBar(track: Track, params: Params): string {
    const now = track.endedAt ?? this.now();
    const { done, total } = track.last;
    const width = Math.max(...[...this.tracks.values()].map((other) => other.label.length));
    const share = total ? Math.min(done / total, 1) : undefined;
    const filled = Math.round((share ?? 0) * BAR_WIDTH);
    const paint = (text: string): string => (this.output.colors ? `\x1b[32m${text}\x1b[0m` : text);
    const bar = share === undefined ? ' '.repeat(BAR_WIDTH + 2) : `[${paint('█'.repeat(filled))}${'░'.repeat(BAR_WIDTH - filled)}]`;
    const count = total ? `${formatCount(done)}/${formatCount(total)}` : formatCount(done);
    const percent = share === undefined ? '' : ` ${String(Math.floor(share * 100)).padStart(3)}%`;
    const tail = track.endedAt !== undefined ? `in ${formatDuration(now - track.startedAt)}` : share === undefined || !Number.isFinite(params.eta) ? '' : `ETA ${formatEta(params.eta)}`;
    return `${track.label.padEnd(width)} ${bar}${percent} ${count} ${UNITS[track.last.phase]}, ${rate(track, now)}${tail ? `, ${tail}` : ''}`;
  }
}

/** cli-progress needs a positive total; a goal without one draws no bar. */
function totalOf(progress: GoalProgress): number {
  return Math.max(progress.total ?? 0, progress.done, 1);
}

function rate(track: Track, now: number): string {
  const seconds = Math.max((now - track.startedAt) / 1000, 0.001);
  return `${formatCount(Math.round(track.last.done / seconds))}/s`;
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.max(Math.round(seconds), 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/** A plain line: where, done/total and share when the total is known, rate, then the ETA or the duration. */
function describe(track: Track, now: number): string {
  const { done, total, phase } = track.last;
  const count = total ? `${formatCount(done)}/${formatCount(total)} ${UNITS[phase]} (${Math.floor(Math.min(done / total, 1) * 100)}%)` : `${formatCount(done)} ${UNITS[phase]}`;
  if (track.endedAt !== undefined) return `${track.label}: ${formatCount(done)} ${UNITS[phase]} in ${formatDuration(now - track.startedAt)}, ${rate(track, now)}, done`;
  const elapsed = (now - track.startedAt) / 1000;
  const eta = total && done > 0 && done < total ? `, ETA ${formatEta(((total - done) * elapsed) / done)}` : '';
  return `${track.label}: ${count}, ${rate(track, now)}${eta}`;
}
