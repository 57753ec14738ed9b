import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { FaultConfig, SandboxCounters, SandboxSeed } from '@cdp/mailchimp-sandbox';
import { processCpuSeconds } from './cpu-time.js';

/** The Mailchimp sandbox in a process of its own (its built bin), so its CPU never mixes with ours. */
export interface SandboxProcess {
  baseUrl: string;
  pid: number;
  seed(seed: SandboxSeed): Promise<void>;
  setFaults(faults: FaultConfig): Promise<void>;
  counters(): Promise<SandboxCounters>;
  resetCounters(): Promise<void>;
  /** CPU seconds (user + system) the sandbox process has used so far. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function sandboxBin(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@cdp/mailchimp-sandbox');
  return join(entry, '..', 'main.js');
}

/** Starts the sandbox with `--latency`; the seed is posted afterwards (large seeds would not fit argv). */
export async function startSandboxProcess(latencyMs: number): Promise<SandboxProcess> {
  const child = spawn(process.execPath, [sandboxBin(), '--port', '0', '--latency', String(latencyMs)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`the sandbox exited with code ${code} before it was ready: ${output}`)));
  });
  child.removeAllListeners('exit');
  return sandboxHandle(child, url);
}

function sandboxHandle(child: ChildProcess, url: string): SandboxProcess {
  const admin = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${url}/_sandbox/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`sandbox admin ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response;
  };
  return {
    baseUrl: `${url}/3.0`,
    pid: child.pid!,
    seed: async (seed) => void (await admin('POST', 'seed', seed)),
    setFaults: async (faults) => void (await admin('PUT', 'faults', faults)),
    counters: async () => (await admin('GET', 'counters')).json() as Promise<SandboxCounters>,
    resetCounters: async () => void (await admin('POST', 'counters/reset')),
    cpuSeconds: () => processCpuSeconds(child.pid!),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
