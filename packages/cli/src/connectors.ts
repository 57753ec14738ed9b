import { mailchimpConnector } from '@cdp/connector-mailchimp';
import { InvalidConfigError, validateConnection, type Catalog, type Connection, type Connector, type ConnectorSession } from '@cdp/sdk';
import type { CliContext } from './context.js';

/**
 * The connectors this command line can run, with what needs only them: commands that check a config or talk to
 * Mailchimp load this module, not the stores and the run service of host.ts.
 */
export const CONNECTORS: Connector[] = [mailchimpConnector as Connector];

/** Validates a connection file against the schemas, the connectors and the catalog; refusal lists every problem. */
export async function validateConnectionFile(file: { raw: unknown }, catalog: Catalog): Promise<Connection> {
  const result = await validateConnection(file.raw, { catalog, connectors: CONNECTORS });
  if (!result.ok) throw new InvalidConfigError(result.problems);
  return result.connection;
}

/** Opens a session of a registered connector with these credentials, checks them, runs `use`, and closes the session whatever happens. */
export async function withSession<T>(ctx: CliContext, connectorId: string, auth: unknown, use: (session: ConnectorSession) => Promise<T>): Promise<T> {
  const connector = CONNECTORS.find((candidate) => candidate.id === connectorId)!;
  const session = await connector.connect(auth, { secret: (ref) => ctx.secrets.secret(ref), logger: ctx.logger });
  try {
    await session.check();
    return await use(session);
  } finally {
    await session.close();
  }
}
