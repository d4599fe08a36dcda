/**
 * The benchmark configurations C1-C4 of DESIGN.md, the same for every peer, and one
 * training step of recur on each: zero grads + forward over the whole sequence + loss +
 * full BPTT + SGD(lr 0.01). C4 is inference: forward only over one long sequence.
 *
 * | id | cell(s)       | input                  | hidden | B  | T    | head + loss                        |
 * | C1 | rnn lstm gru indrnn | dense 2                | 128    | 32 | 100  | Linear(H->1) on last step, MSE     |
 * | C2 | lstm gru      | tokens 65, Embed(->64) | 256    | 32 | 64   | Linear(H->65) every step, CE       |
 * | C3 | lstm          | dense 128              | 512    | 64 | 50   | Linear(H->128) every step, MSE     |
 * | C4 | lstm (infer)  | dense 32               | 256    | 1  | 1000 | forward only; us per time step     |
 */
import { LSTM } from '../src/layers/stack.js';
import { type Batch, SequenceModel } from '../src/layers/model.js';
import type { CellType } from '../src/layers/stack.js';
import { SGD } from '../src/train/optim.js';
import { Rng } from '../src/random.js';
import { dataParallel } from '../src/node/parallel.js';
import { useKernelThreads } from '../src/node/kernel_threads.js';

export type ConfigId = 'C1' | 'C2' | 'C3' | 'C4';

export interface Config {
  id: ConfigId;
  cells: CellType[];
  input: number; // dense features, or the embedding width for tokens
  vocab?: number;
  hidden: number;
  B: number;
  T: number;
  out: number;
  head: 'last' | 'every' | 'none';
}

export const CONFIGS: Config[] = [
  { id: 'C1', cells: ['rnn', 'lstm', 'gru', 'indrnn'], input: 2, hidden: 128, B: 32, T: 100, out: 1, head: 'last' },
  { id: 'C2', cells: ['lstm', 'gru'], input: 64, vocab: 65, hidden: 256, B: 32, T: 64, out: 65, head: 'every' },
  { id: 'C3', cells: ['lstm'], input: 128, hidden: 512, B: 64, T: 50, out: 128, head: 'every' },
  { id: 'C4', cells: ['lstm'], input: 32, hidden: 256, B: 1, T: 1000, out: 0, head: 'none' },
];

/**
 * How a row uses more than one thread: 'batch' splits the training batch over worker threads
 * (recur/parallel, data-parallel); 'kernels' keeps one model and splits its kernels over helper
 * threads (src/node/kernel_threads.ts: large products by blocks of C, the LSTM's time loop by
 * hidden units). C4 (inference, batch 1) always uses 'kernels'.
 */
export type Split = 'batch' | 'kernels';

/**
 * A function that runs one step (training, or forward only for C4; with `stream`, C4 runs the
 * sequence through `step()` one time step per call). With threads > 1 the work is split as
 * `split` says.
 */
export async function recurStep(
  c: Config,
  cell: CellType,
  backend: string,
  threads = 1,
  split: Split = 'batch',
  stream = false,
): Promise<{ step: () => void; close: () => Promise<void> }> {
  const rng = new Rng(1234);
  const { B, T } = c;
  const kernels = threads > 1 && (split === 'kernels' || c.head === 'none') ? await useKernelThreads(threads) : null;
  if (c.head === 'none') {
    const m = new LSTM({ inputSize: c.input, hiddenSize: c.hidden, backend, seed: 1 });
    const x = { shape: [T, B, c.input], data: Float32Array.from({ length: T * B * c.input }, () => rng.normal()) };
    const rows = Array.from({ length: T }, (_, t) => ({
      shape: [B, c.input],
      data: x.data.subarray(t * B * c.input, (t + 1) * B * c.input),
    }));
    return {
      step: stream
        ? () => {
            // streaming inference: the same sequence one time step per call
            let s = m.step(rows[0]!);
            for (let t = 1; t < T; t++) s = m.step(rows[t]!, s);
          }
        : () => {
            m.forward(x);
          },
      close: async () => {
        await kernels?.close();
      },
    };
  }
  const model = new SequenceModel(
    {
      cell,
      hiddenSize: c.hidden,
      outputSize: c.out,
      head: c.head,
      loss: c.vocab ? 'xent' : 'mse',
      seed: 1,
      ...(c.vocab ? { vocabSize: c.vocab, embedDim: c.input } : { inputSize: c.input }),
    },
    backend,
  );
  const opt = new SGD(model.params, { lr: 0.01 });
  const batch: Batch = c.vocab
    ? {
        T,
        B,
        ids: Int32Array.from({ length: T * B }, () => rng.int(c.vocab!)),
        y: Int32Array.from({ length: T * B }, () => rng.int(c.vocab!)),
      }
    : {
        T,
        B,
        x: Float32Array.from({ length: T * B * c.input }, () => rng.normal()),
        y: Float32Array.from({ length: (c.head === 'last' ? 1 : T) * B * c.out }, () => rng.normal()),
      };
  // threads = 1 or kernel threads: the model itself, no data-parallel workers
  const grads = await dataParallel(model, { threads: kernels ? 1 : threads });
  return {
    step: () => {
      grads.lossAndGrad(batch); // sets params.grad (zeroes it first)
      opt.step();
    },
    close: async () => {
      await grads.close();
      await kernels?.close();
    },
  };
}
