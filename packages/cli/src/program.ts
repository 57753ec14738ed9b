import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { collect, lazyAction, type CommandHost } from './command-kit.js';
import { ExitCode, exitCodeOf, type ExitCodeValue } from './exit-codes.js';
import { Output } from './output.js';

/**
 * The whole command-line surface: every command, argument and option. A command's module (and the packages it
 * needs: stores, drivers, the scheduler) is loaded only when that command runs, so help and version answer at once.
 */

const DEFAULT_CONNECTIONS = ['./connections'];

/** The first --connections replaces the default; later ones add to it. */
function addConnectionPath(path: string, previous: string[]): string[] {
  return previous === DEFAULT_CONNECTIONS ? [path] : [...previous, path];
}

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

export function buildProgram(host: CommandHost): Command {
  const program = new Command('cdp')
    .description('Run, test, schedule and diagnose CDP connections (Mailchimp import and export).')
    .version(VERSION, '-V, --version', 'print the version of cdp')
    .addOption(new Option('--catalog <file>', "the CDP's catalog JSON (segments, properties, objectives, lifecycles)").env('CDP_CATALOG').default('./catalog.json'))
    .addOption(
      new Option('--connections <path>', 'a connection file, or a folder of *.connection.json, for commands that take a connection id (repeatable)')
        .env('CDP_CONNECTIONS')
        .argParser(addConnectionPath)
        .default(DEFAULT_CONNECTIONS),
    )
    .addOption(new Option('--log-level <level>', 'log lines written to standard error from this level up').choices(['debug', 'info', 'warn', 'error']).default('warn'))
    .option('-q, --quiet', 'no progress on standard error (errors and the report are still printed)')
    .option('--no-color', 'no colours (also when NO_COLOR is set)')
    .helpOption('-h, --help', 'show help for cdp or a command')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError('(run cdp --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => host.output.line(text.trimEnd()), writeErr: (text) => host.output.message(text.trimEnd()) });

  const define = (name: string, description: string): Command => program.command(name).description(description);
  const json = (what: string): Option => new Option('--json', `print ${what} as JSON`);

  define('validate', 'check connection files against the schemas, the connector and the catalog, listing every problem of every file')
    .argument('<path...>', 'connection files, or folders of *.connection.json')
    .addOption(json('every file with its problems'))
    .action(lazyAction(host, async () => (await import('./commands/validate.js')).validate));

  define('test', 'dry run: what a run would create, update, leave unchanged, remove and skip; writes nothing')
    .argument('<connection.json>', 'the connection file')
    .option('--goal <id>', 'only this goal (repeatable)', collect)
    .option('--full', 'count as if nothing had been sent before')
    .addOption(json('the report'))
    .action(lazyAction(host, async () => (await import('./connection-run.js')).testConnectionFile));

  define('run', 'run a connection now: progress per goal, then the run report')
    .argument('<connection.json>', 'the connection file')
    .option('--goal <id>', 'only this goal (repeatable)', collect)
    .option('--full', 'ignore watermarks and last-sent payloads: consider and send everything')
    .option('--force', 'override the removal brake')
    .addOption(json('the report'))
    .option('--allow-failures', 'exit 0 when the run succeeded though some members or profiles failed (otherwise 5)')
    .action(lazyAction(host, async () => (await import('./connection-run.js')).runConnection));

  define('schedule', 'run the scheduler worker for these connections until interrupted; more workers may share the load')
    .argument('<path...>', 'connection files or folders of *.connection.json (re-read every minute)')
    .option('--metrics-port <port>', 'serve /healthz, /readyz and /metrics (Prometheus) on this port; 0 picks a free one')
    .option('--metrics-host <address>', 'the address those endpoints listen on', '127.0.0.1')
    .action(lazyAction(host, async () => (await import('./commands/schedule.js')).schedule));

  define('history', 'runs of a connection, newest first, with their errors')
    .argument('<connection-id>', 'the connection id')
    .option('--since <period>', 'runs started in this period (30m, 12h, 7d, 2w) or since this date', '7d')
    .option('--limit <n>', 'at most this many runs', '50')
    .addOption(json('the runs'))
    .action(lazyAction(host, async () => (await import('./commands/history.js')).history));

  define('diagnose', 'one email through a connection: profile, consent, segments, last payload, member status, last error')
    .argument('<connection-id>', 'the connection id')
    .argument('<email>', 'the email address')
    .option('--resync', 'push this one profile to its export audiences now')
    .addOption(json('the diagnosis'))
    .action(lazyAction(host, async () => (await import('./commands/diagnose.js')).diagnoseCommand));

  define('audiences', "the Mailchimp audiences and merge fields the API key (MAILCHIMP_API_KEY, or a connection's auth) can see")
    .option('--connection <file>', "use this connection's credentials instead of MAILCHIMP_API_KEY")
    .addOption(json('the audiences'))
    .action(lazyAction(host, async () => (await import('./commands/audiences.js')).audiences));

  const mappings = define('mappings', "mappings between the audiences' merge fields and the catalog's properties");
  mappings
    .command('suggest')
    .description("propose each goal's missing mappings by matching its audiences' merge fields with the catalog's properties (names, types); prints them as JSON")
    .argument('<connection.json>', 'the connection file')
    .option('--goal <id>', 'only this goal (repeatable)', collect)
    .option('--write', 'add the suggested mappings to the connection file (written only if it is still valid)')
    .action(lazyAction(host, async () => (await import('./commands/mappings.js')).suggestMappings));

  define('console', 'serve the web console (connections, run history, reports, Run now, diagnosis, Connect with Mailchimp) until interrupted')
    .option('--host <host>', 'address to listen on; anything but loopback must be chosen explicitly', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4020')
    .addOption(new Option('--password-env <name>', 'the environment variable holding the console password (required, at least 12 characters)').default('CDP_CONSOLE_PASSWORD'))
    .addOption(new Option('--oauth-client-id <id>', "the Mailchimp app's client id: shows Connect with Mailchimp").env('MAILCHIMP_OAUTH_CLIENT_ID'))
    .option('--oauth-client-secret-env <name>', "the environment variable holding the Mailchimp app's client secret", 'MAILCHIMP_OAUTH_CLIENT_SECRET')
    .addOption(new Option('--oauth-base-url <url>', "Mailchimp's OAuth host").env('MAILCHIMP_OAUTH_BASE_URL').default('https://login.mailchimp.com'))
    .option('--oauth-redirect-uri <url>', "the app's registered redirect URI (default: <console URL>/oauth/mailchimp/callback)")
    .option('--secrets-file <file>', 'the env file (NAME=value, mode 0600) where Connect with Mailchimp stores access tokens', './cdp-secrets.env')
    .action(lazyAction(host, async () => (await import('./commands/console.js')).consoleCommand));

  const profiles = define('profiles', 'profiles in the profile store (PostgreSQL at DATABASE_URL, or MongoDB at MONGODB_URI)');
  profiles
    .command('load')
    .description('load profiles from NDJSON (one profile per line) or CSV (a header row: id, then property names); a later line with the same id replaces the profile')
    .argument('<file>', 'the file to load')
    .addOption(new Option('--format <format>', 'the file format (default: from the extension)').choices(['ndjson', 'csv']))
    .addOption(json('the outcome (profiles loaded, lines refused)'))
    .action(lazyAction(host, async () => (await import('./commands/profiles.js')).loadProfilesCommand));

  const db = define('db', 'the embedded in-memory MongoDB-compatible server');
  db.command('start')
    .description('run the embedded MongoDB-compatible server on 127.0.0.1 until interrupted (Ctrl-C); its data lives in memory only')
    .option('--database <name>', 'the database the printed URI names', 'cdp')
    .action(lazyAction(host, async () => (await import('./commands/db.js')).startDb));

  define('sandbox', 'start the Mailchimp sandbox on 127.0.0.1 until interrupted (Ctrl-C)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4010')
    .option('--seed <file>', 'seed JSON: API keys, audiences with merge fields and members, campaigns')
    .action(lazyAction(host, async () => (await import('./commands/sandbox.js')).sandbox));

  define('demo', 'run the example connection twice on MONGODB_URI (else an in-memory MongoDB-compatible server) and the Mailchimp sandbox')
    .addOption(json('the two run reports'))
    .action(lazyAction(host, async () => (await import('./commands/demo.js')).demo));

  for (const command of [...program.commands, mappings.commands[0], profiles.commands[0], db.commands[0]]) command.exitOverride();
  return program;
}

/** Parses the arguments and runs one command; resolves to the process exit code (never throws). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env, output: Output = new Output()): Promise<ExitCodeValue> {
  const host: CommandHost = { env, output };
  try {
    await buildProgram(host).parseAsync(argv);
    return host.exitCode ?? ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
    output.message(`Error: ${describe(error)}`);
    return exitCodeOf(error);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
