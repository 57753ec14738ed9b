// `npm run bench`: compiles the benchmarks (the packages are built by turbo first) and runs them.
// Arguments are passed on, e.g. `npm run bench -- --million`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

const compiled = run(process.execPath, [`${root}node_modules/typescript/bin/tsc`, '-p', 'bench/tsconfig.json']);
process.exit(compiled === 0 ? run(process.execPath, [`${root}bench/dist/main.js`, ...process.argv.slice(2)]) : compiled);
