import { execFile, spawn, type ChildProcess } from 'node:child_process';
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

/** Starts a long-running command and resolves once its standard output matches `ready`. */
export function startCdp(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; stdout: () => string; exited: Promise<CliResult> }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd: ROOT });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<CliResult>((resolve) => {
    child.once('exit', (code) => {
      outputs.push(stdout, stderr);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString();
      if (!ready.test(stdout)) return;
      child.stdout.off('data', onData);
      child.stdout.on('data', (more: Buffer) => (stdout += more.toString()));
      resolve({ child, stdout: () => stdout, exited });
    };
    child.stdout.on('data', onData);
    void exited.then((result) => reject(new Error(`cdp ${args.join(' ')} exited with ${result.code} before it was ready: ${result.stderr}`)));
  });
}
