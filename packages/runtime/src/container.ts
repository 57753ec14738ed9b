import 'reflect-metadata';
import { createLogger, systemClock, type Catalog, type Clock, type Connector, type Logger, type Notifier, type ProfileStore, type StateStore } from '@cdp/sdk';
import { sqlProfileSources, type ProfileSources } from '@cdp/source-sql';
import { Container } from 'inversify';
import type { ConnectionSource } from './connection-source.js';
import { RunService } from './run-service.js';
import { environmentSecrets, type SecretResolver } from './secrets.js';
import { TOKENS } from './tokens.js';
import { EmailNotifier, type EmailOptions } from './email-notifier.js';
import { WebhookNotifier, type WebhookOptions } from './webhook-notifier.js';

/** What a host provides; everything else has a default it may override. */
export interface HostBindings {
  profiles: ProfileStore;
  state: StateStore;
  catalog: Catalog;
  connections: ConnectionSource;
  connectors: Connector[];
  clock?: Clock;
  logger?: Logger;
  secrets?: SecretResolver;
  notifier?: Notifier;
  /** How the default notifier calls webhooks: bounds, and whether private addresses may be called. */
  webhooks?: WebhookOptions;
  /** How the default notifier sends emails: bounds, trusted certificates, and whether private addresses may be called. */
  email?: EmailOptions;
  /** Where export goals with a `source` read their profiles; default: SQL databases (PostgreSQL). */
  profileSources?: ProfileSources;
}

/**
 * The composition root: the only place where ports and connectors are bound. A CDP embeds the framework by
 * passing its own implementations here, then asks the container for the RunService.
 */
export function createContainer(host: HostBindings): Container {
  const container = new Container();
  const secrets = host.secrets ?? environmentSecrets();
  const logger = host.logger ?? createLogger({ secrets: () => secrets.values() });
  container.bind(TOKENS.ProfileStore).toConstantValue(host.profiles);
  container.bind(TOKENS.StateStore).toConstantValue(host.state);
  container.bind(TOKENS.Catalog).toConstantValue(host.catalog);
  container.bind(TOKENS.ConnectionSource).toConstantValue(host.connections);
  container.bind(TOKENS.Clock).toConstantValue(host.clock ?? systemClock);
  container.bind(TOKENS.Secrets).toConstantValue(secrets);
  container.bind(TOKENS.ProfileSources).toConstantValue(host.profileSources ?? sqlProfileSources());
  container.bind(TOKENS.Logger).toConstantValue(logger);
  const email = new EmailNotifier(secrets, logger, host.email);
  container.bind(TOKENS.Notifier).toConstantValue(host.notifier ?? allNotifiers(new WebhookNotifier(secrets, logger, host.webhooks), email));
  container.bind(TOKENS.DigestSender).toConstantValue(email);
  for (const connector of host.connectors) container.bind(TOKENS.Connector).toConstantValue(connector);
  container.bind(RunService).toSelf().inSingletonScope();
  return container;
}

/** One notifier that tells each of `notifiers`, side by side; none of them can keep another from being told. */
export function allNotifiers(...notifiers: Notifier[]): Notifier {
  return {
    async notify(connection, report) {
      const outcomes = await Promise.allSettled(notifiers.map((notifier) => notifier.notify(connection, report)));
      const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

/** The run service of a freshly composed container. */
export function createRunService(host: HostBindings): RunService {
  return createContainer(host).get(RunService);
}
