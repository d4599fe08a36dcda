/**
 * TensorFlow.js peer (tfjs-layers on @tensorflow/tfjs-backend-wasm), one row per process:
 * `node dist/bench/tfjs_row.js '{"config":"C1","cell":"lstm","warmup":3,"steps":10,"budgetS":20}'`
 * prints one JSON line {ms_per_step, steps, warmup, peak_rss_mb, threads, tfjs}.
 * One step = model.trainOnBatch (forward + loss + BPTT + SGD 0.01); C4 = predict + dataSync.
 * As in ../shared/anchors/tfjs.md: recurrentActivation sigmoid (tfjs defaults to hardSigmoid),
 * recurrentInitializer glorotUniform, GRU is tfjs's reset-before variant, and C2 feeds one-hot
 * ids through a bias-free Dense(65->64) because tf.layers.embedding cannot train on wasm.
 * tfjs is a devDependency only; it is imported by name at run time so the package never needs it.
 */
import { CONFIGS } from './rnn_configs.js';
import { timeStepsAsync } from './rnn_timing.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const spec = JSON.parse(process.argv[2] ?? '{}') as {
  config: string;
  cell: string;
  warmup: number;
  steps: number;
  budgetS: number;
};
const c = CONFIGS.find((x) => x.id === spec.config);
if (!c) throw new Error(`unknown config ${spec.config}`);
const name = (m: string) => m; // keeps tsc from resolving optional modules
const tf: Any = await import(name('@tensorflow/tfjs'));
await import(name('@tensorflow/tfjs-backend-wasm'));
const log = console.warn;
console.warn = () => {}; // tfjs suggests tfjs-node on stderr
await tf.setBackend('wasm');
await tf.ready();
console.warn = log;

const { B, T } = c;
const rnnLayer = (units: number, returnSequences: boolean, inputShape?: number[]) => {
  const o: Any = {
    units,
    returnSequences,
    recurrentInitializer: 'glorotUniform',
    ...(inputShape ? { inputShape } : {}),
  };
  if (spec.cell === 'rnn') return tf.layers.simpleRNN({ ...o, activation: 'tanh' });
  return spec.cell === 'lstm'
    ? tf.layers.lstm({ ...o, recurrentActivation: 'sigmoid' })
    : tf.layers.gru({ ...o, recurrentActivation: 'sigmoid' });
};
let step: () => Promise<unknown>;
if (c.head === 'none') {
  const m = tf.sequential();
  m.add(rnnLayer(c.hidden, true, [T, c.input]));
  const x = tf.randomNormal([B, T, c.input], 0, 1, 'float32', 1);
  step = async () => {
    const y = m.predict(x);
    y.dataSync();
    y.dispose();
  };
} else {
  const m = tf.sequential();
  let x: Any, y: Any;
  if (c.vocab) {
    m.add(tf.layers.dense({ units: c.input, useBias: false, inputShape: [T, c.vocab] }));
    m.add(rnnLayer(c.hidden, true));
    m.add(tf.layers.dense({ units: c.out, activation: 'softmax' }));
    x = tf.oneHot(tf.randomUniform([B, T], 0, c.vocab, 'int32', 1), c.vocab).toFloat();
    y = tf.oneHot(tf.randomUniform([B, T], 0, c.vocab, 'int32', 2), c.vocab).toFloat();
    m.compile({ optimizer: tf.train.sgd(0.01), loss: 'categoricalCrossentropy' });
  } else {
    m.add(rnnLayer(c.hidden, c.head === 'every', [T, c.input]));
    m.add(tf.layers.dense({ units: c.out }));
    x = tf.randomNormal([B, T, c.input], 0, 1, 'float32', 1);
    y = tf.randomNormal(c.head === 'every' ? [B, T, c.out] : [B, c.out], 0, 1, 'float32', 2);
    m.compile({ optimizer: tf.train.sgd(0.01), loss: 'meanSquaredError' });
  }
  step = () => m.trainOnBatch(x, y);
}
const r = await timeStepsAsync(step, spec.warmup, spec.steps, spec.budgetS);
console.log(
  JSON.stringify({
    ...r,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    threads: tf.backend().numThreads?.() ?? 1,
    tfjs: tf.version.tfjs,
  }),
);
