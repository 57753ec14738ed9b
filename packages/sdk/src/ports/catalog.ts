/** A profile property the CDP knows. Unique identifiers are indexed and match one profile each. */
export interface PropertyDefinition {
  name: string;
  uniqueIdentifier?: boolean;
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
