import { MERGE_FIELD_TYPES } from './merge-fields.js';
import type { MergeFieldType, SandboxSeed } from './types.js';

const STATUSES = ['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional', 'archived'];
const ACTIONS = ['open', 'click', 'bounce'];
const API_KEY = /^[0-9a-f]{32}-[a-z]+\d+$/;

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const arrayAt = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** Checks a seed's shape and lists every problem with its JSON path, so a bad file changes nothing. */
export function assertValidSeed(seed: unknown): asserts seed is SandboxSeed {
  const problems: string[] = [];
  const expect = (ok: boolean, path: string, what: string): void => { if (!ok) problems.push(`${path}: ${what}`); };
  if (!isObject(seed)) throw new Error('Invalid sandbox seed: expected a JSON object');
  for (const key of ['apiKeys', 'lists', 'campaigns']) expect(seed[key] === undefined || Array.isArray(seed[key]), `/${key}`, 'must be an array');
  arrayAt(seed.apiKeys).forEach((key, i) => expect(typeof key === 'string' && API_KEY.test(key), `/apiKeys/${i}`, 'must look like <32 hex digits>-<datacenter>, e.g. …-us21'));
  arrayAt(seed.lists).forEach((list, i) => {
    const at = `/lists/${i}`;
    if (!isObject(list)) return expect(false, at, 'must be an object');
    expect(isText(list.id), `${at}/id`, 'must be a non-empty string');
    expect(isText(list.name), `${at}/name`, 'must be a non-empty string');
    arrayAt(list.merge_fields).forEach((field, j) => {
      const ok = isObject(field) && isText(field.tag) && field.tag.length <= 10 && isText(field.name) && MERGE_FIELD_TYPES.includes(field.type as MergeFieldType);
      expect(ok, `${at}/merge_fields/${j}`, 'needs tag (≤ 10 characters), name and a Mailchimp merge field type');
    });
    arrayAt(list.members).forEach((member, j) => {
      const ok = isObject(member) && isText(member.email_address) && STATUSES.includes(member.status as string);
      expect(ok, `${at}/members/${j}`, `needs email_address and a status (${STATUSES.join(', ')})`);
    });
  });
  arrayAt(seed.campaigns).forEach((campaign, i) => {
    const at = `/campaigns/${i}`;
    const ok = isObject(campaign) && isText(campaign.id) && isText(campaign.list_id) && isText(campaign.send_time) && Array.isArray(campaign.recipients);
    if (!ok) return expect(false, at, 'needs id, list_id, send_time and recipients[]');
    arrayAt(campaign.recipients).forEach((recipient, j) => {
      const fine = isObject(recipient) && isText(recipient.email_address)
        && arrayAt(recipient.activity).every((entry) => isObject(entry) && ACTIONS.includes(entry.action as string) && isText(entry.timestamp));
      expect(fine, `${at}/recipients/${j}`, 'needs email_address and activity[] of {action: open|click|bounce, timestamp}');
    });
  });
  if (problems.length > 0) throw new Error(`Invalid sandbox seed:\n  ${problems.join('\n  ')}`);
}
