/**
 * `recur predict MODEL DATA`: predictions of a model saved by `recur fit` for every sequence of
 * a CSV or JSONL file (read with the columns the model was fitted with, unless flags say
 * otherwise), one JSON line per sequence on stdout or into --output. Forecasting models
 * forecast the steps after the end of each series, from its last `window` steps.
 *
 * Also `evalModelFile`, which `recur eval MODEL DATA` calls for a fitted model.
 */
import { readFileSync, statSync, existsSync } from 'node:fs';
import { type Command, type CommandIO, InputError, UsageError } from './args.js';
import { DATA_FLAGS, parseOptions, readData, reportBadRows, snake, toFitData } from './fit.js';
import { writeFileAtomic } from '../node/atomic.js';
import { RecurrentModel } from '../train/recurrent_model.js';
import { SafetensorsError } from '../safetensors.js';

/** Loads a model file; anything wrong with it is an InputError (exit 3). */
export function loadModel(path: string, backend?: string): RecurrentModel {
  if (!existsSync(path)) throw new InputError(`${path}: no such file`);
  if (statSync(path).isDirectory())
    throw new InputError(`${path}: is a directory, expected a model file from recur fit`);
  try {
    return RecurrentModel.fromBytes(new Uint8Array(readFileSync(path)), backend);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}

const stored = (m: RecurrentModel) => ((m.extra.data ?? {}) as Record<string, unknown>) ?? {};

export const command: Command = {
  name: 'predict',
  summary: 'predict with a model saved by recur fit, one JSON line per sequence',
  positionals: 'MODEL DATA',
  flags: {
    ...DATA_FLAGS,
    output: { type: 'string', help: 'write the predictions (JSON lines) to this file instead of stdout' },
    batch: { type: 'int', default: 256, help: 'sequences per forward pass' },
    backend: { type: 'string', choices: ['ts', 'wasm'], help: 'kernel backend' },
  },
  details:
    'Lines: classify {"id","label","p","probs"}; tag {"id","labels"}; regress {"id","y"};\n' +
    'forecast {"id","forecast": [[value per target] per step ahead]} after the end of each series.\n' +
    'Example:\n  recur predict names.safetensors new-names.csv --output predictions.jsonl',
  async run(o, pos, io) {
    if (pos.length !== 2) throw new UsageError('give the model file and the data file');
    if (!(o.batch >= 1)) throw new UsageError(`--batch must be >= 1, got ${o.batch}`);
    const m = loadModel(pos[0]!, o.backend);
    const po = { ...parseOptions(o, m.task, stored(m)), noTarget: true };
    const d = readData(pos[1]!, po);
    reportBadRows(d, pos[1]!, io);
    const lines: Record<string, unknown>[] = [];
    if (m.task === 'forecast') {
      const W = m.config.window!,
        H = m.config.horizon ?? 1;
      const ctx = d.series!.map((s) => s.slice(-W));
      const preds = m.predict(ctx, { batchSize: o.batch });
      const O = preds[0]!.length / H;
      preds.forEach((p, i) =>
        lines.push({
          id: d.ids[i],
          forecast: Array.from({ length: H }, (_, h) => Array.from(p.subarray(h * O, (h + 1) * O))),
        }),
      );
    } else {
      const x = d.x as never;
      if (m.task === 'classify') {
        const probs = m.predict(x, { batchSize: o.batch }),
          classes = m.classes!;
        probs.forEach((p, i) => {
          let best = 0;
          for (let c = 1; c < p.length; c++) if (p[c]! > p[best]!) best = c;
          lines.push({
            id: d.ids[i],
            label: classes[best],
            p: p[best],
            probs: Object.fromEntries(classes.map((c, k) => [String(c), p[k]])),
          });
        });
      } else if (m.task === 'tag') {
        const labels = m.predictLabels(x, { batchSize: o.batch }) as unknown[][];
        labels.forEach((l, i) => lines.push({ id: d.ids[i], labels: l }));
      } else {
        m.predict(x, { batchSize: o.batch }).forEach((p, i) => lines.push({ id: d.ids[i], y: Array.from(p) }));
      }
    }
    const text = lines.map((l) => JSON.stringify(l)).join('\n') + (lines.length ? '\n' : '');
    if (o.output) writeFileAtomic(o.output, text);
    if (o.json)
      io.out(
        JSON.stringify({
          task: m.task,
          n: lines.length,
          bad_rows: d.badRows,
          output: o.output ?? null,
          ...(m.classes ? { classes: m.classes } : {}),
          predictions: o.output ? undefined : lines,
        }),
      );
    else if (o.output) io.out(`${lines.length} predictions written to ${o.output}`);
    else for (const l of lines) io.out(JSON.stringify(l));
    return 0;
  },
};

/** `recur eval MODEL DATA` for a model from recur fit: metrics beside the simple baseline. */
export async function evalModelFile(
  modelPath: string,
  dataPath: string,
  o: Record<string, any>,
  io: CommandIO,
): Promise<number> {
  const m = loadModel(modelPath, o.backend);
  const d = readData(dataPath, parseOptions(o, m.task, stored(m)));
  reportBadRows(d, dataPath, io);
  const e = m.evaluate(toFitData(m.task, d));
  const res = {
    task: m.task,
    model: modelPath,
    data: dataPath,
    bad_rows: d.badRows,
    ...snake({ ...e, baseline: snake(e.baseline) }),
  };
  if (o.json) io.out(JSON.stringify(res));
  else if (e.accuracy !== undefined)
    io.out(
      `${m.task}: accuracy ${e.accuracy.toFixed(4)} on ${e.n} sequences${m.task === 'tag' ? ' (per step)' : ''}` +
        ` (majority class ${e.baseline.accuracy!.toFixed(4)}), loss ${e.loss.toFixed(4)}`,
    );
  else
    io.out(
      `${m.task}: rmse ${e.rmse!.toPrecision(4)}, mae ${e.mae!.toPrecision(4)} on ${e.n} ` +
        `${m.task === 'forecast' ? 'windows (last value' : 'sequences (training mean'}: ` +
        `rmse ${e.baseline.rmse!.toPrecision(4)})`,
    );
  return 0;
}
