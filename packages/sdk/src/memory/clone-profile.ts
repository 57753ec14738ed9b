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
  if (profile.sourceSums) copy.sourceSums = { ...profile.sourceSums };
  return copy;
}

function cloneProperties(properties: Record<string, PropertyValue[]>): Record<string, PropertyValue[]> {
  const copy: Record<string, PropertyValue[]> = {};
  // Object.keys, not Object.entries: every streamed profile is copied, and entries allocates a pair per key.
  for (const name of Object.keys(properties)) {
    const values = properties[name].slice();
    // Assigning `__proto__` would replace the prototype instead of adding a property of that name.
    if (name === '__proto__') Object.defineProperty(copy, name, { value: values, enumerable: true, writable: true, configurable: true });
    else copy[name] = values;
  }
  return copy;
}
