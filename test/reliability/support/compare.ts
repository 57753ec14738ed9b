import type { DumpedMember } from '@cdp/mailchimp-sandbox';
import type { Profile } from '@cdp/sdk';

/** A member without the sandbox's own timestamps (they record when a write landed, not what it wrote). */
export interface ComparableMember {
  email_address: string;
  status: string;
  merge_fields: Record<string, unknown>;
  tags: string[];
}

export function comparableMembers(members: DumpedMember[]): ComparableMember[] {
  return members
    .map(({ email_address, status, merge_fields, tags }) => ({ email_address, status, merge_fields, tags: [...tags].sort() }))
    .sort((a, b) => a.email_address.localeCompare(b.email_address));
}

/** Profiles by id, every field kept except `updatedAt` when the stores ran on different clocks. */
export function comparableProfiles(profiles: Profile[], options: { ignoreUpdatedAt?: boolean } = {}): Record<string, unknown> {
  const byId: Record<string, unknown> = {};
  for (const profile of [...profiles].sort((a, b) => a.id.localeCompare(b.id))) {
    const { updatedAt, ...rest } = profile;
    byId[profile.id] = options.ignoreUpdatedAt ? rest : { ...rest, updatedAt };
  }
  return byId;
}

/** Fields compared: every merge field and tag list of every member, or every property of every profile. */
export function fieldCount(records: unknown): number {
  if (Array.isArray(records)) return records.reduce((sum: number, record) => sum + fieldCount(record), 0);
  if (records && typeof records === 'object' && !(records instanceof Date)) {
    return Object.values(records).reduce((sum: number, value) => sum + fieldCount(value), 0);
  }
  return 1;
}
