/**
 * Embedding (PyTorch nn.Embedding): y[n] = W[ids[n]].
 * Shapes: ids [...] integers in [0, V), W [V, E], y [..., E].
 * Cache: the ids. Backward: dW[ids[n]] += dy[n] (scatter-add; repeated ids accumulate).
 */
import { type Param, Params } from '../params.js';
import { Rng } from '../random.js';
import { normal } from '../init.js';
import { type DType, type FArray, type Tensor, ShapeError, alloc, numel } from '../tensor.js';

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  seed?: number;
  dtype?: DType;
  params?: Params;
  prefix?: string;
}

export class Embedding {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly params: Params;
  readonly weight: Param;
  private ids: Int32Array = new Int32Array(0);
  private y: FArray = new Float32Array(0);
  private shape: number[] = [];

  constructor(o: EmbeddingOptions) {
    if (
      !Number.isInteger(o?.numEmbeddings) ||
      o.numEmbeddings < 1 ||
      !Number.isInteger(o.embeddingDim) ||
      o.embeddingDim < 1
    ) {
      throw new RangeError(
        'Embedding: numEmbeddings and embeddingDim must be positive integers, ' +
          `got ${o?.numEmbeddings} and ${o?.embeddingDim}`,
      );
    }
    this.numEmbeddings = o.numEmbeddings;
    this.embeddingDim = o.embeddingDim;
    const own = !o.params;
    this.params = o.params ?? new Params(o.dtype ?? 'float32');
    this.weight = this.params.declare(`${o.prefix ?? ''}weight`, [o.numEmbeddings, o.embeddingDim], (a, r) =>
      normal(a, 0, 1, r),
    ); // PyTorch: N(0, 1)
    if (own) this.params.allocate(new Rng(o.seed ?? 0));
  }

  /** ids: integer token ids with the given shape (e.g. [T, B]). */
  forward(ids: ArrayLike<number>, shape: number[] = [ids.length]): Tensor<FArray> {
    const n = numel(shape),
      V = this.numEmbeddings,
      E = this.embeddingDim;
    if (ids.length !== n) throw new ShapeError(`Embedding.forward: shape [${shape}] needs ${n} ids, got ${ids.length}`);
    if (this.ids.length !== n) {
      this.ids = new Int32Array(n);
      this.y = alloc(this.params.dtype, n * E);
    }
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= V)
        throw new RangeError(`Embedding.forward: id ${id} at position ${i} is out of range [0, ${V})`);
      this.ids[i] = id;
      this.y.set(this.weight.data.subarray(id * E, (id + 1) * E), i * E);
    }
    this.shape = [...shape];
    return { shape: [...shape, E], data: this.y };
  }

  backward(dy: Tensor<FArray>): void {
    const E = this.embeddingDim,
      n = this.ids.length;
    if (!dy || dy.data.length !== n * E)
      throw new ShapeError(`Embedding.backward: expected dy of shape [${[...this.shape, E]}], got [${dy?.shape}]`);
    const g = this.weight.grad;
    for (let i = 0; i < n; i++) {
      const row = this.ids[i]! * E;
      for (let e = 0; e < E; e++) g[row + e] += dy.data[i * E + e]!;
    }
  }
}
