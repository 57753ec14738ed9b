import type { Catalog, Clock, Connector, Logger, Notifier, ProfileStore, StateStore } from '@cdp/sdk';
import type { ProfileSources } from '@cdp/source-sql';
import type { ServiceIdentifier } from 'inversify';
import type { ConnectionSource } from './connection-source.js';
import type { DigestSender } from './email-notifier.js';
import type { SecretResolver } from './secrets.js';

/** Container tokens: the ports a host binds, and the connectors it registers (multi-bound). */
export const TOKENS = {
  ProfileStore: Symbol('ProfileStore') as ServiceIdentifier<ProfileStore>,
  StateStore: Symbol('StateStore') as ServiceIdentifier<StateStore>,
  Catalog: Symbol('Catalog') as ServiceIdentifier<Catalog>,
  Clock: Symbol('Clock') as ServiceIdentifier<Clock>,
  Logger: Symbol('Logger') as ServiceIdentifier<Logger>,
  Notifier: Symbol('Notifier') as ServiceIdentifier<Notifier>,
  Connector: Symbol('Connector') as ServiceIdentifier<Connector>,
  ConnectionSource: Symbol('ConnectionSource') as ServiceIdentifier<ConnectionSource>,
  Secrets: Symbol('Secrets') as ServiceIdentifier<SecretResolver>,
  ProfileSources: Symbol('ProfileSources') as ServiceIdentifier<ProfileSources>,
  DigestSender: Symbol('DigestSender') as ServiceIdentifier<DigestSender>,
} as const;
