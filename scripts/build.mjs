// Builds everything `npm install` and `npm test` need: the WebAssembly kernels (when the
// AssemblyScript sources exist) and the TypeScript sources, tests and benchmarks.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args) => {
  try {
    execFileSync(process.execPath, [join(root, cmd), ...args], { cwd: root, stdio: 'inherit' });
  } catch {
    console.error(`recur build: ${cmd} failed (see above)`);
    process.exit(1);
  }
};

if (!existsSync(join(root, 'node_modules/typescript'))) {
  console.error('recur build: node_modules is missing; run `npm install` first.');
  process.exit(1);
}
if (existsSync(join(root, 'scripts/build_wasm.mjs'))) {
  run('scripts/build_wasm.mjs', []);
}
run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json']);
