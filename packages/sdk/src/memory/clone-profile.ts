import type { Profile } from '../profile.js';

/** A deep copy of a profile; faster than structuredClone because the shape is known. */
export function cloneProfile(profile: Profile): Profile {
  const copy: Profile = {
    ...profile,
    properties: Object.fromEntries(Object.entries(profile.properties).map(([name, values]) => [name, [...values]])),
    segments: [...profile.segments],
    lifecycles: profile.lifecycles.map((position) => ({ ...position })),
    viewedInteractions: [...profile.viewedInteractions],
    consent: { ...profile.consent, objectives: [...profile.consent.objectives] },
    updatedAt: new Date(profile.updatedAt.getTime()),
  };
  if (profile.sourceVersions) copy.sourceVersions = { ...profile.sourceVersions };
  return copy;
}
