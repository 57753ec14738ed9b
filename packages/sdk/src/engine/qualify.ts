import type { ExportGoal } from '../config/generated-types.js';
import { hasConsent } from '../consent.js';
import { isValidEmail, normalizeEmail } from '../identifiers.js';
import type { Profile } from '../profile.js';
import type { SkipReason } from '../report.js';
import { excludedBy } from './email-exclusions.js';

export type Qualification = { email: string } | { skip: SkipReason };

/**
 * Whether a profile of the segment becomes a member: stage, consent, a valid email, then the goal's exclusion
 * patterns, in that order. Membership sync and tag removal ask it too, so an excluded email is not a member the
 * segment wants.
 */
export function qualify(profile: Profile, goal: ExportGoal, objectives: string[]): Qualification {
  const stage = goal.lifecycleStage;
  if (stage && !profile.lifecycles.some((p) => p.lifecycle === stage.lifecycle && p.stage === stage.stage)) return { skip: 'notInStage' };
  if (!hasConsent(profile, objectives)) return { skip: 'noConsent' };
  const found = emailOf(profile, goal.identifier);
  if (!('email' in found)) return found;
  return excludedBy(goal, found.email) === undefined ? found : { skip: 'excludedEmail' };
}

/** The profile's email: the identifier's first non-blank text, normalised, if it is a valid address. */
export function emailOf(profile: Profile, identifier: string): Qualification {
  const raw = profile.properties[identifier]?.find((value) => typeof value === 'string' && value.trim() !== '');
  if (typeof raw !== 'string') return { skip: 'noIdentifier' };
  const email = normalizeEmail(raw);
  return isValidEmail(email) ? { email } : { skip: 'invalidIdentifier' };
}
