/**
 * `npm run bench -- all [--quiet-check [MAXLOAD]] [--out DIR] [--quick]`: every suite with a peer, one
 * after another, each in its own process, for the tables of the README: rnn (C1-C4, recur-wasm on
 * 1 and 2 threads both ways, PyTorch, TF.js, 3 rounds), kernels (products vs PyTorch, relaxed
 * SIMD vs plain), preprocess (ZCA vs NumPy), esn (vs the numpy stand-in), hash (vs
 * scikit-learn), lm (C2 on text vs PyTorch, speed part). Each suite's output goes to DIR/SUITE.log and its
 * rows to DIR/SUITE.json; DIR/summary.json records the load average before and after each suite.
 *
 * --quiet-check [MAXLOAD]: before each suite, wait (up to 10 minutes, polling every 15 s) until
 * the 1-minute load average is at most MAXLOAD (default 0.5: nothing else running on the
 * machine), and mark the suite "loaded" in the summary if it never got there. Timings taken
 * on a loaded machine are not results.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url)); // dist/bench
const ROOT = join(HERE, '..', '..');

interface Step {
  suite: string;
  args: string[];
  quickArgs: string[];
}

const STEPS: Step[] = [
  { suite: 'rnn', args: ['--split', 'batch,kernels', '--rounds', '3'], quickArgs: ['--quick', '--impls', 'wasm'] },
  { suite: 'kernels', args: ['--rounds', '3'], quickArgs: ['--rounds', '1', '--ms', '50'] },
  { suite: 'preprocess', args: ['--rounds', '3'], quickArgs: ['--rounds', '1', '--dims', '256'] },
  {
    suite: 'esn',
    args: ['--units', '500,2000', '--seeds', '1,2,3', '--closed-units', 'none', '--elm-seeds', '0'],
    quickArgs: ['--units', '500', '--seeds', '1', '--closed-units', 'none', '--elm-seeds', '0'],
  },
  { suite: 'hash', args: ['--rounds', '3'], quickArgs: ['--rounds', '1', '--no-peers'] },
  // The language models' speed part only: its budget and word parts are 15-minute training runs.
  {
    suite: 'lm',
    args: ['--parts', 'speed'],
    quickArgs: ['--parts', 'speed', '--steps', '2', '--warmup', '1'],
  },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the 1-minute load is at most `max` (10 minutes at most); true if it got there. */
async function waitQuiet(max: number): Promise<boolean> {
  for (let waited = 0; waited <= 600; waited += 15) {
    if (loadavg()[0]! <= max) return true;
    if (waited === 0) console.log(`# waiting for the load average (${loadavg()[0]!.toFixed(2)}) to fall to ${max} ...`);
    await sleep(15_000);
  }
  return false;
}

function runSuite(args: string[], log: string): Promise<number> {
  return new Promise((resolve) => {
    const out = createWriteStream(log);
    const child = spawn(process.execPath, [join(HERE, 'main.js'), ...args], { cwd: ROOT });
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    for (const s of [child.stdout, child.stderr]) {
      s.on('data', (b: string) => {
        process.stdout.write(b);
        out.write(b);
      });
    }
    child.on('close', (code) => {
      out.end();
      resolve(code ?? 1);
    });
  });
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: npm run bench -- all [--quiet-check [MAXLOAD]] [--out DIR] [--only rnn,esn,...] [--quick]\n' +
        'Runs every suite with a peer (rnn kernels preprocess esn hash lm), each in its own process;\n' +
        'logs and JSON rows in DIR (default bench/results/all-YYYY-MM-DD). --quiet-check waits before each\n' +
        'suite until the 1-minute load average is at most MAXLOAD (default 0.5).',
    );
    return 0;
  }
  const qi = argv.indexOf('--quiet-check');
  const next = qi >= 0 ? argv[qi + 1] : undefined;
  const maxLoad = qi < 0 ? null : next !== undefined && /^[0-9.]+$/.test(next) ? Number(next) : 0.5;
  const oi = argv.indexOf('--out');
  const dir = oi >= 0 ? argv[oi + 1]! : join(ROOT, 'bench', 'results', `all-${new Date().toISOString().slice(0, 10)}`);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1]!.split(',') : null;
  const quick = argv.includes('--quick');
  mkdirSync(dir, { recursive: true });
  const summary: Record<string, unknown>[] = [];
  let failed = 0;
  for (const s of STEPS.filter((x) => !only || only.includes(x.suite))) {
    const quiet = maxLoad === null ? null : await waitQuiet(maxLoad);
    const before = loadavg().map((v) => Math.round(v * 100) / 100);
    const t0 = Date.now();
    console.log(`\n## ${s.suite} (load average ${before.join(' ')})`);
    const json = join(dir, `${s.suite}.json`);
    const code = await runSuite(
      [s.suite, ...(quick ? s.quickArgs : s.args), '--json', json],
      join(dir, `${s.suite}.log`),
    );
    if (code !== 0) failed++;
    summary.push({
      suite: s.suite,
      args: quick ? s.quickArgs : s.args,
      exit: code,
      seconds: Math.round((Date.now() - t0) / 1000),
      load_before: before,
      load_after: loadavg().map((v) => Math.round(v * 100) / 100),
      quiet: quiet === null ? 'not checked' : quiet ? `load <= ${maxLoad}` : `loaded (load > ${maxLoad} after 10 min)`,
    });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  }
  console.log(`\nall suites done (${failed} failed); logs and rows in ${dir}`);
  for (const r of summary)
    console.log(
      `  ${r.suite}: exit ${r.exit}, ${r.seconds} s, ` +
        `load ${(r.load_before as number[]).join(' ')} -> ${(r.load_after as number[]).join(' ')}, ${r.quiet}`,
    );
  return failed ? 1 : 0;
}
