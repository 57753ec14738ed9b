import { execFile, spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startSandbox, type Sandbox, type SandboxSeed } from '@cdp/mailchimp-sandbox';
import { startEmbeddedMongo, type EmbeddedMongo } from '@cdp/store-mongodb';
import { createPool, postgresFromEnvironment, type EmbeddedPostgres } from '@cdp/store-postgres';
import { assertBuilt, childEnv, CLI, EXAMPLES, ROOT } from './support/cli-process.js';

/**
 * The example sessions of the docs, run as written and compared with what the docs show: a session is a fenced
 * block right after a `<!-- session -->` comment, of `$ cdp …` and `$ psql …` commands (and `$ export NAME=value`
 * lines), each followed by its output (standard error and standard output, as a terminal shows them) and
 * `[exit N]`. A variable this test provides (its servers: MongoDB, PostgreSQL, the sandbox and its key) keeps
 * the test's value whatever a session exports: the doc's value is the reader's. Sessions of one doc run in order
 * and share the servers and the variables. Run ids, times, durations, rates and ports are normalised, and so is the width of table
 * columns. With UPDATE_DOCS=1 the blocks are rewritten from this run instead.
 */
const DOCS = ['docs/cli.md', 'docs/sources.md'];
const MARKER = '<!-- session -->';
const DATABASE = 'cdp';
const COMMANDS = ['cdp', 'psql'];

interface Step {
  command: string;
  output: string;
}

interface Session {
  doc: string;
  /** Where the block's text starts and ends in the doc. */
  start: number;
  end: number;
  steps: Step[];
}

let mongo: EmbeddedMongo;
let postgres: EmbeddedPostgres;
let sandbox: Sandbox;
let env: NodeJS.ProcessEnv;
/** docs/sources.md's stores and CRM database: the CDP's stores on PostgreSQL, and the table the source reads. */
let sourcesEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  assertBuilt();
  const seed = JSON.parse(await readFile(`${EXAMPLES}mailchimp-seed.json`, 'utf8')) as SandboxSeed;
  [mongo, postgres, sandbox] = await Promise.all([startEmbeddedMongo(DATABASE), postgresFromEnvironment(), startSandbox({ seed })]);
  env = childEnv({
    MONGODB_URI: mongo.uri,
    MAILCHIMP_API_KEY: seed.apiKeys![0],
    MAILCHIMP_BASE_URL: sandbox.baseUrl,
    NO_COLOR: undefined,
    CDP_CATALOG: undefined,
    CDP_CONNECTIONS: undefined,
    DATABASE_URL: undefined,
  });
  const [stores, crm] = [`cdp_docs_${process.pid}`, `crm_docs_${process.pid}`];
  const admin = createPool({ connectionString: postgres.url, max: 1 });
  try {
    for (const name of [stores, crm]) await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const urlOf = (database: string) => Object.assign(new URL(postgres.url), { pathname: `/${database}` }).toString();
  sourcesEnv = { ...env, DATABASE_URL: urlOf(stores), CDP_SECRET_CRM_DATABASE_URL: urlOf(crm), CRM_ADMIN_URL: urlOf(crm) };
});

afterAll(async () => {
  await Promise.all([sandbox?.close(), mongo?.stop(), postgres?.stop()]);
});

describe('the example sessions of the docs', () => {
  it('print what the docs show', async () => {
    const update = process.env.UPDATE_DOCS === '1';
    for (const doc of DOCS) {
      const text = await readFile(`${ROOT}${doc}`, 'utf8');
      const sessions = parseSessions(doc, text);
      expect(sessions.length).toBeGreaterThan(0);
      let rewritten = text;
      // From the last block back, so the offsets of earlier ones stay right.
      const actual = [];
      const docEnv = doc === 'docs/sources.md' ? sourcesEnv : env;
      const sessionEnv = { ...docEnv };
      for (const session of sessions) actual.push(await play(session, docEnv, sessionEnv));
      for (const [index, session] of [...sessions.entries()].reverse()) {
        rewritten = rewritten.slice(0, session.start) + render(actual[index]) + rewritten.slice(session.end);
      }
      if (update) await writeFile(`${ROOT}${doc}`, rewritten);
      for (const [index, session] of sessions.entries()) {
        for (const [s, step] of session.steps.entries()) {
          expect(`$ ${step.command}\n${normalise(actual[index][s].output)}`).toBe(`$ ${step.command}\n${normalise(step.output)}`);
        }
      }
    }
  });
});

export function parseSessions(doc: string, text: string): Session[] {
  const sessions: Session[] = [];
  let from = 0;
  for (;;) {
    const marker = text.indexOf(MARKER, from);
    if (marker < 0) return sessions;
    const open = text.indexOf('```\n', marker);
    const start = open + 4;
    const end = text.indexOf('```\n', start);
    const steps: Step[] = [];
    for (const line of text.slice(start, end).split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), output: '' });
      else if (steps.length > 0) steps[steps.length - 1].output += `${line}\n`;
    }
    for (const step of steps) step.output = step.output.trim() === '' ? '' : step.output.replace(/\n+$/, '\n');
    sessions.push({ doc, start, end, steps });
    from = end;
  }
}

/**
 * Runs a session's commands in order, in one environment; `export` lines set variables for the next ones, but
 * for those the test provides. A `# comment` at the end of a line is the reader's, not the shell's.
 */
async function play(session: Session, docEnv: NodeJS.ProcessEnv, sessionEnv: NodeJS.ProcessEnv): Promise<Step[]> {
  const played: Step[] = [];
  for (const { command } of session.steps) {
    const line = command.replace(/\s+#.*$/, '');
    const [program] = line.split(' ');
    if (program === 'export') {
      for (const assignment of line.slice('export '.length).split(/\s+/)) {
        const [name, ...value] = assignment.split('=');
        if (docEnv[name] === undefined) sessionEnv[name] = value.join('=');
      }
      played.push({ command, output: '' });
      continue;
    }
    if (!COMMANDS.includes(program)) throw new Error(`${session.doc}: a session runs ${COMMANDS.join(' and ')} commands, not "${command}"`);
    played.push({ command, output: await shell(program === 'cdp' ? `node ${CLI} ${line.slice(4)}` : line, sessionEnv) });
  }
  return played;
}

/** Standard error and standard output in one stream, as on a terminal, then the exit code. */
function shell(command: string, sessionEnv: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', `${command} 2>&1`], { cwd: ROOT, env: sessionEnv, timeout: 60_000 }, (error, stdout) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      const printed = stdout.replace(/\n+$/, '');
      resolve(`${printed ? `${printed}\n` : ''}[exit ${code}]\n`);
    });
  });
}

/** A step with output is followed by a blank line; consecutive `export` lines stay together. */
function render(steps: Step[]): string {
  return steps
    .map((step) => `$ ${step.command}\n${step.output ? `${step.output}\n` : ''}`)
    .join('')
    .replace(/\n\n$/, '\n');
}

/** What may differ from one run to the next. */
export function normalise(output: string): string {
  return (
    output
      .split('\n')
      // A progress line of work in progress shows up or not, depending on the machine's speed.
      .filter((line) => !/^\d{4}-\d\d-\d\dT[\d:.]+Z \S+.*: /.test(line) || line.endsWith(', done'))
      .join('\n')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, '<time>')
      .replace(/\b\d+(\.\d+)? (ms|s|min)\b/g, '<duration>')
      .replace(/[\d,]+\/s\b/g, '<rate>/s')
      .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>')
      .replace(/-{2,}/g, '--')
      .replace(/ {2,}/g, ' ')
      .replace(/ +$/gm, '')
  );
}

/**
 * Command blocks whose output the docs do not show (a ```sh block right after `<!-- commands -->`): run line by
 * line as written, in one environment, against the test's servers; every line must exit 0. A line that runs
 * until interrupted (the scheduler worker) gets Ctrl-C once it says it started, and must then stop cleanly.
 */
const COMMAND_DOCS = ['README.md'];
const COMMANDS_MARKER = '<!-- commands -->';
const UNTIL_INTERRUPTED: { command: RegExp; started: RegExp; stopped: RegExp }[] = [
  { command: /^npx cdp schedule /, started: /Scheduler worker started/, stopped: /Stopping: waiting for the runs in progress\.\n/ },
];

describe('the command blocks of the docs', () => {
  it('run as written', async () => {
    for (const doc of COMMAND_DOCS) {
      const text = await readFile(`${ROOT}${doc}`, 'utf8');
      const blocks = text.split(COMMANDS_MARKER).slice(1).map((after) => {
        const start = after.indexOf('```sh\n') + '```sh\n'.length;
        return after.slice(start, after.indexOf('\n```', start));
      });
      expect(blocks.join('')).toMatch(/\S/);
      const blockEnv = { ...env };
      for (const line of blocks.flatMap((block) => block.split('\n')).map((command) => command.replace(/\s+#.*$/, '').trim())) {
        if (line === '') continue;
        if (line.startsWith('export ')) {
          for (const [name, ...value] of line.slice('export '.length).split(/\s+/).map((assignment) => assignment.split('='))) {
            if (env[name] === undefined) blockEnv[name] = value.join('=').replace(/^'(.*)'$/, '$1');
          }
          continue;
        }
        const longRunning = UNTIL_INTERRUPTED.find(({ command }) => command.test(line));
        if (!longRunning) {
          expect(`${doc}: $ ${line}\n${await shell(line, blockEnv)}`).toMatch(/\[exit 0\]\n$/);
          continue;
        }
        // npx ends itself on Ctrl-C (as a shell shows it, exit 130); the command under it must stop cleanly.
        const output = await interruptedOnce(line, longRunning.started, blockEnv);
        expect(`${doc}: $ ${line}\n${output}`).toMatch(new RegExp(`${longRunning.stopped.source}\\[exit (0|SIGINT)\\]\\n$`));
      }
    }
  });
});

/** Starts a command that runs until interrupted, sends Ctrl-C (SIGINT to its process group) once it printed `started`. */
function interruptedOnce(command: string, started: RegExp, commandEnv: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve) => {
    // exec: the command leads its process group, as it would in a terminal, where Ctrl-C does not reach a shell.
    const child = spawn('sh', ['-c', `exec ${command} 2>&1`], { cwd: ROOT, env: commandEnv, detached: true });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (started.test(output)) process.kill(-child.pid!, 'SIGINT');
    });
    child.once('close', (code, signal) => resolve(`${output.replace(/\n+$/, '')}\n[exit ${code ?? signal}]\n`));
  });
}

/** Terminal control sequences: the escape character, then a CSI sequence. */
const ESC = String.fromCharCode(27);
const CSI = new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g');

describe('cdp run on a terminal', () => {
  /** Runs a command in a pseudo-terminal (util-linux `script`) and resolves to everything the terminal received. */
  function inTerminal(command: string, extra: Record<string, string | undefined>): Promise<string> {
    return new Promise((resolve, reject) => {
      const terminalEnv = childEnv({ ...extra, CDP_CATALOG: `${EXAMPLES}catalog.json` }, env);
      // 150 columns, so that a bar's line is never cut to the terminal's width.
      execFile('script', ['-q', '-e', '-c', `stty cols 150; ${command}`, '/dev/null'], { cwd: ROOT, env: terminalEnv, timeout: 60_000 }, (error, stdout) =>
        error ? reject(new Error(`${command} failed in a terminal: ${String(error)}\n${stdout}`)) : resolve(stdout),
      );
    });
  }

  it('draws a bar per goal with done/total, rate and ETA, redrawn in place, and leaves each goal a final line', async () => {
    const recording = await inTerminal(`node ${CLI} run ${EXAMPLES}newsletter.connection.json --full`, {});
    // Redrawn in place: cursor movements, and the last frame of each goal ends with its duration.
    expect(recording).toContain(`${ESC}[1G`);
    expect(recording).toMatch(/import-newsletter-members newsletter1 +\[.*\] +\d+% \d+\/\d+ members read, [\d,]+\/s, (ETA \d+ s|in [\d.]+ m?s)/);
    const frames = recording.split(new RegExp(`\\r|${ESC}\\[1G`)).map((frame) => frame.replace(CSI, ''));
    expect(frames.some((frame) => /export-newsletter-subscribers +\[█{20}\] 100% 218\/218 profiles processed, [\d,]+\/s, in [\d.]+ m?s/.test(frame))).toBe(true);
    expect(frames.some((frame) => /import-newsletter-members newsletter1 +\[█{20}\] 100% (\d+)\/\1 members read, [\d,]+\/s, in [\d.]+ m?s/.test(frame))).toBe(true);
    // Colours on a terminal by default.
    expect(recording).toContain('\x1b[32m');
  });

  it('honours NO_COLOR, and --quiet draws nothing', async () => {
    const plain = await inTerminal(`node ${CLI} test --full ${EXAMPLES}newsletter.connection.json 2>&1 >/dev/null`, { NO_COLOR: '1' });
    expect(plain).toMatch(/export-newsletter-subscribers +\[/);
    expect(plain).not.toContain('\x1b[32m');
    const quiet = await inTerminal(`node ${CLI} --quiet test ${EXAMPLES}newsletter.connection.json 2>&1 >/dev/null`, {});
    expect(quiet.trim()).toBe('');
  });
});
