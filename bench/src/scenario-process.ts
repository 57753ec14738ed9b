import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RESULT_PREFIX } from './worker.js';

/** Runs `scenarios/<name>.js` in a fresh node process and returns the result it printed. */
export function runScenarioProcess<R>(name: string, params: object): Promise<R> {
  const script = fileURLToPath(new URL(`./scenarios/${name}.js`, import.meta.url));
  const child = spawn(process.execPath, ['--expose-gc', script, JSON.stringify(params)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = output.split('\n').find((text) => text.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) return reject(new Error(`scenario ${name} failed (exit code ${code})`));
      resolve(JSON.parse(line.slice(RESULT_PREFIX.length)) as R);
    });
  });
}
