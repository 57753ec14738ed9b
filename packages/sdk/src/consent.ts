import type { Profile } from './profile.js';

/**
 * Whether the profile consented to at least one of the connection's objectives. A profile without consent
 * data, or a connection without objectives, never passes: consent is opt-in.
 */
export function hasConsent(profile: Pick<Profile, 'consent'>, objectives: readonly string[]): boolean {
  const consented = profile.consent?.objectives ?? [];
  return consented.some((objective) => objectives.includes(objective));
}
