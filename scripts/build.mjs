// Builds everything `npm install` and `npm test` need: the WebAssembly kernels (when the
// AssemblyScript sources exist) and the TypeScript sources, tests and benchmarks.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
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
// A clean dist/: a source file removed or renamed must not leave its compiled test behind.
rmSync(join(root, 'dist'), { recursive: true, force: true });
if (existsSync(join(root, 'scripts/build_wasm.mjs'))) {
  run('scripts/build_wasm.mjs', []);
}
run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json']);

// The browser demo: demo/main.ts and the library it imports bundled by esbuild (a
// devDependency, so skipped where only runtime dependencies are installed) into dist/demo/.
if (existsSync(join(root, 'node_modules/esbuild')) && existsSync(join(root, 'demo/main.ts'))) {
  const { buildSync } = await import('esbuild');
  mkdirSync(join(root, 'dist/demo'), { recursive: true });
  buildSync({
    entryPoints: [join(root, 'demo/main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(root, 'dist/demo/demo.js'),
    logLevel: 'warning',
  });
  copyFileSync(join(root, 'demo/index.html'), join(root, 'dist/demo/index.html'));
}
