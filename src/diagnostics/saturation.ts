/**
 * Saturation of hidden units, read off the forward cache: where a tanh sits at |v| > 0.99 its
 * derivative is below 0.02 and the gradient through it all but stops; a sigmoid gate near 0 or
 * 1 is switched (an LSTM forget gate near 1 is memory, near 0 forgetting). Also the hidden-state
 * norm over time, which shows a state dying out (-> 0) or blowing up.
 *
 * Shapes: HS [T+1,B,H], XP [T,B,G*H] activated gates (RNN, IndRNN: h; LSTM: i,f,g,o; GRU: r,z,n);
 * which block is a sigmoid, a tanh or the cell's nonlinearity comes from the cell's spec.
 * Fractions are over all T*B*H values of a unit group; padded rows (t >= length) count too.
 */
import type { RecurrentCore } from '../layers/core.js';
import { cellSpec } from '../layers/cells/index.js';

export interface GateSaturation {
  gate: string;
  /** Fraction of activations < 0.01 (sigmoid gates) or < -0.99 (tanh). */
  low: number;
  /** Fraction of activations > 0.99. */
  high: number;
  mean: number;
}

export interface Saturation {
  /** Fraction of tanh units with |v| > 0.99 (RNN tanh: h; LSTM: g; GRU: n); null when there is no tanh. */
  tanh: number | null;
  /** ReLU RNN: fraction of units at exactly 0 (dead for this input); null otherwise. */
  reluZero: number | null;
  /** Per gate (sigmoid gates and tanh candidates of gated cells; the RNN's h). */
  gates: GateSaturation[];
  /** [T] mean over the batch of ||h_t||_2. */
  hNorm: number[];
}

/** What each gate block goes through, from the cell's spec ('cell' blocks: the core's nonlinearity). */
function blockActs(core: RecurrentCore): string[] {
  return cellSpec(core.cell).gateActs.map((a) => (a === 'cell' ? (core.act ?? 'identity') : a));
}

export function saturation(core: RecurrentCore): Saturation {
  const { T, B, H, G, HS, XP } = core.cache();
  const acts = blockActs(core);
  const names = cellSpec(core.cell).gates;
  const N = T * B * H;
  const gates: GateSaturation[] = [];
  let tanhSat = 0,
    tanhN = 0;
  for (let g = 0; g < G; g++) {
    const isTanh = acts[g] === 'tanh';
    const lowAt = isTanh ? -0.99 : 0.01;
    let low = 0,
      high = 0,
      sum = 0;
    for (let r = 0; r < T * B; r++) {
      const off = r * G * H + g * H;
      for (let j = 0; j < H; j++) {
        const v = XP[off + j]!;
        sum += v;
        if (v < lowAt) low++;
        else if (v > 0.99) high++;
      }
    }
    gates.push({ gate: names[g]!, low: low / N, high: high / N, mean: sum / N });
    if (isTanh) {
      tanhSat += low + high;
      tanhN += N;
    }
  }
  let reluZero: number | null = null;
  if (core.act === 'relu') {
    let z = 0;
    for (let i = B * H; i < (T + 1) * B * H; i++) if (HS[i] === 0) z++;
    reluZero = z / N;
  }
  const hNorm = new Array<number>(T).fill(0);
  for (let t = 0; t < T; t++) {
    let s = 0;
    for (let b = 0; b < B; b++) {
      let q = 0;
      const off = ((t + 1) * B + b) * H;
      for (let j = 0; j < H; j++) q += HS[off + j]! ** 2;
      s += Math.sqrt(q);
    }
    hNorm[t] = s / B;
  }
  return { tanh: tanhN ? tanhSat / tanhN : null, reluZero, gates, hNorm };
}
