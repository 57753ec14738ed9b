import { readFileSync } from 'node:fs';

/** Linux counts CPU time in /proc in clock ticks of 1/100 s (USER_HZ, the same on every mainstream build). */
const TICKS_PER_SECOND = 100;

/** Fields of /proc/<pid>/stat, numbered as proc(5) numbers them (1 is the pid). */
function statFields(pid: number | 'self'): (field: number) => number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name, which is in parentheses and may hold spaces, start with field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (field) => Number(fields[field - 3]);
}

/** utime + stime of another process, in seconds. */
export function processCpuSeconds(pid: number): number {
  const field = statFields(pid);
  return (field(14) + field(15)) / TICKS_PER_SECOND;
}

/** cutime + cstime of this process: the CPU time of its children that have ended and been waited for, in seconds. */
export function waitedChildrenCpuSeconds(): number {
  const field = statFields('self');
  return (field(16) + field(17)) / TICKS_PER_SECOND;
}
