/**
 * `npm run bench -- hash --search`: how the quadratic pairs and hyper-parameters of the hash
 * suite's "-q" row were chosen, on a validation split of the TRAINING file only (test.csv is
 * never read here):
 *
 *   fit   = the first 900,000 rows of train.csv,  valid = its last 100,000 rows
 *   screen: every pair of the 26 categorical columns (325) added alone to the base model,
 *           trained on the first 300,000 fit rows, scored on valid (log-loss change vs base)
 *   greedy: the 16 best-screened pairs tried in that order on all of fit, each kept only when
 *           it lowers the valid log-loss
 *   grid:   alpha x l2 x numeric encoding for the kept pairs, on all of fit
 *   numeric pairs: every numeric x numeric and numeric x categorical pair (416) screened alone
 *           on top of the grid's best, then the best 8 greedily on all of fit
 *   drop:   every column left out alone (--ignore) on the screen rows, then the ones that
 *           helped left out greedily on all of fit while the valid log-loss drops
 *           (`--resume '{"pairs":...,"alpha":...,"l2":...,"numericAs":...}'` starts here)
 *
 * Base model: FTRL, 2^20 buckets, I1..I13 numeric, l1 0 (with pairs, L1 only removed signal on
 * valid), one pass. Prints one JSON line per run and the best as {"best": ...}. The splits are
 * written once next to the data (bench-data/ctr/search-*.csv, gitignored).
 */
import { closeSync, existsSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HashedLinearModel, type HasherOptions, type LearnerOptions, type NumericMode } from '../src/hashing/index.js';
import { trainStream, scoreStream } from '../src/node/hashstream.js';

const CATS = Array.from({ length: 26 }, (_, i) => `C${i + 1}`);
const NUMS = Array.from({ length: 13 }, (_, i) => `I${i + 1}`);

/**
 * Writes rows [from, to) of a CSV (after its header) to dst with the header; rows = lines here (no quoted
 * newlines).
 */
function slice(src: string, dst: string, from: number, to: number): void {
  if (existsSync(dst)) return;
  const fd = openSync(src, 'r'),
    out = openSync(dst + '.tmp', 'w');
  const buf = new Uint8Array(1 << 20);
  let line = -1; // -1 = header
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let start = 0;
      for (let i = 0; i < n; i++) {
        if (buf[i] !== 10) continue;
        const keep = line === -1 || (line >= from && line < to);
        if (keep) writeSync(out, buf, start, i + 1 - start);
        start = i + 1;
        line++;
      }
      if (start < n && (line === -1 || (line >= from && line < to))) writeSync(out, buf, start, n - start);
      if (line >= to) break;
    }
  } finally {
    closeSync(fd);
    closeSync(out);
  }
  renameSync(dst + '.tmp', dst);
}

interface Config {
  pairs: [string, string][];
  alpha: number;
  l2: number;
  numericAs: NumericMode;
  ignore?: string[];
}

async function score(fit: string, valid: string, c: Config): Promise<number> {
  const hasher: HasherOptions = {
    columns: [],
    label: 'label',
    numeric: NUMS,
    numericAs: c.numericAs,
    quadratic: c.pairs,
    bits: 20,
    ignore: c.ignore ?? [],
  };
  const learner: LearnerOptions = { kind: 'ftrl', alpha: c.alpha, beta: 1, l1: 0, l2: c.l2 };
  const st = await trainStream((columns) => new HashedLinearModel({ ...hasher, columns }, learner), fit);
  const v = await scoreStream(st.model, valid);
  return v.logLoss;
}

export async function search(dataDir: string, resume?: Config): Promise<Config & { valid: number }> {
  const train = join(dataDir, 'train.csv');
  const fit = join(dataDir, 'search-fit.csv'),
    screen = join(dataDir, 'search-screen.csv'),
    valid = join(dataDir, 'search-valid.csv');
  slice(train, fit, 0, 900_000);
  slice(train, screen, 0, 300_000);
  slice(train, valid, 900_000, 1_000_000);
  const log = (o: object) => console.log(JSON.stringify(o));
  let best = resume
    ? { ...resume, valid: await score(fit, valid, resume) }
    : await pairsAndGrid(fit, screen, valid, log);
  best = await numericPairs(fit, screen, valid, best, log);
  // Columns left out: a screen of each alone on the screen rows, then greedily on all of fit.
  const used = [...NUMS, ...CATS].filter((c) => !best.pairs.some((p) => p.includes(c)));
  const base1 = await score(screen, valid, best);
  const drops: { col: string; gain: number }[] = [];
  for (const col of used) {
    const v = await score(screen, valid, { ...best, ignore: [col] });
    drops.push({ col, gain: base1 - v });
    log({ stage: 'drop-screen', ignore: [col], valid: v, gain: base1 - v });
  }
  drops.sort((x, y) => y.gain - x.gain);
  let chosen = best;
  for (const { col, gain } of drops.slice(0, 8)) {
    if (gain <= 0) break;
    const c = { ...chosen, ignore: [...(chosen.ignore ?? []), col] };
    const v = await score(fit, valid, c);
    log({ stage: 'drop', ignore: c.ignore, valid: v, kept: v < chosen.valid });
    if (v < chosen.valid) chosen = { ...c, valid: v };
  }
  log({
    best: { ...chosen, pairs: chosen.pairs.map((p) => p.join(':')).join(','), ignore: (chosen.ignore ?? []).join(',') },
  });
  return chosen;
}

async function numericPairs(
  fit: string,
  screen: string,
  valid: string,
  start: Config & { valid: number },
  log: (o: object) => void,
): Promise<Config & { valid: number }> {
  const base0 = await score(screen, valid, start);
  const cands: [string, string][] = [];
  for (let a = 0; a < NUMS.length; a++) {
    for (let b = a + 1; b < NUMS.length; b++) cands.push([NUMS[a]!, NUMS[b]!]);
    for (const c of CATS) cands.push([NUMS[a]!, c]);
  }
  const screened: { pair: [string, string]; gain: number }[] = [];
  for (const pair of cands) {
    const v = await score(screen, valid, { ...start, pairs: [...start.pairs, pair] });
    screened.push({ pair, gain: base0 - v });
    log({ stage: 'numeric-screen', pairs: [pair.join(':')], valid: v, gain: base0 - v });
  }
  screened.sort((x, y) => y.gain - x.gain);
  let best = start;
  for (const { pair, gain } of screened.slice(0, 8)) {
    if (gain <= 0) break;
    const c = { ...best, pairs: [...best.pairs, pair] };
    const v = await score(fit, valid, c);
    log({ stage: 'numeric-greedy', pairs: c.pairs.map((p) => p.join(':')), valid: v, kept: v < best.valid });
    if (v < best.valid) best = { ...c, valid: v };
  }
  return best;
}

async function pairsAndGrid(
  fit: string,
  screen: string,
  valid: string,
  log: (o: object) => void,
): Promise<Config & { valid: number }> {
  const base: Config = { pairs: [], alpha: 0.1, l2: 1, numericAs: 'log' };
  const base0 = await score(screen, valid, base);
  log({ stage: 'screen', pairs: [], valid: base0 });
  const screened: { pair: [string, string]; gain: number }[] = [];
  for (let a = 0; a < CATS.length; a++)
    for (let b = a + 1; b < CATS.length; b++) {
      const pair: [string, string] = [CATS[a]!, CATS[b]!];
      const v = await score(screen, valid, { ...base, pairs: [pair] });
      screened.push({ pair, gain: base0 - v });
      log({ stage: 'screen', pairs: [pair.join(':')], valid: v, gain: base0 - v });
    }
  screened.sort((x, y) => y.gain - x.gain);
  let best = { ...base, valid: await score(fit, valid, base) };
  log({ stage: 'greedy', pairs: [], valid: best.valid });
  for (const { pair } of screened.slice(0, 16)) {
    const c = { ...best, pairs: [...best.pairs, pair] };
    const v = await score(fit, valid, c);
    log({ stage: 'greedy', pairs: c.pairs.map((p) => p.join(':')), valid: v, kept: v < best.valid });
    if (v < best.valid) best = { ...c, valid: v };
  }
  const pairs = best.pairs;
  for (const numericAs of ['log', 'bin'] as NumericMode[])
    for (const alpha of [0.05, 0.08, 0.1, 0.15])
      for (const l2 of [0, 1, 3]) {
        const c: Config = { pairs, alpha, l2, numericAs };
        const v = await score(fit, valid, c);
        log({ stage: 'grid', numericAs, alpha, l2, valid: v });
        if (v < best.valid) best = { ...c, valid: v };
      }
  log({ stage: 'grid-best', ...best, pairs: best.pairs.map((p) => p.join(':')).join(',') });
  return best;
}
