import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CatalogData, type ConnectorInfo, StaticCatalog } from '@cdp/sdk';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/configs/', import.meta.url));

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The Mailchimp connector's declarations, read from its own schema file so the test needs no connector code. */
export const mailchimp: ConnectorInfo = {
  id: 'mailchimp',
  authSchema: readJson(`${REPO_ROOT}schemas/mailchimp-auth.schema.json`) as object,
  goalKinds: ['import', 'export'],
};

export function fixtureCatalog(): StaticCatalog {
  return new StaticCatalog(readJson(`${FIXTURES}catalog.json`) as CatalogData);
}
