import type { Catalog, LifecycleDefinition, PropertyDefinition } from '../ports/catalog.js';
import { copyData } from './copy-data.js';

/** What a StaticCatalog knows; lists left out are empty. */
export interface CatalogData {
  segments?: string[];
  properties?: PropertyDefinition[];
  objectives?: string[];
  lifecycles?: LifecycleDefinition[];
}

/** A Catalog over fixed data (tests, examples, a host whose definitions do not change at run time). */
export class StaticCatalog implements Catalog {
  private readonly data: Required<CatalogData>;

  constructor(data: CatalogData) {
    this.data = copyData({
      segments: data.segments ?? [],
      properties: data.properties ?? [],
      objectives: data.objectives ?? [],
      lifecycles: data.lifecycles ?? [],
    });
  }

  async segments(): Promise<string[]> {
    return [...this.data.segments];
  }

  async properties(): Promise<PropertyDefinition[]> {
    return copyData(this.data.properties);
  }

  async objectives(): Promise<string[]> {
    return [...this.data.objectives];
  }

  async lifecycles(): Promise<LifecycleDefinition[]> {
    return copyData(this.data.lifecycles);
  }
}
