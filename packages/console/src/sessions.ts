import type { Connection, ConnectorSession } from '@cdp/sdk';
import type { ConsoleContext } from './console.js';

/**
 * Runs `use` with a session of the connection's connector on the connection's credentials, checked first and closed
 * afterwards. The credentials stay in this process: pages show what the session reads, never the secret.
 */
export async function withSession<T>(context: ConsoleContext, connection: Connection, use: (session: ConnectorSession) => Promise<T>): Promise<T> {
  const connector = context.connectors.find((candidate) => candidate.id === connection.connector);
  if (!connector) throw new Error(`no connector "${connection.connector}" is registered`);
  const session = await connector.connect(connection.auth, { secret: (ref) => context.secrets.secret(ref), logger: context.logger });
  try {
    await session.check();
    return await use(session);
  } finally {
    await session.close();
  }
}
