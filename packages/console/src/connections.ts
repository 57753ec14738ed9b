import type { ConnectionSource, RunService } from '@cdp/runtime';
import type { Connection } from '@cdp/sdk';

/** A connection as the console lists it: its validated config, or why it does not validate. */
export type ListedConnection = { id: string; connection: Connection } | { id: string; refusal: string };

/**
 * Every connection of the source, each validated through the run service (the same check a run makes). Unlike the
 * scheduler's view, listing records nothing: a refused config is shown, not written to the history.
 */
export async function listConnections(source: ConnectionSource, service: RunService): Promise<ListedConnection[]> {
  const listed: ListedConnection[] = [];
  for (const raw of await source.list()) {
    const id = String((raw as { id?: unknown }).id ?? '?');
    try {
      listed.push({ id, connection: await service.connection(id) });
    } catch (error) {
      listed.push({ id, refusal: error instanceof Error ? error.message : String(error) });
    }
  }
  return listed.sort((a, b) => a.id.localeCompare(b.id));
}

/** The variable the connection's OAuth auth names for its access token, and its server prefix; none for an API key. */
export function oauthTarget(connection: Connection): { variable: string; serverPrefix: string } | undefined {
  const auth = connection.auth as { accessToken?: { env?: string }; serverPrefix?: string };
  return auth.accessToken?.env ? { variable: auth.accessToken.env, serverPrefix: auth.serverPrefix ?? '' } : undefined;
}
