import type { ExportGoal } from '../config/generated-types.js';
import type { MemberPayload } from '../connector.js';
import type { Profile } from '../profile.js';
import { propertyValues } from './properties.js';

type Interests = NonNullable<MemberPayload['interests']>;
type Permissions = NonNullable<MemberPayload['marketingPermissions']>;

/**
 * The interests a goal manages for a profile: each one set when the profile is in its segment (or its property
 * holds its value), cleared otherwise. An interest named by several mappings is set when any of them sets it.
 */
export function memberInterests(profile: Profile, mappings: ExportGoal['interests']): Interests | undefined {
  if (!mappings) return undefined;
  const byName = new Map<string, Interests[number]>();
  for (const mapping of mappings) {
    const subscribed = 'segment' in mapping
      ? profile.segments.includes(mapping.segment)
      : (propertyValues(profile.properties, mapping.property) ?? []).some((value) => value === mapping.value);
    const key = JSON.stringify([mapping.category, mapping.interest]);
    const previous = byName.get(key);
    byName.set(key, { category: mapping.category, interest: mapping.interest, subscribed: subscribed || (previous?.subscribed ?? false) });
  }
  return [...byName.values()];
}

/**
 * The marketing permissions a goal manages for a profile: each enabled when the profile consents to one of the
 * objectives mapped to it, disabled otherwise (a withdrawn objective turns its permission off).
 */
export function memberPermissions(profile: Profile, mappings: ExportGoal['marketingPermissions']): Permissions | undefined {
  if (!mappings) return undefined;
  const consented = new Set(profile.consent?.objectives ?? []);
  const byPermission = new Map<string, boolean>();
  for (const { objective, permission } of mappings) byPermission.set(permission, (byPermission.get(permission) ?? false) || consented.has(objective));
  return [...byPermission].map(([permission, enabled]) => ({ permission, enabled }));
}

/** The text these fields add to a payload's fingerprint; empty when the goal manages neither. */
export function audienceFieldHashText(payload: MemberPayload): string {
  let text = '';
  if (payload.interests) text += `|i${JSON.stringify(payload.interests.map(({ category, interest, subscribed }) => [category, interest, subscribed]).sort())}`;
  if (payload.marketingPermissions) text += `|p${JSON.stringify(payload.marketingPermissions.map(({ permission, enabled }) => [permission, enabled]).sort())}`;
  return text;
}
