/**
 * The cell registry (DESIGN.md, decision 9): every recurrent cell's spec by name. The stack,
 * models, CLI choices, diagnostics and the GPU path read it; adding a cell is its file here,
 * one line below, its kernels and its tests.
 */
import { gruSpec } from './gru.js';
import { indrnnSpec } from './indrnn.js';
import { lstmSpec } from './lstm.js';
import { rnnSpec } from './rnn.js';
import type { CellSpec } from './spec.js';

export const CELLS: Readonly<Record<string, CellSpec>> = Object.freeze({
  rnn: rnnSpec,
  lstm: lstmSpec,
  gru: gruSpec,
  indrnn: indrnnSpec,
});

/** Registered cell names, in registry order. */
export const CELL_NAMES: readonly string[] = Object.freeze(Object.keys(CELLS));

export type CellType = 'rnn' | 'lstm' | 'gru' | 'indrnn';

/** The spec of a cell by name; a RangeError listing the registered names otherwise. */
export function cellSpec(name: string): CellSpec {
  const s = Object.hasOwn(CELLS, name) ? CELLS[name] : undefined;
  if (!s) throw new RangeError(`unknown cell '${String(name)}'; expected one of ${CELL_NAMES.join(', ')}`);
  return s;
}

export type { CellOptions, CellSpec, GateAct, RefStep, RefWeights, StepJacobian } from './spec.js';
export { RNNCore } from './rnn.js';
export { LSTMCore } from './lstm.js';
export { GRUCore } from './gru.js';
export { IndRNNCore } from './indrnn.js';
