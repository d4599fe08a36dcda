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
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DATA = join(ROOT, 'bench-data', 'ctr');
const MAKE = join(ROOT, '..', 'shared', 'tools', 'make_ctr.py');
const ANCHOR = join(ROOT, '..', 'shared', 'anchors', 'ctr.md');
const PY = '/usr/bin/python3';
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
    rowsPerSec: r.rowsPerSec,
    rowsPerCpuSec: r.rowsPerCpuSec,
    testLogLoss: r.test.logLoss,
    testAuc: r.test.auc,
    peakRssMiB: r.peakRssMiB,
    progressiveLoss: r.progressiveLoss,
    seconds: r.seconds,
    command: `recur hash train ${rel(train)} --test ${rel(test)} ${flags.join(' ')}`,
  };
}

function rel(p: string): string {
  return p.startsWith(ROOT + '/') ? p.slice(ROOT.length + 1) : p;
}

function hasSklearn(): boolean {
  try {
    execFileSync(PY, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function python(which: 'sklearn' | 'ftrl', train: string, test: string): Row {
  const script = join(ROOT, 'bench', 'peers', 'ctr_python.py');
  const r = JSON.parse(
    execFileSync(PY, [script, which, train, test], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } }),
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
  ];
  const body = rows.map((r) => [
    r.learner,
    r.source,
    Math.round(r.rowsPerSec).toLocaleString('en-US'),
    base ? (r.rowsPerSec / base.rowsPerSec).toFixed(1) + 'x' : '-',
    r.rowsPerCpuSec ? Math.round(r.rowsPerCpuSec).toLocaleString('en-US') : '-',
    base?.rowsPerCpuSec && r.rowsPerCpuSec ? (r.rowsPerCpuSec / base.rowsPerCpuSec).toFixed(1) + 'x' : '-',
    r.testLogLoss.toFixed(4),
    r.testAuc.toFixed(4),
    r.peakRssMiB.toFixed(0),
    r.progressiveLoss.toFixed(4),
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
      'Usage: npm run bench -- hash [--big] [--python-ftrl] [--no-peers] [--json FILE] | --search\n\n' +
        'Trains recur on the synthetic CTR data (1M rows, 2^20 buckets, one pass) beside scikit-learn (live when\n' +
        'installed) and the anchor numbers; --big adds a 10M-row file to show constant memory.\n' +
        '--search: the validation search (on train.csv only) that chose the -q pairs and hyper-parameters.',
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
  const rows: Row[] = [];
  const num = ['--numeric', 'I1..I13'];
  const say = (r: Row) => {
    console.log(
      `  ${r.learner}: ${Math.round(r.rowsPerSec)} rows/s, test log-loss ${r.testLogLoss.toFixed(4)}, AUC ${r.testAuc.toFixed(4)}, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`,
    );
    return r;
  };
  console.log(
    `recur (this checkout), ${rel(train)} -> ${rel(test)}; machine load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${cpus().length} cores:`,
  );
  rows.push(say(recur('recur FTRL', train, test, [...num, '--numeric-as', 'log'])));
  rows.push(say(recur('recur FTRL, all columns as tokens', train, test, [])));
  rows.push(say(recur('recur AdaGrad', train, test, ['--learner', 'adagrad', ...num, '--numeric-as', 'log'])));
  rows.push(say(recur(`recur FTRL -q ${PAIRS}`, train, test, [...num, ...Q_FLAGS, '--quadratic', PAIRS])));
  let big: Row | null = null;
  if (argv.includes('--big')) {
    const train10 = ensureData('train10x.csv', 10_000_000, 1);
    big = say(recur('recur FTRL, 10x file (10M rows)', train10, test, [...num, '--numeric-as', 'log']));
    rows.push(big);
  }
  let base: Row | undefined;
  if (!argv.includes('--no-peers')) {
    if (hasSklearn()) {
      console.log('scikit-learn (live):');
      base = say(python('sklearn', train, test));
      rows.push(base);
    } else {
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
      `Memory vs file size: peak RSS ${small.peakRssMiB.toFixed(0)} MiB on 1M rows, ${big.peakRssMiB.toFixed(0)} MiB on 10M rows (${((big.peakRssMiB / small.peakRssMiB - 1) * 100).toFixed(1)}%).`,
    );
  }
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ suite: 'hash', rows }, null, 1));
  return 0;
}
