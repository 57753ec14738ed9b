import type { Profile, PropertyValue } from '../profile.js';

/** A deep copy of a profile; several times faster than structuredClone because the shape is known. */
export function cloneProfile(profile: Profile): Profile {
  const copy: Profile = {
    ...profile,
    properties: cloneProperties(profile.properties),
    segments: profile.segments.slice(),
    lifecycles: profile.lifecycles.map((position) => ({ ...position })),
    viewedInteractions: profile.viewedInteractions.slice(),
    consent: { ...profile.consent, objectives: profile.consent.objectives.slice() },
    updatedAt: new Date(profile.updatedAt.getTime()),
  };
  if (profile.sourceVersions) copy.sourceVersions = { ...profile.sourceVersions };
  return copy;
}

function cloneProperties(properties: Record<string, PropertyValue[]>): Record<string, PropertyValue[]> {
  const copy: Record<string, PropertyValue[]> = {};
  for (const [name, values] of Object.entries(properties)) {
    // Assigning `__proto__` would replace the prototype instead of adding a property of that name.
    if (name === '__proto__') Object.defineProperty(copy, name, { value: values.slice(), enumerable: true, writable: true, configurable: true });
    else copy[name] = values.slice();
  }
  return copy;
}
