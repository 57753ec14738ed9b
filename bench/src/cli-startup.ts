import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitedChildrenCpuSeconds } from './cpu-time.js';

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

/** The commands measured: the floor (Node.js and the argument parser), and a config check of the example connection. */
export const STARTUP_COMMANDS: string[][] = [
  ['--version'],
  ['validate', 'examples/newsletter.connection.json', '--catalog', 'examples/catalog.json'],
];

export function measureStartup(args: string[]): StartupResult {
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let i = 0; i < REPETITIONS; i++) {
    const cpuBefore = waitedChildrenCpuSeconds();
    const started = performance.now();
    const child = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    wall.push((performance.now() - started) / 1000);
    if (child.error) throw child.error;
    if (child.status !== 0) throw new Error(`cdp ${args.join(' ')} failed (exit code ${child.status}): ${child.stderr.toString().trim()}`);
    cpu.push(waitedChildrenCpuSeconds() - cpuBefore);
  }
  return { command: `cdp ${args.join(' ')}`, cpuSeconds: median(cpu), wallSeconds: median(wall) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
