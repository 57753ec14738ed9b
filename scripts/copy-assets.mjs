// Copies files or folders from the repository root into the package being built (the working directory), so a
// packed package carries what it reads at run time. The repository's copies stay the only ones edited: a
// folder is replaced whole, so a file removed at the root does not linger in the package.
import { cpSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

for (const path of process.argv.slice(2)) {
  rmSync(path, { recursive: true, force: true });
  cpSync(`${root}${path}`, path, { recursive: true });
}
