import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What one command of the built `cdp` costs in a fresh process: its start-up, the modules it loads, its work. */
export interface StartupResult {
  command: string;
  /** Medians over the repetitions. */
  cpuSeconds: number;
  wallSeconds: number;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = 'packages/cli/dist/main.js';
const REPETITIONS = 5;
/** Linux counts child CPU time in clock ticks of 1/100 s (USER_HZ, the same on every mainstream build). */
const TICKS_PER_SECOND = 100;

/** The commands measured: the floor (Node.js and the argument parser), and a config check of the example connection. */
export const STARTUP_COMMANDS: string[][] = [
  ['--version'],
  ['validate', 'examples/newsletter.connection.json', '--catalog', 'examples/catalog.json'],
];

export function measureStartup(args: string[]): StartupResult {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const ticksBefore = waitedChildrenTicks();
    const started = performance.now();
    const child = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    wall.push((performance.now() - started) / 1000);
    if (child.status !== 0) throw new Error(`cdp ${args.join(' ')} failed (exit code ${child.status}): ${child.stderr.toString().trim()}`);
    cpu.push((waitedChildrenTicks() - ticksBefore) / TICKS_PER_SECOND);
  }
  return { command: `cdp ${args.join(' ')}`, cpuSeconds: median(cpu), wallSeconds: median(wall) };
}

/** CPU time (user and system) of this process's children that have ended and been waited for, from /proc/self/stat. */
function waitedChildrenTicks(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name in brackets, which may hold spaces: the state is field 3, cutime 16, cstime 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[16 - 3]) + Number(fields[17 - 3]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
