/** A value of a multi-valued profile property. */
export type PropertyValue = string | number | boolean;

/** A CDP profile, in the vocabulary of the design brief. */
export interface Profile {
  id: string;
  /** Multi-valued properties: every property holds a list of values. */
  properties: Record<string, PropertyValue[]>;
  segments: string[];
  lifecycles: LifecyclePosition[];
  viewedInteractions: string[];
  permissionLevel?: string;
  consent: { objectives: string[] };
  updatedAt: Date;
  /**
   * Member versions already applied by imports, keyed `goal:audience:member`. It makes `sum` exactly-once:
   * a patch carrying a version that is already recorded here changes nothing.
   */
  sourceVersions?: Record<string, string>;
  /**
   * For `sum` imports: the value last imported from each source, keyed `goal:audience:member|property`, so a
   * sum adds only the change since then.
   */
  sourceSums?: Record<string, number>;
}

/** The profile a patch's `createWith` creates, sharing no array with the patch. */
export function newProfile(id: string, seed: Pick<Profile, 'properties' | 'consent'> & Partial<Pick<Profile, 'segments'>>, now: Date): Profile {
  return {
    id,
    properties: Object.fromEntries(Object.entries(seed.properties).map(([name, values]) => [name, [...values]])),
    segments: [...(seed.segments ?? [])],
    lifecycles: [],
    viewedInteractions: [],
    consent: { objectives: [...seed.consent.objectives] },
    updatedAt: now,
  };
}

export interface LifecyclePosition {
  lifecycle: string;
  stage: string;
}
