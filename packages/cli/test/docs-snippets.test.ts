import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import ts from 'typescript';
import { ROOT } from './support/cli-process.js';

/**
 * Every TypeScript example of the docs (a ```ts block) type-checks against the built packages, as a host's
 * code importing them would: so a renamed option or a changed signature cannot leave a page behind. What a page
 * takes as given (the host's own ports, a seed it loaded) is declared in a `<!-- typecheck: … -->` comment
 * right before the block, where the reader sees it too.
 */
const FOLDERS = ['docs/', 'docs/connectors/'];
const BLOCK = /(?:<!-- typecheck: ([\s\S]*?) -->\n)?```ts\n([\s\S]*?)^```$/gm;

interface Snippet {
  /** Where the block's code starts: the doc and its line. */
  doc: string;
  line: number;
  /** The file the compiler sees: the declarations, then the block. */
  path: string;
  text: string;
  preambleLines: number;
}

function snippets(): Snippet[] {
  const found: Snippet[] = [];
  for (const folder of FOLDERS) {
    for (const name of readdirSync(`${ROOT}${folder}`).filter((file) => file.endsWith('.md'))) {
      const doc = `${folder}${name}`;
      const markdown = readFileSync(`${ROOT}${doc}`, 'utf8');
      for (const match of markdown.matchAll(BLOCK)) {
        const [, preamble = '', code] = match;
        const line = markdown.slice(0, match.index + match[0].indexOf(code)).split('\n').length;
        const head = `${preamble.trim()}\n`;
        // Beside the docs, so that imports resolve through the repository's node_modules as a host's would.
        const path = `${ROOT}${doc.replace(/\.md$/, '')}.snippet-${line}.ts`;
        found.push({ doc, line, path, text: `${head}${code}\nexport {};\n`, preambleLines: head.split('\n').length - 1 });
      }
    }
  }
  return found;
}

function typeErrors(all: Snippet[]): string[] {
  const byPath = new Map(all.map((snippet) => [snippet.path, snippet]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => byPath.has(path) || fileExists(path);
  host.readFile = (path) => byPath.get(path)?.text ?? readFile(path);
  host.getSourceFile = (path, language, ...rest) => {
    const snippet = byPath.get(path);
    return snippet ? ts.createSourceFile(path, snippet.text, language) : getSourceFile(path, language, ...rest);
  };
  const program = ts.createProgram([...byPath.keys()], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const snippet = diagnostic.file && byPath.get(diagnostic.file.fileName);
    if (!snippet || diagnostic.start === undefined) return message;
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start);
    const where = line < snippet.preambleLines ? `the typecheck comment of the block at line ${snippet.line}` : `line ${snippet.line + line - snippet.preambleLines}`;
    return `${snippet.doc}, ${where}: ${message}`;
  });
}

describe('the TypeScript examples of the docs', () => {
  it('type-check against the built packages', () => {
    const all = snippets();
    expect(all.length).toBeGreaterThanOrEqual(10);
    expect(typeErrors(all)).toEqual([]);
  }, 60_000);
});
