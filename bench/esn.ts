/**
 * `npm run bench -- esn`: recur's ESN beside ReservoirPy 0.4.2 on Mackey-Glass tau=17, the
 * protocol of ../shared/anchors/esn.md on the exact series ReservoirPy generated.
 * ReservoirPy cannot be installed here (no PyPI), so its numbers are the anchor's, measured
 * earlier on this machine, and labelled so; ours are measured live.
 *
 *   one-step: 4000 training steps (warm-up 200), 1999 test steps, quick-start hyperparameters
 *   (lr 0.3, sr 1.25, input scaling 1, ridge 1e-5, 10% connectivity), seeds 1-3, medians
 *   fit = reservoir run + ridge (init reported apart, as the anchor does)
 *   closed loop: NRMSE84 with the hyperparameters in --closed (JSON) or the searched defaults
 *
 * Flags: --units 500,2000  --seeds 1,2,3  --threads 1,2  --no-python  --closed-units 500 (none skips)  --closed-seeds 1
 *   --elm-seeds 3 (0 skips)  --big-seeds 3  --json FILE
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getBackend } from '../src/backend/index.js';
import { ELM } from '../src/reservoir/index.js';
import { threadedGram } from '../src/node/gram.js';
import { execFileSync } from 'node:child_process';
import { PY, load1, loadText, median, peerEnv, unfairVarsSet } from './peers/env.js';
import { loadDigits } from '../test/digits.js';
import {
  ANCHOR_DIR,
  QUICKSTART,
  TRAIN,
  accumulate,
  closedLoop,
  loadMackeyGlass,
  makeEsn,
  makeModel,
  oneStep,
  timed,
  type Hyper,
} from './esn_protocol.js';

/**
 * Closed-loop hyperparameters, all chosen on NRMSE84 over a validation stretch inside the
 * training part (train on u[0..3000), validate in [3000, 4000); seed 1), never on the test part:
 *   N = 500:  `node dist/bench/esn_search.js --units 500 --grid quick --connectivity 0.02`
 *             (16 reservoirs x 6 ridges; best validation NRMSE84 2.1e-4)
 *   N = 1000: the same reservoir hyperparameters; ridge and iterated-Tikhonov order picked by
 *             the median validation NRMSE84 over seeds 1, 2, 3 (each seed its own series and
 *             reservoir; same split): `node dist/bench/esn_search.js --units 1000 --grid point
 *             --connectivity 0.02 --seeds 1,2,3 --ridges 1e-11,1e-10,1e-9 --orders 1,2,4,16`
 *             (median 1.06e-4; 1m02s wall). (Earlier, on seed 1 alone with ridge >= 1e-10, it
 *             was ridge 1e-9, order 16: median test NRMSE84 1.4e-4 over seeds 1-3.)
 *   N = 2000: an ensemble of 2 reservoirs of 1000 units (ESNEnsemble, seeds s and s + 1000,
 *             outputs averaged and fed back), the same reservoir hyperparameters, ridge picked
 *             by the median validation NRMSE84 over seeds 1, 2, 3 (each seed its own series and
 *             reservoirs; same split, never the test part):
 *             `node dist/bench/esn_search.js --units 2000 --members 2 --grid point --connectivity 0.02
 *               --seeds 1,2,3 --ridges 1e-11,1e-10 --orders 1,2,4` (median 6.8e-5; 1m56s wall), then
 *             `--ridges 3e-12,5e-12,1e-11,2e-11,5e-11 --orders 1` (1e-11 again; 1m04s); re-run after the
 *             float32 step kernel: the same point (median 6.4e-5; 50 s). One reservoir
 *             of 1000 units with its best point on the same three validation stretches (ridge
 *             1e-11, order 2) had median 1.1e-4.
 */
const CL_BASE = { sr: 1.25, lr: 0.6, inputScaling: 0.5, connectivity: 0.02, inputConnectivity: 1, bias: 0.2 };
export const CLOSED_LOOP_HP: Record<number, Omit<Hyper, 'units'>> = {
  500: { ...CL_BASE, ridge: 1e-10, order: 1 },
  1000: { ...CL_BASE, ridge: 1e-11, order: 2 },
  2000: { ...CL_BASE, members: 2, ridge: 1e-11, order: 1 },
};

function flag(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
}

interface ProxyRow {
  N: number;
  seed: number;
  init: number;
  run: number;
  ridge: number;
  fit: number;
  blas: string;
}

/**
 * The live numpy/scipy stand-in for ReservoirPy's fit (bench/peers/esn_numpy.py) on one seed, or
 * the reason it did not run (no /usr/bin/python3 + scipy). It runs without OPENBLAS_CORETYPE /
 * OPENBLAS_L2_SIZE (bench/peers/env.ts) and reports the BLAS kernel it ran.
 */
function numpyProxy(N: number, seed: number): ProxyRow | string {
  try {
    const text = execFileSync(
      PY,
      ['bench/peers/esn_numpy.py', join(ANCHOR_DIR, 'esn_series.json'), String(seed), String(N)],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: peerEnv() },
    );
    return JSON.parse(text.trim().split('\n').pop()!) as ProxyRow;
  } catch (e) {
    return (e as Error).message.split('\n')[0]!;
  }
}

/** Reads a row of a markdown table of esn.md: section title -> N -> columns. */
function anchorRow(section: string, N: number): string[] | null {
  const md = readFileSync(join(ANCHOR_DIR, 'esn.md'), 'utf8');
  const at = md.indexOf(section);
  if (at < 0) return null;
  for (const line of md.slice(at).split('\n').slice(1)) {
    if (line.startsWith('## ')) break;
    const cells = line
      .split('|')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (cells[0] === String(N)) return cells;
  }
  return null;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: npm run bench -- esn [--units 500,2000] [--seeds 1,2,3] [--threads 1,2] [--no-python] ' +
        '[--closed-units 500] [--closed-seeds 1] [--elm-seeds 3] [--big-seeds 3] [--json FILE]',
    );
    return 0;
  }
  const units = flag(argv, 'units', '500,2000')
    .split(',')
    .filter((s) => s !== 'none')
    .map(Number);
  const seeds = flag(argv, 'seeds', '1,2,3').split(',').map(Number);
  const closedUnits = flag(argv, 'closed-units', '500')
    .split(',')
    .filter((s) => s !== '' && s !== 'none')
    .map(Number);
  const jsonFile = flag(argv, 'json', '');
  const bigSeeds = Number(flag(argv, 'big-seeds', '3')); // seeds for N >= 2000 (slow on the ts backend)
  console.log(
    `ESN bench, backend ${getBackend().name}; ` +
      'ReservoirPy = anchor (measured earlier on this machine, ../shared/anchors/esn.md)',
  );
  const results: Record<string, unknown>[] = [];
  const threadList = flag(argv, 'threads', '1,2').split(',').map(Number);
  const gram = threadList.includes(2) ? await threadedGram().catch(() => null) : null;
  const python = !argv.includes('--no-python');
  let pythonSkipped = '';
  console.log(`load average at the start: ${loadText()}; peer environment: ${unfairVarsSet()}`);
  console.log(
    '\nMackey-Glass tau=17, 4000 train (warm-up 200) / 1999 test, one step ahead, quick-start hyperparameters, ' +
      'medians over seeds ' +
      seeds.join(','),
  );
  console.log(
    'fit = reservoir run + ridge (X^T X and solve); init (weights, spectral radius) apart. ' +
      "Peers: ReservoirPy's anchor (measured on",
  );
  console.log(
    'this machine on another day) and, live in this run, the same arithmetic in numpy/scipy/OpenBLAS ' +
      '(bench/peers/esn_numpy.py, 2 BLAS threads),',
  );
  console.log(
    "run right after recur's rows on each seed (rounds): " +
      'the numpy-live ratio is the median over seeds of the ratio on that seed.',
  );
  console.log(
    '| N | who | nrmse_std | nrmse_minmax | R^2 | init s | fit s | of which run+accumulate s | of which solve s ' +
      '| fit ratio numpy-live/ours | fit ratio rpy-anchor/ours | BLAS kernel | load (1 min) |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  const measure = (N: number, seed: number, threads: number) => {
    const X = loadMackeyGlass(seed);
    const init = timed(() => makeEsn({ units: N, ...QUICKSTART }, seed, threads === 2 ? gram! : undefined));
    const esn = init.value;
    const acc = timed(() =>
      esn.partialFit(
        { shape: [TRAIN, 1], data: X.subarray(0, TRAIN) },
        { shape: [TRAIN, 1], data: X.subarray(1, TRAIN + 1) },
      ),
    );
    const solve = timed(() => esn.solve());
    return {
      init: init.wall,
      acc: acc.wall,
      solve: solve.wall,
      fit: acc.wall + solve.wall,
      fitCpu: acc.cpu + solve.cpu,
      load: load1(),
      ...oneStep(esn, X),
    };
  };
  for (const N of units) {
    const a = anchorRow('## Mackey-Glass tau=17, 6000 steps: 4000 train (warmup 200) / 1999 test, 1-step-ahead', N);
    const rpyFit = a ? Number(a[6]) : NaN;
    const runThreads = threadList.filter((t) => t !== 2 || gram);
    // One round per seed: recur on each thread count, then the numpy stand-in, back to back.
    const rounds = (N >= 2000 ? seeds.slice(0, bigSeeds) : seeds).map((seed) => {
      const recur = runThreads.map((th) => measure(N, seed, th));
      const py = python && !pythonSkipped ? numpyProxy(N, seed) : null;
      if (typeof py === 'string') pythonSkipped = py;
      return { recur, py: typeof py === 'string' ? null : py, pyLoad: load1() };
    });
    const py = rounds.flatMap((r) => (r.py ? [r.py] : []));
    for (const threads of threadList) {
      const ti = runThreads.indexOf(threads);
      if (ti < 0) {
        console.log(`| ${N} | recur, 2 threads | (no shared-memory wasm backend here) |`);
        continue;
      }
      const rows = rounds.map((r) => r.recur[ti]!);
      const m = (k: keyof (typeof rows)[number]) => median(rows.map((r) => r[k] as number));
      const ratios = rounds.flatMap((r, i) => (r.py ? [r.py.fit / rows[i]!.fit] : []));
      const loads = rows.map((r) => r.load);
      console.log(
        `| ${N} | recur, ${threads} thread${threads > 1 ? 's' : ''} ` +
          `(live, ${rows.length} seed${rows.length > 1 ? 's' : ''}) ` +
          `| ${m('nrmse_std').toPrecision(3)} | ${m('nrmse_minmax').toPrecision(3)} | ${m('r2').toFixed(6)} ` +
          `| ${m('init').toFixed(3)} | ${m('fit').toFixed(3)} (cpu ${m('fitCpu').toFixed(3)}) ` +
          `| ${m('acc').toFixed(3)} | ${m('solve').toFixed(3)} | ${ratios.length ? median(ratios).toFixed(2) : '-'} ` +
          `| ${(rpyFit / m('fit')).toFixed(2)} | | ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`,
      );
      results.push({
        task: 'one-step',
        N,
        threads,
        recur: {
          seeds: rows.length,
          nrmse_std: m('nrmse_std'),
          nrmse_minmax: m('nrmse_minmax'),
          r2: m('r2'),
          init_s: m('init'),
          fit_s: m('fit'),
          fit_cpu_s: m('fitCpu'),
          accumulate_s: m('acc'),
          solve_s: m('solve'),
          loads,
        },
        numpy_over_recur_fit: ratios.length ? median(ratios) : null,
        numpy_over_recur_fit_rounds: ratios,
      });
    }
    if (py.length) {
      const pm = (k: 'init' | 'run' | 'ridge' | 'fit') => median(py.map((r) => r[k]));
      const loads = rounds.map((r) => r.pyLoad);
      console.log(
        `| ${N} | numpy/scipy (live, ${py.length} seed${py.length > 1 ? 's' : ''}) | | | ` +
          `| ${pm('init').toFixed(3)} | ${pm('fit').toFixed(3)} | ${pm('run').toFixed(3)} (run) ` +
          `| ${pm('ridge').toFixed(3)} (ridge) | 1 | | ${py[0]!.blas} ` +
          `| ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)} |`,
      );
      results.push({ task: 'one-step', N, numpy_live: py });
    }
    if (a)
      console.log(
        `| ${N} | ReservoirPy (anchor, 3 seeds) | ${a[3]!.split(' ')[0]} | ${a[2]} | ${a[4]} | ${a[5]} | ${a[6]} ` +
          `| ${a[7]} (run) | ${a[8]} (ridge) | | 1 | | |`,
      );
    results.push({ task: 'one-step', N, reservoirpy_anchor: a });
  }
  if (pythonSkipped) console.log(`(numpy/scipy stand-in not run: ${pythonSkipped})`);
  if (closedUnits.length) {
    const closedSeeds = flag(argv, 'closed-seeds', '1').split(',').map(Number);
    console.log(
      '\nClosed loop, 50 trials (300 teacher-forced + 84 generated), NRMSE84 = rms err at step 84 / std(series), ' +
        `median [min-max] over seeds ${closedSeeds.join(',')}`,
    );
    console.log('| N | who | NRMSE84 | NRMSE over 84 steps | generation us/step | hyperparameters |');
    console.log('|---|---|---|---|---|---|');
    for (const N of closedUnits) {
      const hp = CLOSED_LOOP_HP[N] ?? CLOSED_LOOP_HP[500]!;
      const runs = closedSeeds.map((seed) => {
        const X = loadMackeyGlass(seed),
          esn = makeModel({ units: N, ...hp }, seed);
        accumulate(esn, X, TRAIN);
        esn.solve();
        return closedLoop(esn, X);
      });
      const c84 = runs.map((r) => r.nrmse84),
        range = runs.length > 1 ? ` [${Math.min(...c84).toPrecision(3)}-${Math.max(...c84).toPrecision(3)}]` : '';
      console.log(
        `| ${N} | recur (live) | ${median(c84).toPrecision(3)}${range} ` +
          `| ${median(runs.map((r) => r.nrmseAll)).toPrecision(3)} ` +
          `| ${median(runs.map((r) => r.usPerStep)).toFixed(1)} | ${JSON.stringify(hp)} |`,
      );
      const md = readFileSync(join(ANCHOR_DIR, 'esn.md'), 'utf8');
      const line = md.split('\n').find((l) => l.startsWith(`| ${N} | tuned`));
      if (line) console.log(line.replace(`| ${N} | tuned`, `| ${N} | ReservoirPy (anchor) tuned`));
      results.push({ task: 'closed-loop', N, hp, seeds: closedSeeds, recur: runs, reservoirpy_anchor: line ?? null });
    }
  }
  const elmSeeds = Number(flag(argv, 'elm-seeds', '3'));
  if (elmSeeds > 0) {
    // ELM-A of ../shared/anchors/elm.md: X/16, W, b ~ U(-1, 1), tanh, L = 1000, lam = 10, one-hot targets.
    // Difference: our readout also has an unpenalised output bias.
    const d = loadDigits(process.cwd());
    const accs: number[] = [],
      fits: number[] = [],
      cpus: number[] = [];
    for (let seed = 0; seed < elmSeeds; seed++) {
      const f = timed(() =>
        new ELM({ hidden: 1000, ridge: 10, seed, gram: gram ?? undefined }).fitClassifier(
          { shape: [d.ytr.length, 64], data: d.Xtr },
          d.ytr,
        ),
      );
      const elm = f.value;
      fits.push(f.wall);
      cpus.push(f.cpu);
      const p = elm.predictClass({ shape: [d.yte.length, 64], data: d.Xte });
      accs.push(p.filter((c, i) => c === d.yte[i]).length / d.yte.length);
    }
    const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
    console.log(`\nELM on load_digits (1347 train / 450 test), L=1000 tanh, lam=10, ${elmSeeds} hidden-weight seeds`);
    console.log('| who | test acc mean [min-max] | fit s (median) |');
    console.log('|---|---|---|');
    console.log(
      `| recur (live${gram ? ', 2 threads' : ''}) ` +
        `| ${mean.toFixed(4)} [${Math.min(...accs).toFixed(4)}-${Math.max(...accs).toFixed(4)}] ` +
        `| ${median(fits).toFixed(3)} (cpu ${median(cpus).toFixed(3)}) |`,
    );
    console.log('| numpy/scipy ELM-A (anchor, 10 seeds, 2 threads) | 0.9833 [0.9778-0.9889] | 0.0466 |');
    results.push({ task: 'elm-digits', recur: { accs, fits, cpus }, anchor: { acc: 0.9833, fit_s_2threads: 0.0466 } });
  }
  await gram?.close();
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ backend: getBackend().name, results }, null, 2));
  return 0;
}
