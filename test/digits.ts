/**
 * scikit-learn's load_digits with the anchor's split, from fixtures/esn/digits.json (see
 * scripts/make_digits_fixture.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Digits {
  Xtr: Float64Array;
  ytr: number[];
  Xte: Float64Array;
  yte: number[];
}

/** Pixels scaled by 1/16 into [0, 1] (the anchor's ELM-A preprocessing). */
export function loadDigits(root: string): Digits {
  const d = JSON.parse(readFileSync(join(root, 'fixtures', 'esn', 'digits.json'), 'utf8')) as {
    train: { X: string[]; y: string };
    test: { X: string[]; y: string };
  };
  const dec = (rows: string[]) => Float64Array.from(rows.join(''), (c) => (c.charCodeAt(0) - 97) / 16);
  return { Xtr: dec(d.train.X), ytr: [...d.train.y].map(Number), Xte: dec(d.test.X), yte: [...d.test.y].map(Number) };
}
