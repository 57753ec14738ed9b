import type { ConnectorSession, Logger, SharedLeases } from '@cdp/sdk';
import { deletePermanently, interestCategories, marketingPermissions } from './audience-fields.js';
import { ensureFields, listAudiences, listMembers, memberStatuses } from './audiences.js';
import type { Credentials } from './credentials.js';
import { keyGate, SharedKeySlots, slotsForKey } from './key-limiter.js';
import { createOfficialClient, keptConnections } from './official-client.js';
import { readActivity } from './read-activity.js';
import { readMembers } from './read-members.js';
import { removeTags, TagIds } from './remove-tags.js';
import { MailchimpRequests, type RequestOptions } from './requests.js';
import { removeMembers, upsertMembers } from './write-members.js';

export interface SessionOptions extends RequestOptions {
  timeoutMs: number;
}

/** A shared slot's lease outlasts the longest request by this much. */
const SHARED_SLOT_MARGIN_MS = 30_000;

/**
 * A session over its own instance of the official client, sharing the key's process-wide slots and, where the
 * host shares leases, its slots across processes.
 */
export function openSession(credentials: Credentials, options: SessionOptions, logger: Logger, leases?: SharedLeases): ConnectorSession {
  const shared = leases && new SharedKeySlots(leases, credentials.secret, options.timeoutMs + SHARED_SLOT_MARGIN_MS, logger);
  const connections = keptConnections(credentials.baseUrl);
  const client = createOfficialClient(credentials, options.timeoutMs, connections);
  const requests = new MailchimpRequests(client, keyGate(slotsForKey(credentials.secret), shared), options, logger, redactor(credentials.secret));
  const tagIds = new TagIds(requests);
  return {
    async check(): Promise<void> {
      await requests.call('GET /ping', (client) => client.ping.get());
    },
    audiences: (ids) => listAudiences(requests, ids),
    members: {
      readMembers: (audienceId, query) => readMembers(requests, audienceId, query),
      ensureFields: (audienceId, tags, create) => ensureFields(requests, audienceId, tags, create),
      upsertMembers: (audienceId, members, upsert) => upsertMembers(requests, audienceId, members, upsert),
      listMembers: (audienceId) => listMembers(requests, audienceId),
      memberStatuses: (audienceId, memberIds) => memberStatuses(requests, audienceId, memberIds),
      removeMembers: (audienceId, members, action) => removeMembers(requests, audienceId, members, action),
      removeTags: (audienceId, removals) => removeTags(requests, tagIds, audienceId, removals),
      readActivity: (audienceId, since, events) => readActivity(requests, audienceId, since, events),
      interestCategories: (audienceId) => interestCategories(requests, audienceId),
      marketingPermissions: (audienceId) => marketingPermissions(requests, audienceId),
      deletePermanently: (audienceId, members) => deletePermanently(requests, audienceId, members),
    },
    stats: () => requests.stats(),
    async close(): Promise<void> {
      requests.close();
      connections.destroy();
    },
  };
}

function redactor(secret: string): (text: string) => string {
  return (text) => (secret ? text.split(secret).join('[redacted]') : text);
}
