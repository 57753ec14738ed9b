/** The kinds of value a property holds, as far as mappings care (`list`: several values). */
export const PROPERTY_TYPES = ['text', 'number', 'boolean', 'date', 'list'] as const;
export type PropertyType = (typeof PROPERTY_TYPES)[number];

/** A profile property the CDP knows. Unique identifiers are indexed and match one profile each. */
export interface PropertyDefinition {
  name: string;
  uniqueIdentifier?: boolean;
  /** What the property holds, when the CDP says: mapping suggestions check it against the external field's type. */
  type?: PropertyType;
}

export interface LifecycleStageDefinition {
  id: string;
  /** At most `max` touchpoints per period for profiles at this stage. */
  threshold?: { max: number; per: 'week' | 'month' | 'quarter' };
}

export interface LifecycleDefinition {
  id: string;
  stages: LifecycleStageDefinition[];
}

/** What the host CDP defines: config references are checked against it. */
export interface Catalog {
  segments(): Promise<string[]>;
  properties(): Promise<PropertyDefinition[]>;
  objectives(): Promise<string[]>;
  lifecycles(): Promise<LifecycleDefinition[]>;
}
