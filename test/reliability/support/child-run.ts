import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CatalogData, Connection, RunReport } from '@cdp/sdk';
import { API_KEY, type Evidence } from './evidence.js';

const SCRIPT = fileURLToPath(new URL('./run-connection.mjs', import.meta.url));
const BUILT = ['sdk', 'runtime', 'store-mongodb'].map((name) => fileURLToPath(new URL(`../../../packages/${name}/dist/index.js`, import.meta.url)));

/** The child runs the built packages; without a build it would fail obscurely, so say so first. */
export function assertBuilt(): void {
  const missing = BUILT.filter((path) => !existsSync(path));
  if (missing.length > 0) throw new Error(`Build the packages first (npx turbo run build): missing ${missing.join(', ')}`);
}

export interface ChildRunOptions {
  mongoUri: string;
  database: string;
  connection: Connection;
  catalog: CatalogData;
  leaseMs: number;
  /** Wait for `go()` before running (the child connects first). */
  waitForGo?: boolean;
}

export type ChildOutcome =
  | { kind: 'report'; report: RunReport }
  | { kind: 'error'; code?: string; message: string }
  | { kind: 'killed' };

/** One run of a connection in a separate node process. */
export class ChildRun {
  private readonly child: ChildProcess;
  private stdout = '';
  private stderr = '';
  private readonly exited: Promise<void>;
  readonly ready: Promise<void>;

  constructor(
    options: ChildRunOptions,
    private readonly evidence: Evidence,
  ) {
    this.child = spawn(process.execPath, [SCRIPT], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        MONGODB_URI: options.mongoUri,
        CDP_DATABASE: options.database,
        CDP_CONNECTION: JSON.stringify(options.connection),
        CDP_CATALOG: JSON.stringify(options.catalog),
        CDP_LEASE_MS: String(options.leaseMs),
        CDP_WAIT_FOR_GO: options.waitForGo ? '1' : '0',
        MAILCHIMP_API_KEY: API_KEY,
      },
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('close', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.stdout.startsWith('ready\n')) resolve();
      };
      this.child.stdout!.on('data', check);
      void this.exited.then(() => reject(new Error(`the run process exited before it was ready: ${this.stderr}`)));
    });
    this.ready.catch(() => undefined);
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  /** Waits for the process to end; its output becomes evidence. */
  async outcome(): Promise<ChildOutcome> {
    await this.exited;
    this.evidence.add('process output', this.stdout);
    for (const line of this.stderr.split('\n').filter(Boolean)) this.evidence.add('log line', line);
    if (this.child.signalCode === 'SIGKILL') return { kind: 'killed' };
    const last = this.stdout.trim().split('\n').pop() ?? '';
    let parsed: { report?: RunReport; error?: { code?: string; message: string } };
    try {
      parsed = JSON.parse(last);
    } catch {
      throw new Error(`the run process ended without an outcome (exit ${this.child.exitCode}): ${this.stderr.slice(-2000)}`);
    }
    if (parsed.report) return { kind: 'report', report: parsed.report };
    return { kind: 'error', code: parsed.error?.code, message: parsed.error?.message ?? 'no message' };
  }
}
