import {
  assertValidConnection,
  CdpError,
  runConnection,
  type Catalog,
  type Clock,
  type Connection,
  type Connector,
  type Logger,
  type Notifier,
  type ProfileStore,
  type RunOptions,
  type RunQuery,
  type RunReport,
  type RunTrigger,
  type StateStore,
} from '@cdp/sdk';
import { randomUUID } from 'node:crypto';
import { inject, injectable, multiInject } from 'inversify';
import type { ConnectionSource } from './connection-source.js';
import type { SecretResolver } from './secrets.js';
import { TOKENS } from './tokens.js';

/** This process's identity in run locks: several workers and CLIs can tell each other apart. */
const PROCESS_OWNER = `${process.pid}-${randomUUID().slice(0, 8)}`;

/**
 * The one entry point for runs: Run now, scheduled runs, dry runs (`cdp test`) and history all go through it,
 * so they share one engine, one lock and one history.
 */
@injectable()
export class RunService {
  constructor(
    @inject(TOKENS.ProfileStore) private readonly profiles: ProfileStore,
    @inject(TOKENS.StateStore) private readonly state: StateStore,
    @inject(TOKENS.Catalog) private readonly catalog: Catalog,
    @inject(TOKENS.Clock) private readonly clock: Clock,
    @inject(TOKENS.Logger) private readonly logger: Logger,
    @inject(TOKENS.Notifier) private readonly notifier: Notifier,
    @inject(TOKENS.ConnectionSource) private readonly connections: ConnectionSource,
    @inject(TOKENS.Secrets) private readonly secrets: SecretResolver,
    @multiInject(TOKENS.Connector) private readonly connectors: Connector[],
  ) {}

  /**
   * Runs a connection now; refused with AlreadyRunningError while another run holds its lock. `leaseMs` is the
   * lock's lease (default one minute): how soon a crashed run's lock frees itself.
   */
  async runNow(connectionId: string, options: RunOptions & { trigger?: RunTrigger; leaseMs?: number } = {}): Promise<RunReport> {
    const connection = await this.connection(connectionId);
    const report = await runConnection(connection, this.dependencies(connection), {
      ...options,
      trigger: options.trigger ?? 'manual',
      owner: `${PROCESS_OWNER}-${randomUUID().slice(0, 8)}`,
    });
    if (!report.dryRun) await this.notifier.notify(connection, report);
    return report;
  }

  /** The dry run: what a run would do, writing nothing. */
  test(connectionId: string, options: Omit<RunOptions, 'dryRun'> = {}): Promise<RunReport> {
    return this.runNow(connectionId, { ...options, dryRun: true });
  }

  history(query: RunQuery): Promise<RunReport[]> {
    return this.state.listRuns(query);
  }

  /** The connection's config, validated against the schemas, the catalog and the connectors. */
  async connection(connectionId: string): Promise<Connection> {
    const raw = await this.connections.get(connectionId);
    if (raw === undefined) throw new CdpError('unknown_connection', `no connection with id "${connectionId}"`);
    return assertValidConnection(raw, { catalog: this.catalog, connectors: this.connectors, now: this.clock.now() });
  }

  /** Every connection config that passes validation (the scheduler's view); refused ones are logged. */
  async validConnections(): Promise<Connection[]> {
    const valid: Connection[] = [];
    for (const raw of await this.connections.list()) {
      const id = (raw as { id?: string }).id ?? '?';
      try {
        valid.push(await this.connection(id));
      } catch (error) {
        this.logger.log('error', 'connection refused', { connectionId: id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    return valid;
  }

  private dependencies(connection: Connection) {
    const connector = this.connectors.find((c) => c.id === connection.connector);
    if (!connector) throw new CdpError('unknown_connector', `no connector "${connection.connector}" is registered`);
    return {
      connector,
      profiles: this.profiles,
      state: this.state,
      catalog: this.catalog,
      clock: this.clock,
      logger: this.logger,
      secret: (ref: { env: string }) => this.secrets.secret(ref),
    };
  }
}
