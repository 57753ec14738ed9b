import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const CLI = `${ROOT}packages/cli/dist/main.js`;
export const EXAMPLES = `${ROOT}examples/`;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Every output of every command run by this test file, to search for secrets. */
export const outputs: string[] = [];

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build first (npx turbo run build --filter=@cdp/cli...)`);
}

/** The environment of a child: `base` without Jest's Node options, with the given variables set or (undefined) removed. */
export function childEnv(extra: Record<string, string | undefined>, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, NODE_OPTIONS: '', ...extra };
  for (const [name, value] of Object.entries(extra)) if (value === undefined) delete env[name];
  return env;
}

/** Runs the built CLI to completion. */
export function runCdp(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env, cwd: ROOT, timeout: 30_000 }, (error, stdout, stderr) => {
      outputs.push(stdout, stderr);
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A command started in the background: its process, its output so far, and its end. */
export interface RunningCdp {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<CliResult>;
}

/** Starts the built CLI without waiting for it. */
export function spawnCdp(args: string[], env: NodeJS.ProcessEnv): RunningCdp {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close' rather than 'exit': the output is complete only once the streams are.
  const exited = new Promise<CliResult>((resolve) => {
    child.once('close', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Starts a long-running command and resolves once its standard output matches `ready`. */
export async function startCdp(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<RunningCdp> {
  const running = spawnCdp(args, env);
  await new Promise<void>((resolve, reject) => {
    const onData = (): void => {
      if (!ready.test(running.stdout())) return;
      running.child.stdout.off('data', onData);
      resolve();
    };
    running.child.stdout.on('data', onData);
    void running.exited.then((result) => reject(new Error(`cdp ${args.join(' ')} exited with ${result.code} before it was ready: ${result.stderr}`)));
  });
  return running;
}
