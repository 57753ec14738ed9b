import { gzippedTar } from './tar.js';
import { findMember, confirmMember } from './members.js';
import type { FaultInjector } from './faults.js';
import type { CallCounters } from './limits.js';
import { assertValidSeed } from './seed-validation.js';
import type { SandboxStore } from './store.js';
import type { FaultConfig, SandboxAdmin, SeedActivity, SeedCampaign } from './types.js';

/** The in-process admin surface; the /_sandbox/ HTTP endpoints call the same functions. */
export function createAdmin(store: SandboxStore, counters: CallCounters, faults: FaultInjector): SandboxAdmin {
  return {
    seed(seed) {
      assertValidSeed(seed);
      store.seed(seed);
    },
    dump: () => store.dump(),
    reset: () => store.reset(),
    counters: () => counters.snapshot(),
    resetCounters: () => counters.reset(),
    setFaults: (config: FaultConfig) => faults.set(config),
    confirmMember(listId, email) {
      const list = store.list(listId);
      const member = list && findMember(list, email);
      if (!list || !member) throw new Error(`No member ${email} in list ${listId}`);
      confirmMember(list, member);
    },
    addActivity(campaignId: string, email: string, activity: SeedActivity[]) {
      const campaign = store.campaigns.get(campaignId);
      if (!campaign) throw new Error(`No campaign ${campaignId}`);
      assertValidSeed({ campaigns: [{ ...campaign, recipients: [{ email_address: email, activity }] }] });
      let recipient = campaign.recipients.find((entry) => entry.email_address.toLowerCase() === email.toLowerCase());
      if (!recipient) {
        recipient = { email_address: email, activity: [] };
        campaign.recipients.push(recipient);
      }
      recipient.activity = [...(recipient.activity ?? []), ...activity];
    },
    addCampaign(campaign: SeedCampaign) {
      assertValidSeed({ campaigns: [campaign] });
      store.campaigns.set(campaign.id, structuredClone(campaign));
    },
  };
}

export interface AdminResponse {
  status: number;
  body?: unknown;
  contentType?: string;
}

/** Admin HTTP endpoints under /_sandbox/ (no API key). Failures answer 400 with `{ error }`. */
export function handleAdminRequest(admin: SandboxAdmin, store: SandboxStore, faults: FaultInjector, method: string, path: string, body: unknown): AdminResponse {
  const input = (body ?? {}) as Record<string, unknown>;
  const route = `${method} ${path}`;
  const batchResults = /^GET \/_sandbox\/batch-results\/(\w+)\.tar\.gz$/.exec(route);
  if (batchResults) {
    const batch = store.batches.get(batchResults[1]);
    if (!batch) return { status: 404, body: { error: 'No such batch' } };
    return { status: 200, contentType: 'application/gzip', body: gzippedTar([{ name: `${batch.id}/0.json`, content: JSON.stringify(batch.results) }]) };
  }
  try {
    switch (route) {
      case 'POST /_sandbox/seed': admin.seed(body as never); return { status: 204 };
      case 'GET /_sandbox/state': return { status: 200, body: admin.dump() };
      case 'POST /_sandbox/reset': admin.reset(); return { status: 204 };
      case 'GET /_sandbox/counters': return { status: 200, body: admin.counters() };
      case 'POST /_sandbox/counters/reset': admin.resetCounters(); return { status: 204 };
      case 'GET /_sandbox/faults': return { status: 200, body: faults.get() };
      case 'PUT /_sandbox/faults': admin.setFaults(input as FaultConfig); return { status: 204 };
      case 'POST /_sandbox/confirm': admin.confirmMember(String(input.list_id), String(input.email_address)); return { status: 204 };
      case 'POST /_sandbox/campaigns': admin.addCampaign(input as unknown as SeedCampaign); return { status: 204 };
      case 'POST /_sandbox/activity':
        admin.addActivity(String(input.campaign_id), String(input.email_address), (input.activity ?? []) as SeedActivity[]);
        return { status: 204 };
      default: return { status: 404, body: { error: `No admin endpoint ${route}` } };
    }
  } catch (error) {
    return { status: 400, body: { error: (error as Error).message } };
  }
}
