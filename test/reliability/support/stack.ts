import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type DumpedMember, type FaultConfig, type Sandbox, type SeedList } from '@cdp/mailchimp-sandbox';
import { createRunService, environmentSecrets, StaticConnectionSource, type RunService } from '@cdp/runtime';
import {
  createLogger,
  StaticCatalog,
  type CatalogData,
  type Clock,
  type Connection,
  type Connector,
  type ProfileStore,
  type RunOptions,
  type RunReport,
  type StateStore,
} from '@cdp/sdk';
import { createMailchimpConnector } from '@cdp/connector-mailchimp';
import { CATALOG } from '../../../connectors/mailchimp/test/e2e/world.js';
import { API_KEY, Evidence } from './evidence.js';

export const CONNECTION_ID = 'reliability';

/** A connection to the sandbox, with every run summary posted to `webhookUrl`. */
export function connectionTo(baseUrl: string, goals: Connection['goals'], overrides: Partial<Connection> = {}): Connection {
  return {
    id: CONNECTION_ID,
    name: 'Reliability',
    connector: 'mailchimp',
    enabled: true,
    objectives: ['newsletter'],
    auth: { apiKey: { env: 'MAILCHIMP_API_KEY' }, baseUrl },
    goals,
    ...overrides,
  };
}

/** Receives webhook POSTs on loopback and keeps their bodies. */
export class WebhookReceiver {
  private constructor(
    private readonly server: Server,
    readonly url: string,
    readonly bodies: string[],
  ) {}

  static async start(): Promise<WebhookReceiver> {
    const bodies: string[] = [];
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'));
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/runs`, bodies);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface StackOptions {
  lists: SeedList[];
  goals: Connection['goals'];
  profiles: ProfileStore;
  state: StateStore;
  evidence: Evidence;
  faults?: FaultConfig;
  connector?: Connector;
  catalog?: CatalogData;
  clock?: Clock;
  connection?: Partial<Connection>;
}

/**
 * The real path around a pair of stores: the sandbox over HTTP, the Mailchimp connector over the official
 * client, the run service of the composition root, the production logger and a webhook receiver. Everything
 * readable it produces (log lines, reports, errors, webhook bodies) goes into the scenario's evidence.
 */
export class Stack {
  private constructor(
    readonly sandbox: Sandbox,
    readonly service: RunService,
    readonly connections: StaticConnectionSource,
    readonly webhook: WebhookReceiver,
    private readonly evidence: Evidence,
    private readonly options: StackOptions,
  ) {}

  static async start(options: StackOptions): Promise<Stack> {
    const sandbox = await startSandbox({ seed: { apiKeys: [API_KEY], lists: options.lists }, faults: options.faults });
    const webhook = await WebhookReceiver.start();
    const secrets = environmentSecrets({ MAILCHIMP_API_KEY: API_KEY });
    const connections = new StaticConnectionSource();
    const service = createRunService({
      profiles: options.profiles,
      state: options.state,
      catalog: new StaticCatalog(options.catalog ?? CATALOG),
      connections,
      connectors: [options.connector ?? createMailchimpConnector({ allowedBaseUrls: [sandbox.baseUrl] })],
      secrets,
      webhooks: { allowPrivateAddresses: true },
      clock: options.clock,
      logger: createLogger({ level: 'debug', secrets: () => secrets.values(), write: (line) => options.evidence.add('log line', line) }),
    });
    const stack = new Stack(sandbox, service, connections, webhook, options.evidence, options);
    stack.setGoals(options.goals);
    return stack;
  }

  /** Replaces the connection's goals; the next run validates and uses them. */
  setGoals(goals: Connection['goals']): void {
    const notify = [{ type: 'webhook' as const, url: this.webhook.url, on: 'always' as const }];
    this.connections.put(connectionTo(this.sandbox.baseUrl, goals, { notify, ...this.options.connection }));
  }

  /** Runs the connection now; the report, or the error, is kept as evidence. */
  async run(options: RunOptions = {}): Promise<RunReport> {
    try {
      const report = await this.service.runNow(CONNECTION_ID, options);
      this.evidence.add('report', report);
      return report;
    } catch (error) {
      this.evidence.addError(error);
      throw error;
    }
  }

  members(listId: string): DumpedMember[] {
    const list = this.sandbox.admin.dump().lists.find((candidate) => candidate.id === listId);
    if (!list) throw new Error(`no list ${listId} in the sandbox`);
    return list.members;
  }

  async close(): Promise<void> {
    for (const body of this.webhook.bodies) this.evidence.add('webhook body', body);
    await this.webhook.close();
    await this.sandbox.close();
  }
}

/** Retries of the whole run. */
export function retriesOf(report: RunReport): number {
  return report.retries;
}
