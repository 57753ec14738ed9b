import { describe, expect, it } from '@jest/globals';
import { StaticCatalog, type CatalogData } from '@cdp/sdk';

describe('StaticCatalog', () => {
  const data: CatalogData = {
    segments: ['newsletter', 'vip'],
    properties: [{ name: 'email', uniqueIdentifier: true }, { name: 'city' }],
    objectives: ['marketing'],
    lifecycles: [{ id: 'onboarding', stages: [{ id: 'new', threshold: { max: 2, per: 'week' } }, { id: 'active' }] }],
  };

  it('answers with the data it was built from', async () => {
    const catalog = new StaticCatalog(data);
    expect(await catalog.segments()).toEqual(data.segments);
    expect(await catalog.properties()).toEqual(data.properties);
    expect(await catalog.objectives()).toEqual(data.objectives);
    expect(await catalog.lifecycles()).toEqual(data.lifecycles);
  });

  it('answers empty lists for what it was not given', async () => {
    const catalog = new StaticCatalog({ segments: ['s'] });
    expect(await catalog.properties()).toEqual([]);
    expect(await catalog.objectives()).toEqual([]);
    expect(await catalog.lifecycles()).toEqual([]);
  });

  it('is not changed by changes to its input or to its answers', async () => {
    const input = structuredClone(data);
    const catalog = new StaticCatalog(input);
    input.segments?.push('added-later');
    (await catalog.properties())[0].uniqueIdentifier = false;
    (await catalog.lifecycles())[0].stages.pop();
    (await catalog.segments()).push('pushed');

    expect(await catalog.segments()).toEqual(['newsletter', 'vip']);
    expect((await catalog.properties())[0]).toEqual({ name: 'email', uniqueIdentifier: true });
    expect((await catalog.lifecycles())[0].stages).toHaveLength(2);
  });
});
