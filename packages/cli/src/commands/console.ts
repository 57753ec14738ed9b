import { envFileSecretStore, MIN_PASSWORD_LENGTH, startConsole, type MailchimpOAuthOptions } from '@cdp/console';
import { environmentSecrets } from '@cdp/runtime';
import { readCatalogFile } from '../catalog-file.js';
import type { Handler } from '../command-kit.js';
import { FileConnectionSource, readConnectionPaths } from '../connection-files.js';
import { CONNECTORS } from '../connectors.js';
import type { CliContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { withHost } from '../host.js';
import { interrupted } from '../signals.js';

interface ConsoleFlags {
  host: string;
  port: string;
  passwordEnv: string;
  oauthClientId?: string;
  oauthClientSecretEnv: string;
  oauthBaseUrl?: string;
  oauthRedirectUri?: string;
  secretsFile: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * `cdp console`: the web console on loopback (or --host) until interrupted, over the connections of --connections
 * (re-read at every request) and the stores of DATABASE_URL or MONGODB_URI.
 */
export const consoleCommand: Handler<ConsoleFlags, []> = async ({ ctx, globals, options }) => {
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new CliError(`--port must be a port number, got "${options.port}"`, ExitCode.badInput);
  const password = readSecret(ctx, options.passwordEnv, `the console's password (at least ${MIN_PASSWORD_LENGTH} characters), named by --password-env`);
  if (password.length < MIN_PASSWORD_LENGTH) throw new CliError(`${options.passwordEnv} holds a password shorter than ${MIN_PASSWORD_LENGTH} characters`, ExitCode.badInput);
  const oauth = options.oauthClientId ? oauthOptions(ctx, options, options.oauthClientId) : undefined;
  const catalog = await readCatalogFile(globals.catalog);
  await readConnectionPaths(globals.connections);
  const connections = new FileConnectionSource(globals.connections);
  return withHost(ctx, { catalog, connections }, async ({ service, stores }) => {
    const stopRequested = interrupted();
    const running = await startConsole({
      service,
      stores,
      connections,
      connectors: CONNECTORS,
      secrets: ctx.secrets,
      logger: ctx.logger,
      password,
      listen: { host: options.host, port },
      oauth,
    });
    ctx.output.line(`Console listening on ${running.url}; Ctrl-C stops it.`);
    if (!LOOPBACK.has(options.host)) ctx.output.line('  Listening beyond loopback: serve it behind HTTPS (its cookies are marked Secure).');
    if (oauth) ctx.output.line(`  Connect with Mailchimp stores access tokens in ${options.secretsFile}`);
    await stopRequested;
    await running.close();
    return ExitCode.ok;
  });
};

/** The value of the variable an option names, read like a connection's secrets but from that one variable only. */
function readSecret(ctx: CliContext, variable: string, what: string): string {
  try {
    return environmentSecrets(ctx.env, { allow: [variable] }).secret({ env: variable });
  } catch {
    throw new CliError(`${variable} is not set: it holds ${what}; the console never starts without it`, ExitCode.badInput);
  }
}

function oauthOptions(ctx: CliContext, options: ConsoleFlags, clientId: string): MailchimpOAuthOptions {
  return {
    clientId,
    clientSecret: readSecret(ctx, options.oauthClientSecretEnv, "the Mailchimp app's client secret, named by --oauth-client-secret-env"),
    baseUrl: options.oauthBaseUrl,
    redirectUri: options.oauthRedirectUri,
    tokens: envFileSecretStore(options.secretsFile, ctx.env),
  };
}
