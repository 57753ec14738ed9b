import { randomBytes } from 'node:crypto';
import { nowTimestamp } from './clock.js';
import { subscriberHash } from './email.js';
import { buildMergeField, DEFAULT_MERGE_FIELDS, type MergeField } from './merge-fields.js';
import type {
  ConfirmationEmail, DumpedList, MemberStatus, SandboxSeed, SandboxState, SeedCampaign, SeedList, SeedMember,
} from './types.js';

export interface MemberTag {
  id: number;
  name: string;
  date_added: string;
}

/** A tag of a list, which Mailchimp also exposes as a static segment with the same id. */
export interface ListTag {
  id: number;
  created_at: string;
}

export interface MemberRecord {
  id: string;
  email_address: string;
  unique_email_id: string;
  contact_id: string;
  web_id: number;
  email_type: string;
  status: MemberStatus;
  /** The status a member had when archived, so compliance still holds after archiving. */
  statusBeforeArchive?: MemberStatus;
  merge_fields: Record<string, unknown>;
  tags: MemberTag[];
  language: string;
  vip: boolean;
  interests: Record<string, boolean>;
  /** Marketing permission id → enabled, for those ever set. */
  marketingPermissions: Record<string, boolean>;
  ip_signup: string;
  timestamp_signup: string;
  ip_opt: string;
  timestamp_opt: string;
  last_changed: string;
  source: string;
}

export interface ListRecord {
  id: string;
  web_id: number;
  name: string;
  double_optin: boolean;
  date_created: string;
  mergeFields: MergeField[];
  nextMergeId: number;
  /** Keyed by subscriber hash; Map order is the stable default order (insertion). */
  members: Map<string, MemberRecord>;
  forgotten: Set<string>;
  /** Keyed by tag name, in creation order. */
  tags: Map<string, ListTag>;
  /** Keyed by category id, in creation order. */
  interestCategories: Map<string, InterestCategoryRecord>;
  /** The GDPR fields; none when the list has no marketing permissions. */
  marketingPermissions: { marketing_permission_id: string; text: string }[];
}

export interface InterestCategoryRecord {
  id: string;
  title: string;
  type: 'checkboxes' | 'dropdown' | 'radio' | 'hidden';
  display_order: number;
  /** Keyed by interest id, in creation order. */
  interests: Map<string, { id: string; name: string; display_order: number }>;
}

export interface BatchRecord {
  id: string;
  submitted_at: string;
  completed_at: string;
  total_operations: number;
  errored_operations: number;
  results: { status_code: number; operation_id: string | null; response: string }[];
}

let webIds = 1000;
const nextWebId = (): number => ++webIds;
/** Random bytes drawn at a time: one draw per member cost more than the rest of the member's write. */
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomOffset = 0;

function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString('hex', randomOffset - bytes, randomOffset);
}

/** All sandbox data. Business rules live in members.ts and the routes. */
export class SandboxStore {
  apiKeys = new Set<string>();
  lists = new Map<string, ListRecord>();
  campaigns = new Map<string, SeedCampaign>();
  confirmationEmails: ConfirmationEmail[] = [];
  batches = new Map<string, BatchRecord>();
  private nextTagId = 1;

  list(listId: string): ListRecord | undefined {
    return this.lists.get(listId);
  }

  createList(seed: Pick<SeedList, 'id' | 'name' | 'double_optin' | 'merge_fields' | 'interest_categories' | 'marketing_permissions'>): ListRecord {
    const fields = (seed.merge_fields ?? DEFAULT_MERGE_FIELDS).map((field, index) => buildMergeField(field, index + 1));
    const list: ListRecord = {
      id: seed.id,
      web_id: nextWebId(),
      name: seed.name,
      double_optin: seed.double_optin ?? false,
      date_created: nowTimestamp(),
      mergeFields: fields,
      nextMergeId: fields.length + 1,
      members: new Map(),
      forgotten: new Set(),
      tags: new Map(),
      interestCategories: new Map(),
      marketingPermissions: (seed.marketing_permissions ?? []).map((p) => ({ marketing_permission_id: p.marketing_permission_id ?? randomHex(5), text: p.text })),
    };
    for (const category of seed.interest_categories ?? []) {
      const record = this.addInterestCategory(list, category.title, category.type ?? 'checkboxes', category.id);
      for (const interest of category.interests ?? []) this.addInterest(record, interest.name, interest.id);
    }
    this.lists.set(list.id, list);
    return list;
  }

  addInterestCategory(list: ListRecord, title: string, type: InterestCategoryRecord['type'], id = randomHex(5)): InterestCategoryRecord {
    const category: InterestCategoryRecord = { id, title, type, display_order: list.interestCategories.size, interests: new Map() };
    list.interestCategories.set(id, category);
    return category;
  }

  addInterest(category: InterestCategoryRecord, name: string, id = randomHex(5)): { id: string; name: string; display_order: number } {
    const interest = { id, name, display_order: category.interests.size };
    category.interests.set(id, interest);
    return interest;
  }

  /** The id of a tag of the list, creating the tag on first use. */
  tagId(list: ListRecord, name: string): number {
    let tag = list.tags.get(name);
    if (tag === undefined) {
      tag = { id: this.nextTagId++, created_at: nowTimestamp() };
      list.tags.set(name, tag);
    }
    return tag.id;
  }

  newMember(list: ListRecord, email: string): MemberRecord {
    return {
      id: subscriberHash(email),
      email_address: email.trim(),
      unique_email_id: randomHex(5),
      contact_id: randomHex(16),
      web_id: nextWebId(),
      email_type: 'html',
      status: 'subscribed',
      merge_fields: {},
      tags: [],
      language: '',
      vip: false,
      interests: {},
      marketingPermissions: {},
      ip_signup: '',
      timestamp_signup: '',
      ip_opt: '',
      timestamp_opt: '',
      last_changed: '',
      source: 'API - Generic',
    };
  }

  seed(seed: SandboxSeed): void {
    for (const key of seed.apiKeys ?? []) this.apiKeys.add(key);
    for (const listSeed of seed.lists ?? []) {
      const list = this.createList(listSeed);
      for (const memberSeed of listSeed.members ?? []) this.seedMember(list, memberSeed);
    }
    for (const campaign of seed.campaigns ?? []) this.campaigns.set(campaign.id, structuredClone(campaign));
  }

  /** Seeded members skip API rules (any status, any timestamp) but keep the email identity. */
  private seedMember(list: ListRecord, seed: SeedMember): void {
    const member = this.newMember(list, seed.email_address);
    const now = nowTimestamp();
    member.status = seed.status;
    member.merge_fields = { ...seed.merge_fields };
    member.tags = (seed.tags ?? []).map((name) => ({ id: this.tagId(list, name), name, date_added: now }));
    member.interests = { ...seed.interests };
    member.marketingPermissions = { ...seed.marketing_permissions };
    member.last_changed = seed.last_changed ?? now;
    member.timestamp_opt = seed.timestamp_opt ?? (seed.status === 'subscribed' ? member.last_changed : '');
    list.members.set(member.id, member);
  }

  dump(): SandboxState {
    return {
      apiKeys: [...this.apiKeys],
      lists: [...this.lists.values()].map(dumpList),
      campaigns: structuredClone([...this.campaigns.values()]),
      confirmationEmails: structuredClone(this.confirmationEmails),
    };
  }

  reset(): void {
    this.apiKeys.clear();
    this.lists.clear();
    this.campaigns.clear();
    this.batches.clear();
    this.confirmationEmails = [];
  }
}

function dumpList(list: ListRecord): DumpedList {
  return {
    id: list.id,
    name: list.name,
    double_optin: list.double_optin,
    merge_fields: list.mergeFields.map(({ tag, name, type, required }) => ({ tag, name, type, required })),
    members: [...list.members.values()].map((member) => ({
      id: member.id,
      email_address: member.email_address,
      status: member.status,
      merge_fields: structuredClone(member.merge_fields),
      tags: member.tags.map((tag) => tag.name),
      last_changed: member.last_changed,
      timestamp_opt: member.timestamp_opt,
      timestamp_signup: member.timestamp_signup,
      interests: { ...member.interests },
      marketing_permissions: { ...member.marketingPermissions },
    })),
    interest_categories: [...list.interestCategories.values()].map(({ id, title, type, interests }) => ({
      id, title, type, interests: [...interests.values()].map((interest) => ({ id: interest.id, name: interest.name })),
    })),
    marketing_permissions: list.marketingPermissions.map((p) => ({ ...p })),
    forgotten: [...list.forgotten],
  };
}
