/**
 * Memory estimates checked before a command allocates: settings that would need more than
 * the limit are a usage error (exit code 2) that names the settings, instead of a process
 * that swaps, is killed, or runs for minutes before failing. The estimates count the large
 * arrays each command allocates (parameters, optimiser state, per-thread copies, caches of the
 * forward pass, Gram matrices, hash tables) and are meant to be within a factor of ~2.
 *
 * The limit is half of this machine's memory (or of the container's limit, when lower);
 * RECUR_MAX_MEMORY (bytes, or with a unit: 512M, 64G) sets another.
 */
import { totalmem } from 'node:os';
import { UsageError } from './errors.js';

export function memoryLimit(): number {
  const env = process.env.RECUR_MAX_MEMORY;
  if (env) {
    const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?[bB]?$/.exec(env.trim());
    if (!m) throw new UsageError(`RECUR_MAX_MEMORY must be a size such as 8G or 512M, got '${env}'`);
    const unit = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase()]!;
    return Number(m[1]) * unit;
  }
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.() ?? 0;
  const total = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
  return total / 2;
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(0)} MiB`;
  return `${Math.ceil(n / 2 ** 10)} KiB`;
}

/** Throws a UsageError when `bytes` exceeds the limit; `what` names the settings that cost it. */
export function checkMemory(bytes: number, what: string, advice: string): void {
  const limit = memoryLimit();
  if (!(bytes <= limit))
    throw new UsageError(
      `${what} would need about ${formatBytes(bytes)} of memory, more than the limit of ${formatBytes(limit)} ` +
        `(half of this machine's memory; RECUR_MAX_MEMORY sets another): ${advice}`,
    );
}

/** Parameters of a recurrent stack + linear head (PyTorch's layout): gates x hidden x (input + hidden + 2 biases). */
export function recurrentParams(
  cell: string,
  input: number,
  hidden: number,
  layers: number,
  output: number,
  directions = 1,
): number {
  const G = cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
  let n = 0;
  for (let l = 0; l < layers; l++)
    n += directions * G * hidden * ((l === 0 ? input : directions * hidden) + hidden + 2);
  return n + output * (directions * hidden + 1);
}

/**
 * Bytes for training a recurrent model: parameters, gradients and two optimiser moments,
 * plus per thread a copy of parameters and gradients and the forward caches of its share
 * of the batch (gates and states of every step of every layer, kept for BPTT), float32.
 */
export function trainingBytes(o: {
  cell: string;
  input: number;
  hidden: number;
  layers: number;
  output: number;
  T: number;
  batch: number;
  threads: number;
}): number {
  const P = recurrentParams(o.cell, o.input, o.hidden, o.layers, o.output);
  const G = o.cell === 'lstm' ? 4 : o.cell === 'gru' ? 3 : 1;
  const perStep = o.layers * o.hidden * (2 * G + 6) + o.input + 2 * o.output;
  const caches = o.T * o.batch * perStep; // split over threads, but every thread holds its share
  return 4 * (4 * P + o.threads * 2 * P + 2 * caches) + o.threads * 16 * 2 ** 20;
}
