import { createRunService, requireSecrets, StaticConnectionSource, type ConnectionSource, type RunService } from '@cdp/runtime';
import type { Catalog, Connection } from '@cdp/sdk';
import { uniqueIdentifiers, type LoadedCatalog } from './catalog-file.js';
import type { ConnectionFile } from './connection-files.js';
import { CONNECTORS, withSession } from './connectors.js';
import type { CliContext } from './context.js';
import { openStores, type HostStores } from './stores.js';

/** Set to 1, webhooks may call loopback, link-local and private addresses (a receiver on this machine or network). */
const WEBHOOK_ALLOW_PRIVATE_VARIABLE = 'CDP_WEBHOOK_ALLOW_PRIVATE';
/** Set to 1, email targets may name an SMTP server at such an address (a relay on the host's own network). */
const EMAIL_ALLOW_PRIVATE_VARIABLE = 'CDP_EMAIL_ALLOW_PRIVATE';

/** Everything a command that runs connections needs, composed through the runtime's composition root. */
export interface Host {
  service: RunService;
  stores: HostStores;
  catalog: Catalog;
  close(): Promise<void>;
}

export interface HostOptions {
  catalog: LoadedCatalog;
  connections: ConnectionSource;
  /** A MongoDB to use whatever the environment says; otherwise DATABASE_URL (PostgreSQL) or MONGODB_URI. */
  mongoUri?: string;
}

/** Connects to the stores' database and builds the run service over the catalog and the given connection files. */
export async function openHost(ctx: CliContext, options: HostOptions): Promise<Host> {
  const { catalog, data } = options.catalog;
  const stores = await openStores(ctx.env, uniqueIdentifiers(data), options.mongoUri);
  const service = createRunService({
    profiles: stores.profiles,
    state: stores.state,
    catalog,
    connections: options.connections,
    connectors: CONNECTORS,
    logger: ctx.logger,
    secrets: ctx.secrets,
    webhooks: { allowPrivateAddresses: ctx.env[WEBHOOK_ALLOW_PRIVATE_VARIABLE] === '1' },
    email: { allowPrivateAddresses: ctx.env[EMAIL_ALLOW_PRIVATE_VARIABLE] === '1' },
  });
  return { service, stores, catalog, close: () => stores.close() };
}

/** The run service's view of connection files read once (a command's own; the scheduler re-reads its files). */
export function connectionSource(files: ConnectionFile[]): StaticConnectionSource {
  return new StaticConnectionSource(files.map((file) => file.raw));
}

/** Runs `use` with an open host and closes it afterwards, whatever happens. */
export async function withHost<T>(ctx: CliContext, options: HostOptions, use: (host: Host) => Promise<T>): Promise<T> {
  const host = await openHost(ctx, options);
  try {
    return await use(host);
  } finally {
    await host.close();
  }
}

/**
 * Reads every secret the connection needs, then opens a session and pings, so a missing or refused secret, wrong
 * credentials or an unreachable API stop a command before it starts.
 */
export async function checkCredentials(ctx: CliContext, connection: Connection): Promise<void> {
  requireSecrets(connection, ctx.secrets);
  await withSession(ctx, connection.connector, connection.auth, async () => undefined);
}
