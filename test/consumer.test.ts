// The package as a consumer gets it (issue 16): `npm pack`, install the tarball into a fresh
// project (from npm's cache: the tests download nothing new), then import every export from
// ESM and require() it from CommonJS, type-check a consumer file under `tsc --strict` with
// `--types node` alone and with the DOM lib, bundle it for the browser as an IIFE targeting
// ES2020, and run that bundle in headless Chromium. Skips, saying why, where npm's cache
// cannot supply the dependencies (an offline machine that never installed them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
};
const NAME = pkg.name;
const SUBPATHS = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? NAME : `${NAME}/${k.slice(2)}`));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function du(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    n += e.isDirectory() ? du(p) : e.isFile() ? statSync(p).size : 0;
  }
  return n;
}

const work = mkdtempSync(join(tmpdir(), 'recur-consumer-'));
let skip: string | false = false;
let tarball = '';
try {
  const out = execFileSync(NPM, ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  tarball = join(work, out.trim().split('\n').pop()!);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  const r = spawnSync(
    NPM,
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel', 'error', tarball],
    { cwd: app, encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0)
    skip = `npm could not install the tarball's dependencies offline: ${r.stderr.trim().split('\n')[0]}`;
} catch (e) {
  skip = `npm pack failed: ${(e as Error).message.split('\n')[0]}`;
}
const APP = join(work, 'app');
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

test('the tarball ships what is loaded and nothing else; the optional webgpu peer is not installed', { skip }, () => {
  const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
  assert.ok(files.includes('package/LICENSE') && files.includes('package/README.md'), 'LICENSE and README ship');
  assert.ok(!files.some((f) => f.startsWith('package/build/')), 'no unused .wasm files');
  assert.ok(!files.some((f) => /\/(test|bench)\//.test(f) || f.endsWith('.test.js')), 'no tests or benchmarks');
  assert.ok(!existsSync(join(APP, 'node_modules', 'webgpu')), 'webgpu (132 MB) installs only when asked for');
  const mb = du(join(APP, 'node_modules')) / 2 ** 20;
  assert.ok(mb < 10, `consumer node_modules ${mb.toFixed(1)} MB`);
});

test('every export loads from ESM and from CommonJS require()', { skip }, () => {
  const esm = SUBPATHS.map((s) => `import * as m${SUBPATHS.indexOf(s)} from '${s}';`).join('\n');
  const list = SUBPATHS.map((s, i) => `['${s}', Object.keys(m${i}).length]`).join(', ');
  writeFileSync(join(APP, 'esm.mjs'), `${esm}\nconsole.log(JSON.stringify([${list}]));\n`);
  const e = JSON.parse(execFileSync(process.execPath, ['esm.mjs'], { cwd: APP, encoding: 'utf8' })) as [
    string,
    number,
  ][];
  for (const [s, n] of e) assert.ok(n > 0, `${s} exports something`);
  writeFileSync(
    join(APP, 'cjs.cjs'),
    `const out = ${JSON.stringify(SUBPATHS)}.map((s) => [s, Object.keys(require(s)).length]);\n` +
      `const r = require('${NAME}'); const m = new r.LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 });\n` +
      `out.push(['forward', m.forward(r.tensor([2, 1, 2], [1, 2, 3, 4])).hN.data.length]);\n` +
      'console.log(JSON.stringify(out));\n',
  );
  const c = JSON.parse(execFileSync(process.execPath, ['cjs.cjs'], { cwd: APP, encoding: 'utf8' })) as [
    string,
    number,
  ][];
  assert.equal(c.length, SUBPATHS.length + 1);
  for (const [s, n] of c) assert.ok(n > 0, `require('${s}')`);
});

test('a consumer file type-checks under tsc --strict with --types node alone and with the DOM lib', { skip }, () => {
  writeFileSync(
    join(APP, 'use.ts'),
    `import { LSTM, SequenceModel, Trainer, Adam, type Batch } from '${NAME}';\n` +
      `import { ESN } from '${NAME}/esn';\nimport { buildReport } from '${NAME}/report';\n` +
      `import { trainLM } from '${NAME}/lm';\nimport { FeatureHasher } from '${NAME}/hashing';\n` +
      'const m = new LSTM({ inputSize: 2, hiddenSize: 3 });\nconst h: number = m.hiddenSize;\n' +
      'const b: Batch = { T: 1, B: 1, x: new Float32Array(2), y: [0] };\n' +
      'export { h, b, ESN, buildReport, SequenceModel, Trainer, Adam, trainLM, FeatureHasher };\n',
  );
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const base = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
  const types = ['--typeRoots', join(ROOT, 'node_modules', '@types')];
  for (const extra of [
    ['--types', 'node', '--lib', 'es2022'],
    ['--types', 'node', '--lib', 'es2022,dom'],
  ]) {
    const r = spawnSync(process.execPath, [tsc, ...base, ...types, ...extra, 'use.ts'], { cwd: APP, encoding: 'utf8' });
    assert.equal(r.status, 0, `tsc ${extra.join(' ')}:\n${r.stdout}${r.stderr}`);
  }
});

test('an IIFE bundle for ES2020 browsers runs in headless Chromium', { skip }, async (t) => {
  const chromium = '/usr/bin/chromium';
  let pw: typeof import('playwright-core') | null = null;
  try {
    pw = await import('playwright-core');
  } catch {
    pw = null;
  }
  if (!existsSync(chromium) || !pw) return t.skip('Chromium or playwright-core missing');
  writeFileSync(
    join(APP, 'app.js'),
    `import { LSTM, getBackend, tensor } from '${NAME}';\n` +
      'const m = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 });\n' +
      'const y = m.forward(tensor([4, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8]));\n' +
      'window.RESULT = getBackend().name + " " + y.hN.data[0].toFixed(5);\n',
  );
  const { buildSync } = await import('esbuild');
  const r = buildSync({
    entryPoints: [join(APP, 'app.js')],
    bundle: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    absWorkingDir: APP,
  });
  const js = r.outputFiles[0]!.text;
  const want = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { LSTM, tensor } from '${NAME}'; const m = new LSTM({ inputSize: 2, hiddenSize: 3, seed: 1 });` +
        'console.log(m.forward(tensor([4, 1, 2], [1, 2, 3, 4, 5, 6, 7, 8])).hN.data[0].toFixed(5));',
    ],
    { cwd: APP, encoding: 'utf8' },
  ).trim();
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': req.url === '/app.js' ? 'text/javascript' : 'text/html' });
    res.end(req.url === '/app.js' ? js : '<!doctype html><script src="/app.js"></script>');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const browser = await pw.chromium.launch({
    executablePath: chromium,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const got = await page.waitForFunction(() => (window as unknown as { RESULT?: string }).RESULT, null, {
      timeout: 20_000,
    });
    assert.deepEqual(errors, []);
    assert.equal(await got.jsonValue(), `wasm ${want}`, 'the wasm kernels run in the page and agree with Node');
  } finally {
    await browser.close();
    server.close();
  }
});
