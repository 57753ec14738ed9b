import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { getLanguageService, TextDocument, type Diagnostic } from 'vscode-json-languageservice';
import { REPO_ROOT } from './config-helpers.js';

/**
 * The schemas as VS Code reads them: vscode-json-languageservice is the library behind its JSON support. It
 * finds the schema through the connection's own `$schema` and loads every referenced schema from disk,
 * relative to the referring file, as the editor does.
 */
const service = getLanguageService({
  schemaRequestService: (uri) => readFile(fileURLToPath(uri), 'utf8'),
  workspaceContext: { resolveRelativePath: (relative, resource) => new URL(relative, resource).href },
});
service.configure({ validate: true });

const EXAMPLE = `${REPO_ROOT}examples/newsletter.connection.json`;
const API_KEY_AUTH = '"auth": { "apiKey": { "env": "MAILCHIMP_API_KEY" } }';

/** A connection file next to the example, so its `$schema` (../schemas/connection.schema.json) resolves the same way. */
function openDocument(text: string): TextDocument {
  return TextDocument.create(pathToFileURL(`${REPO_ROOT}examples/edited.connection.json`).href, 'json', 1, text);
}

async function diagnose(text: string): Promise<{ document: TextDocument; diagnostics: Diagnostic[] }> {
  const document = openDocument(text);
  return { document, diagnostics: await service.doValidation(document, service.parseJSONDocument(document)) };
}

/** The range of the first occurrence of `fragment` in the document. */
function rangeOf(document: TextDocument, fragment: string): Diagnostic['range'] {
  const offset = document.getText().indexOf(fragment);
  if (offset < 0) throw new Error(`${fragment} is not in the document`);
  return { start: document.positionAt(offset), end: document.positionAt(offset + fragment.length) };
}

describe('a connection file in an editor', () => {
  it('shows the example connection without a problem: every referenced schema loads', async () => {
    const { diagnostics } = await diagnose(await readFile(EXAMPLE, 'utf8'));
    expect(diagnostics).toEqual([]);
  });

  it('marks a property the schema does not allow, on its key', async () => {
    const text = (await readFile(EXAMPLE, 'utf8')).replace('"labels":', '"label":');
    const { document, diagnostics } = await diagnose(text);
    expect(diagnostics).toEqual([expect.objectContaining({ message: 'Property label is not allowed.', range: rangeOf(document, '"label"') })]);
  });

  it("checks auth against the connector's auth schema: a missing key is marked on auth", async () => {
    const example = await readFile(EXAMPLE, 'utf8');
    expect(example).toContain(API_KEY_AUTH);
    const text = example.replace(API_KEY_AUTH, '"auth": { "baseUrl": "https://us21.api.mailchimp.com/3.0" }');
    const { document, diagnostics } = await diagnose(text);
    expect(diagnostics).toEqual([expect.objectContaining({ message: 'Missing property "apiKey".', range: rangeOf(document, '"auth"') })]);
  });

  it("marks a secret reference that is not an environment variable's name, on its value", async () => {
    const text = (await readFile(EXAMPLE, 'utf8')).replace(API_KEY_AUTH, '"auth": { "apiKey": { "env": "my-api-key" } }');
    const { document, diagnostics } = await diagnose(text);
    expect(diagnostics).toEqual([expect.objectContaining({ message: 'String does not match the pattern of "^[A-Z_][A-Z0-9_]{0,127}$".', range: rangeOf(document, '"my-api-key"') })]);
  });

  it("shows a property's description on hover", async () => {
    const document = openDocument(await readFile(EXAMPLE, 'utf8'));
    const hover = await service.doHover(document, rangeOf(document, '"batchSize"').start, service.parseJSONDocument(document));
    // As Markdown, its punctuation escaped.
    expect(hover?.contents).toEqual(['Members per batch call \\(Mailchimp allows 500\\)\\.']);
  });
});
