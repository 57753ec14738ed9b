import type { Connection, Profile } from '@cdp/sdk';
import { StaticCatalog } from '@cdp/sdk';
import type { SeedMergeField } from '@cdp/mailchimp-sandbox';

/** A well-formed key the sandbox accepts; it is a made-up value, not a credential. */
export const BENCH_API_KEY = '0123456789abcdef0123456789abcdef-us1';
export const API_KEY_ENV = 'BENCH_MAILCHIMP_API_KEY';
export const SEGMENT = 'bench-audience';
export const OBJECTIVE = 'newsletter';

const FIRST_NAMES = ['Anna', 'Bram', 'Chloé', 'Daan', 'Eva', 'Finn', 'Greta', 'Hugo', 'Iris', 'Jules'];
const LAST_NAMES = ['de Vries', 'Janssen', 'Peeters', 'Müller', 'Dubois', 'Rossi', 'Novak', 'Smit'];
const CITIES = ['Amsterdam', 'Gent', 'Lyon', 'Köln', 'Utrecht', 'Porto', 'Brno'];
const PLANS = ['free', 'plus', 'pro'];
const EXTRA_SEGMENTS = ['vip', 'frequent-buyers', 'lapsed-customers'];

/** The five merge fields the export fills. */
export const MERGE_FIELDS: SeedMergeField[] = [
  { tag: 'FNAME', name: 'First name', type: 'text' },
  { tag: 'LNAME', name: 'Last name', type: 'text' },
  { tag: 'CITY', name: 'City', type: 'text' },
  { tag: 'PLAN', name: 'Plan', type: 'text' },
  { tag: 'CDPID', name: 'CDP profile id', type: 'text' },
];

export function emailOf(index: number): string {
  return `member${index}@bench-mail.example.org`;
}

/** Profile `index`, deterministic: five exported properties, the segment, and up to two tag segments. */
export function syntheticProfile(index: number, updatedAt: Date): Profile {
  return {
    id: `profile-${index}`,
    properties: {
      email: [emailOf(index)],
      first_name: [FIRST_NAMES[index % FIRST_NAMES.length]],
      last_name: [LAST_NAMES[index % LAST_NAMES.length]],
      city: [CITIES[index % CITIES.length]],
      plan: [PLANS[index % PLANS.length]],
    },
    segments: [SEGMENT, ...EXTRA_SEGMENTS.filter((_, i) => index % (i + 2) === 0)],
    lifecycles: [],
    viewedInteractions: [],
    permissionLevel: 'explicit',
    consent: { objectives: [OBJECTIVE] },
    updatedAt,
  };
}

export function benchCatalog(): StaticCatalog {
  return new StaticCatalog({
    segments: [SEGMENT, ...EXTRA_SEGMENTS],
    properties: [{ name: 'email', uniqueIdentifier: true }, { name: 'first_name' }, { name: 'last_name' }, { name: 'city' }, { name: 'plan' }, { name: 'interests' }],
    objectives: [OBJECTIVE],
  });
}

function connection(id: string, baseUrl: string, goal: Connection['goals'][number]): Connection {
  return { id, name: `Benchmark ${id}`, connector: 'mailchimp', enabled: true, objectives: [OBJECTIVE], auth: { apiKey: { env: API_KEY_ENV }, baseUrl }, goals: [goal] };
}

/** An export of the segment to one audience: five merge fields and every segment as a tag. */
export function exportConnection(id: string, baseUrl: string, audienceId: string): Connection {
  return connection(id, baseUrl, {
    id: 'export',
    kind: 'export',
    segment: SEGMENT,
    audiences: [audienceId],
    identifier: 'email',
    mappings: [
      { source: 'property', property: 'first_name', to: 'FNAME' },
      { source: 'property', property: 'last_name', to: 'LNAME' },
      { source: 'property', property: 'city', to: 'CITY' },
      { source: 'property', property: 'plan', to: 'PLAN' },
      { source: 'profileId', to: 'CDPID' },
    ],
    segmentTags: 'all',
    createMembers: true,
    newMemberStatus: 'subscribed',
  });
}

/** An import of every subscribed member of one audience with four mappings, creating profiles. */
export function importConnection(id: string, baseUrl: string, audienceId: string): Connection {
  return connection(id, baseUrl, {
    id: 'import',
    kind: 'import',
    audiences: [{ id: audienceId, createProfiles: true }],
    grantedObjectives: { subscribed: [OBJECTIVE] },
    statuses: ['subscribed'],
    identifier: 'email',
    mappings: [
      { from: 'merge_fields.FNAME', to: 'first_name', mode: 'set' },
      { from: 'merge_fields.LNAME', to: 'last_name', mode: 'set' },
      { from: 'merge_fields.CITY', to: 'city', mode: 'setIfEmpty' },
      { from: 'tags', to: 'interests', mode: 'add' },
    ],
  });
}

/** Members 0..count-1 as a sandbox seed: the synthetic profiles' names and city as merge fields, segments as tags. */
export function seedMembers(count: number): { email_address: string; status: 'subscribed'; merge_fields: Record<string, string>; tags: string[] }[] {
  return Array.from({ length: count }, (_, index) => {
    const { properties, segments } = syntheticProfile(index, new Date());
    return {
      email_address: emailOf(index),
      status: 'subscribed' as const,
      merge_fields: { FNAME: String(properties.first_name[0]), LNAME: String(properties.last_name[0]), CITY: String(properties.city[0]) },
      tags: segments,
    };
  });
}
