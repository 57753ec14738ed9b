import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

// docs/reliability.md lists the hostile inputs tried, their outcomes and the tests that assert them: every
// test it names must exist, word for word, so the table never outlives its proof.

const ROOT = new URL('../../', import.meta.url);
const DOC = readFileSync(new URL('docs/reliability.md', ROOT), 'utf8');

interface Proof {
  file: string;
  test?: string;
}

/** The table's rows between its markers: input, outcome, and the proofs (`file` › test name; several with ';'). */
function rows(): { input: string; proofs: Proof[] }[] {
  const table = /<!-- hostile-inputs:start -->\n([\s\S]*?)<!-- hostile-inputs:end -->/.exec(DOC)?.[1] ?? '';
  return table
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| input |'))
    .map((line) => {
      const [input, , proof] = line.slice(2, -2).split(' | ');
      const proofs = proof.split('; `').map((part) => {
        const match = /^`?([^`]+)`(?: › (.+))?$/.exec(part.trim());
        if (!match) throw new Error(`unreadable proof in docs/reliability.md: ${part}`);
        return { file: match[1], test: match[2] };
      });
      return { input, proofs };
    });
}

describe('docs/reliability.md: hostile inputs', () => {
  const table = rows();

  it('lists at least twenty hostile inputs', () => {
    expect(table.length).toBeGreaterThanOrEqual(20);
  });

  it.each(table.map((row) => [row.input, row.proofs] as const))('%s: every proof named exists', (_input, proofs) => {
    for (const { file, test } of proofs) {
      expect(existsSync(new URL(file, ROOT))).toBe(true);
      if (test === undefined) continue;
      const source = readFileSync(new URL(file, ROOT), 'utf8');
      const quoted = [`'${test.replaceAll("'", "\\'")}'`, `"${test}"`, `'${test}'`].some((form) => source.includes(`it(${form}`));
      expect({ file, test, found: quoted }).toEqual({ file, test, found: true });
    }
  });
});
