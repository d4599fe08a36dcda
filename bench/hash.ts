/**
 * `npm run bench -- hash`: the hashing trick side by side with what users run today, on the
 * synthetic Criteo-like data of ../shared/tools/make_ctr.py (1,000,000 training rows, 200,000
 * test rows; one pass, 2^20 buckets, one thread). Each learner runs in its own process so that
 * its peak RSS is its own.
 *
 *   recur:   `recur hash train` (FTRL-Proximal / AdaGrad), with and without quadratic pairs
 *   peers:   scikit-learn FeatureHasher + SGDClassifier, live when /usr/bin/python3 has it;
 *            pure-Python FTRL live with --python-ftrl (30+ s), else the anchor's numbers;
 *            Vowpal Wabbit is not installable here (see ../shared/anchors/ctr.md).
 *   --big:   also trains on a file 10x larger (10,000,000 rows, generated once, ~2.4 GB) to show
 *            that peak memory does not grow with the data.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cpus } from 'node:os';
import { PY, load1, loadText, median, peerEnv, unfairVarsSet } from './peers/env.js';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, 'bench-data', 'ctr');
const MAKE = join(ROOT, '..', 'shared', 'tools', 'make_ctr.py');
const ANCHOR = join(ROOT, '..', 'shared', 'anchors', 'ctr.md');
// The -q row's pairs and settings, chosen on a validation split of train.csv by `--search`
// (bench/hash_search.ts; its log: bench/results/hash_search.jsonl).
const PAIRS = 'C6:C17,C2:C23,C1:C14,C5:C10';
const Q_FLAGS = ['--numeric-as', 'bin', '--alpha', '0.1', '--l1', '0', '--l2', '0'];

interface Row {
  learner: string;
  source: 'live' | 'anchor';
  rowsPerSec: number;
  /** Rows per CPU-second (user + system) of the learner's process: less sensitive to a busy machine. */
  rowsPerCpuSec: number | null;
  testLogLoss: number;
  testAuc: number;
  peakRssMiB: number;
  progressiveLoss: number;
  seconds: number;
  command: string;
  /** Live rows: rows/s of each round and the 1-minute load average when it ended. */
  rounds?: number[];
  loads?: number[];
  /** Median over rounds of this row's rows/s over scikit-learn's in the same round. */
  vsSklearn?: number;
  /** Python peers: the BLAS kernel the process loaded (threadpoolctl). */
  blas?: string;
}

function ensureData(name: string, rows: number, seed: number): string {
  const path = join(DATA, name);
  if (existsSync(path)) return path;
  if (!existsSync(MAKE)) throw new Error(`bench hash: ${path} is missing and the generator ${MAKE} is not there`);
  mkdirSync(DATA, { recursive: true });
  console.log(`generating ${path} (${rows} rows) with ${MAKE} ...`);
  execFileSync(PY, [MAKE, String(rows), String(seed), path], { stdio: ['ignore', 'inherit', 'inherit'] });
  return path;
}

function recur(label: string, train: string, test: string, flags: string[]): Row {
  const args = [
    join(ROOT, 'bin', 'recur.js'),
    'hash',
    'train',
    train,
    '--bits',
    '20',
    '--test',
    test,
    '--json',
    '--quiet',
    ...flags,
  ];
  const r = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 24 }));
  return {
    learner: label,
    source: 'live',
    rowsPerSec: r.rows_per_sec,
    rowsPerCpuSec: r.rows_per_cpu_sec,
    testLogLoss: r.test.log_loss,
    testAuc: r.test.auc,
    peakRssMiB: r.peak_rss_mib,
    progressiveLoss: r.progressive_loss,
    seconds: r.seconds,
    command: `recur hash train ${rel(train)} --test ${rel(test)} ${flags.join(' ')}`,
  };
}

function rel(p: string): string {
  return p.startsWith(ROOT + '/') ? p.slice(ROOT.length + 1) : p;
}

function hasSklearn(): boolean {
  try {
    execFileSync(PY, ['-c', 'import sklearn'], { stdio: 'ignore', env: peerEnv() });
    return true;
  } catch {
    return false;
  }
}

function python(which: 'sklearn' | 'ftrl', train: string, test: string): Row {
  const script = join(ROOT, 'bench', 'peers', 'ctr_python.py');
  const r = JSON.parse(
    execFileSync(PY, [script, which, train, test], { encoding: 'utf8', env: peerEnv({ OMP_NUM_THREADS: '1' }) }),
  );
  return {
    learner: which === 'sklearn' ? 'scikit-learn FeatureHasher + SGDClassifier' : 'pure-Python FTRL-Proximal',
    source: 'live',
    rowsPerSec: r.rowsPerSec,
    rowsPerCpuSec: r.rowsPerCpuSec,
    testLogLoss: r.testLogLoss,
    testAuc: r.testAuc,
    peakRssMiB: r.peakRssMiB,
    progressiveLoss: r.progressiveLoss,
    seconds: r.seconds,
    command: `${PY} bench/peers/ctr_python.py ${which} ...`,
    blas: r.blas,
  };
}

/** A row of the anchor's table (../shared/anchors/ctr.md), labelled as such. */
function anchor(key: string, label: string): Row | null {
  if (!existsSync(ANCHOR)) return null;
  const line = readFileSync(ANCHOR, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`| ${key} |`));
  if (!line) return null;
  const c = line.split('|').map((s) => s.trim());
  return {
    learner: label,
    source: 'anchor',
    rowsPerSec: Number(c[2]),
    rowsPerCpuSec: null,
    testLogLoss: Number(c[3]),
    testAuc: Number(c[4]),
    peakRssMiB: Number(c[5]),
    progressiveLoss: Number(c[8]),
    seconds: Number(c[6]),
    command: `see ${rel(ANCHOR)}`,
  };
}

function table(rows: Row[], base: Row | undefined): string {
  const head = [
    'learner',
    'source',
    'train rows/s (wall)',
    'x sklearn',
    'rows per CPU-s',
    'x sklearn',
    'test log-loss',
    'test AUC',
    'peak RSS MiB',
    'progressive loss',
    'BLAS kernel',
    'rounds',
    'load (1 min)',
  ];
  const body = rows.map((r) => [
    r.learner,
    r.source,
    Math.round(r.rowsPerSec).toLocaleString('en-US'),
    r.vsSklearn ? r.vsSklearn.toFixed(1) + 'x' : base ? (r.rowsPerSec / base.rowsPerSec).toFixed(1) + 'x' : '-',
    r.rowsPerCpuSec ? Math.round(r.rowsPerCpuSec).toLocaleString('en-US') : '-',
    base?.rowsPerCpuSec && r.rowsPerCpuSec ? (r.rowsPerCpuSec / base.rowsPerCpuSec).toFixed(1) + 'x' : '-',
    r.testLogLoss.toFixed(4),
    r.testAuc.toFixed(4),
    r.peakRssMiB.toFixed(0),
    r.progressiveLoss.toFixed(4),
    r.blas ?? '',
    String(r.rounds?.length ?? ''),
    r.loads ? `${Math.min(...r.loads).toFixed(1)}-${Math.max(...r.loads).toFixed(1)}` : '',
  ]);
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((b) => `| ${b.join(' | ')} |`),
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(
      'Usage: npm run bench -- hash [--big] [--python-ftrl] [--no-peers] [--rounds 3] [--json FILE] | --search\n\n' +
        'Trains recur on the synthetic CTR data (1M rows, 2^20 buckets, one pass) beside scikit-learn (live when\n' +
        'installed) and the anchor numbers; --big adds a 10M-row file to show constant memory.\n' +
        '--search: the validation search (on train.csv only) that chose the -q pairs and hyper-parameters.\n' +
        'Rounds alternate the recur rows and scikit-learn (run without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE);\n' +
        'rows/s are medians over rounds, x sklearn the median of the ratios within a round.',
    );
    return 0;
  }
  if (argv.includes('--search')) {
    ensureData('train.csv', 1_000_000, 1);
    const ri = argv.indexOf('--resume');
    await (await import('./hash_search.js')).search(DATA, ri >= 0 ? JSON.parse(argv[ri + 1]!) : undefined);
    return 0;
  }
  const ji = argv.indexOf('--json');
  const jsonFile = ji >= 0 ? argv[ji + 1] : undefined;
  const train = ensureData('train.csv', 1_000_000, 1);
  const test = ensureData('test.csv', 200_000, 2);
  const ri = argv.indexOf('--rounds'),
    rounds = ri >= 0 ? Number(argv[ri + 1]) : 3;
  const rows: Row[] = [];
  const num = ['--numeric', 'I1..I13'];
  const say = (r: Row) => {
    console.log(
      `  ${r.learner}: ${Math.round(r.rowsPerSec)} rows/s, test log-loss ${r.testLogLoss.toFixed(4)}, ` +
        `AUC ${r.testAuc.toFixed(4)}, peak RSS ${r.peakRssMiB.toFixed(0)} MiB${r.blas ? ` [${r.blas}]` : ''}, ` +
        `load ${load1()}`,
    );
    return r;
  };
  /** Adds a round of a live row: rows/s become the median over rounds (other fields: the first round's). */
  const merge = (r: Row): Row => {
    say(r);
    let row = rows.find((x) => x.learner === r.learner);
    if (!row) rows.push((row = { ...r, rounds: [], loads: [] }));
    row.rounds!.push(r.rowsPerSec);
    row.loads!.push(load1());
    row.rowsPerSec = median(row.rounds!);
    return row;
  };
  console.log(
    `recur (this checkout), ${rel(train)} -> ${rel(test)}; ` +
      `machine load average ${loadText()} on ${cpus().length} cores; peer environment: ${unfairVarsSet()}`,
  );
  const peers = !argv.includes('--no-peers'),
    sk = peers && hasSklearn();
  let base: Row | undefined;
  let big: Row | null = null;
  const ratios = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    if (rounds > 1) console.log(`round ${round + 1} of ${rounds}:`);
    const here = [
      merge(recur('recur FTRL', train, test, [...num, '--numeric-as', 'log'])),
      merge(recur('recur FTRL, all columns as tokens', train, test, [])),
      merge(recur('recur AdaGrad', train, test, ['--learner', 'adagrad', ...num, '--numeric-as', 'log'])),
      merge(recur(`recur FTRL -q ${PAIRS}`, train, test, [...num, ...Q_FLAGS, '--quadratic', PAIRS])),
    ].map((r) => [r.learner, r.rounds![r.rounds!.length - 1]!] as const);
    if (round === 0 && argv.includes('--big')) {
      const train10 = ensureData('train10x.csv', 10_000_000, 1);
      big = say(recur('recur FTRL, 10x file (10M rows)', train10, test, [...num, '--numeric-as', 'log']));
      rows.push(big);
    }
    if (sk) {
      console.log('scikit-learn (live):');
      base = merge(python('sklearn', train, test));
      const skNow = base.rounds![base.rounds!.length - 1]!;
      for (const [learner, v] of here) ratios.set(learner, [...(ratios.get(learner) ?? []), v / skNow]);
    }
  }
  for (const r of rows) if (ratios.has(r.learner)) r.vsSklearn = median(ratios.get(r.learner)!);
  if (peers) {
    if (!sk) {
      console.log(
        `scikit-learn is not installed for ${PY} (apt-get install python3-sklearn); using the anchor's numbers`,
      );
      const a = anchor('sklearn_sgd_default', 'scikit-learn FeatureHasher + SGDClassifier');
      if (a) {
        rows.push(a);
        base = a;
      }
    }
    if (argv.includes('--python-ftrl')) {
      console.log('pure-Python FTRL (live):');
      rows.push(say(python('ftrl', train, test)));
    } else {
      const a = anchor('ftrl_proximal', 'pure-Python FTRL-Proximal');
      if (a) rows.push(a);
    }
  }
  console.log('\n' + table(rows, base));
  console.log(
    '\nVowpal Wabbit: not installable on this machine (no Debian package, npm @vowpalwabbit/vowpalwabbit answers 404,',
  );
  console.log(`PyPI unreachable); see ${rel(ANCHOR)}. Python csv.reader alone (parse floor, anchor): 439,487 rows/s.`);
  if (big) {
    const small = rows[0]!;
    console.log(
      `Memory vs file size: peak RSS ${small.peakRssMiB.toFixed(0)} MiB on 1M rows, ` +
        `${big.peakRssMiB.toFixed(0)} MiB on 10M rows ` +
        `(${((big.peakRssMiB / small.peakRssMiB - 1) * 100).toFixed(1)}%).`,
    );
  }
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ suite: 'hash', rows }, null, 1));
  return 0;
}
