import { redact, type ConnectContext, type Connection, type Connector } from '@cdp/sdk';
import { messageOf } from './message-of.js';
import type { ReadinessCheck } from './readiness.js';

export interface ConnectorChecksOptions {
  connectors: Connector[];
  /** The connections as configured now (the worker's own `connections`). */
  connections: () => Promise<Connection[]>;
  /** How sessions read their secrets and log, as for a run. */
  context: ConnectContext;
}

/**
 * A readiness check per connector, named by its id: each connection the worker runs (enabled, with a schedule) on
 * that connector opens a session and calls its credentials check (Mailchimp: `GET /ping` through the official
 * client). Connections with the same auth share one call; a connector no such connection uses passes.
 */
export function connectorChecks({ connectors, connections, context }: ConnectorChecksOptions): Record<string, ReadinessCheck> {
  return Object.fromEntries(
    connectors.map((connector): [string, ReadinessCheck] => [
      connector.id,
      async (signal) => {
        const byAuth = new Map<string, { auth: unknown; ids: string[] }>();
        for (const connection of await connections()) {
          if (!connection.enabled || !connection.schedule || connection.connector !== connector.id) continue;
          const key = JSON.stringify(connection.auth);
          let entry = byAuth.get(key);
          if (!entry) byAuth.set(key, (entry = { auth: connection.auth, ids: [] }));
          entry.ids.push(connection.id);
        }
        const failures = await Promise.all(
          [...byAuth.values()].map(({ auth, ids }) =>
            checkCredentials(connector, auth, context, signal).then(
              () => undefined,
              (error: unknown) => `${ids.join(', ')}: ${messageOf(error)}`,
            ),
          ),
        );
        const failed = failures.filter((failure) => failure !== undefined);
        if (failed.length > 0) throw new Error(failed.join('; '));
      },
    ]),
  );
}

/** Opens a session with `auth` and checks its credentials; aborting `signal` closes the session, ending its retries. */
async function checkCredentials(connector: Connector, auth: unknown, context: ConnectContext, signal: AbortSignal): Promise<void> {
  const secrets: string[] = [];
  const secret: ConnectContext['secret'] = (ref) => {
    const value = context.secret(ref);
    secrets.push(value);
    return value;
  };
  try {
    const session = await connector.connect(auth, { secret, logger: context.logger });
    const close = (): void => void session.close();
    signal.addEventListener('abort', close, { once: true });
    try {
      await session.check();
    } finally {
      signal.removeEventListener('abort', close);
      await session.close();
    }
  } catch (error) {
    // The connector redacts its own errors already; the readiness body is public, so once more here.
    throw new Error(redact(messageOf(error), secrets));
  }
}
