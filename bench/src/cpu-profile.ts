import { relative } from 'node:path';

/** The parts of a V8 CPU profile (`Profiler.stop`, or a `.cpuprofile` file) this summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

type CallFrame = CpuProfile['nodes'][number]['callFrame'];

/** Share of the busy (non-idle) time spent in frames that `matches` selects, by self time. */
export function selfShare(profile: CpuProfile, matches: (frame: CallFrame) => boolean): number {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  let busyMs = 0;
  let matchedMs = 0;
  profile.samples.forEach((nodeId, i) => {
    const frame = frames.get(nodeId)!;
    if (frame.functionName === '(idle)') return;
    busyMs += profile.timeDeltas[i];
    if (matches(frame)) matchedMs += profile.timeDeltas[i];
  });
  return busyMs === 0 ? 0 : matchedMs / busyMs;
}

/** Functions by self time, heaviest first, with `where` relative to the repository. */
export function hottestFunctions(profile: CpuProfile, root: string, limit: number): HotFunction[] {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfMs = new Map<string, HotFunction>();
  let totalMs = 0;
  profile.samples.forEach((nodeId, i) => {
    const frame = frames.get(nodeId)!;
    const ms = profile.timeDeltas[i] / 1000;
    totalMs += ms;
    const where = frame.url ? `${relative(root, frame.url.replace(/^file:\/\//, ''))}:${frame.lineNumber + 1}` : '(native)';
    const key = `${frame.functionName}@${where}`;
    const entry = selfMs.get(key) ?? { name: frame.functionName || '(anonymous)', where, selfMs: 0, share: 0 };
    entry.selfMs += ms;
    selfMs.set(key, entry);
  });
  return [...selfMs.values()]
    // Idle time is not work, and `dispatch` is the inspector serialising the profile when it is stopped.
    .filter((entry) => entry.name !== '(idle)' && !(entry.name === 'dispatch' && entry.where === '(native)'))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, limit)
    .map((entry) => ({ ...entry, share: entry.selfMs / totalMs }));
}
