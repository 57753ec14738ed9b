import type { Connector } from '../connector.js';
import type { ConfigProblem } from '../errors.js';
import type { Connection } from './generated-types.js';
import { pointerTo } from './pointers.js';
import { didYouMean } from './suggest.js';

/** What validation needs of a connector: its declarations, never a session. */
export type ConnectorInfo = Pick<Connector, 'id' | 'authSchema' | 'goalKinds' | 'authProblems'>;

/** The connector a (possibly malformed) config names, when it is registered. */
export function namedConnector(raw: unknown, connectors: readonly ConnectorInfo[]): ConnectorInfo | undefined {
  const id = isObject(raw) ? raw.connector : undefined;
  return typeof id === 'string' ? connectors.find((connector) => connector.id === id) : undefined;
}

/** An unknown connector, an auth the connector refuses, or goals of a kind the connector does not handle. */
export function connectorProblems(connection: Connection, connectors: readonly ConnectorInfo[]): ConfigProblem[] {
  const connector = namedConnector(connection, connectors);
  if (!connector) {
    const ids = connectors.map((c) => c.id);
    const available = ids.length ? ` (available: ${ids.join(', ')})` : ' (no connectors are registered)';
    return [{ pointer: '/connector', message: `unknown connector "${connection.connector}"${didYouMean(connection.connector, ids)}${available}` }];
  }
  const goalKinds = connection.goals.flatMap((goal, index) =>
    connector.goalKinds.includes(goal.kind)
      ? []
      : [{ pointer: pointerTo('/goals', index, 'kind'), message: `connector "${connector.id}" does not support ${goal.kind} goals (it supports: ${connector.goalKinds.join(', ')})` }],
  );
  return [...(connector.authProblems?.(connection.auth) ?? []), ...goalKinds];
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
