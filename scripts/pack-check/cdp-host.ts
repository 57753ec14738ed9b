// What the host of docs/embedding.md's example supplies from its own CDP: here, the example catalog and
// connection that @cdp/cli ships.
import { readFile } from 'node:fs/promises';
import type { CatalogData } from '@cdp/sdk';

const EXAMPLES = `${process.cwd()}/node_modules/@cdp/cli/examples/`;

async function readJson(name: string): Promise<unknown> {
  return JSON.parse(await readFile(`${EXAMPLES}${name}`, 'utf8'));
}

export async function loadCatalogFromCdp(): Promise<CatalogData> {
  return (await readJson('catalog.json')) as CatalogData;
}

export async function loadConnectionConfigs(): Promise<unknown[]> {
  return [await readJson('newsletter.connection.json')];
}
