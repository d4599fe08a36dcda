/**
 * `recur eval RUN_DIR|CHECKPOINT`: evaluate a trained model on fresh sequences of its task.
 * `recur eval MODEL DATA`: a model saved by `recur fit`, on a data file (predict.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readInput } from '../node/files.js';
import { RunDir } from '../node/rundir.js';
import type { Command, FlagSpec } from './args.js';
import { UsageError, InputError, changedFlags } from './args.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import type { TaskConfig } from '../tasks/synthetic.js';
import { taskFor } from './train.js';
import { evaluateTask } from '../train/evaluate.js';
import { SafetensorsError, decodeSafetensors } from '../safetensors.js';
import { isModelFile } from '../train/model_file.js';
import { DATA_FLAGS } from './fit.js';
import { evalModelFile } from './predict.js';

/** Flags of a task run (RUN_DIR|CHECKPOINT); DATA_FLAGS belong to MODEL DATA. */
const TASK_FLAGS: Record<string, FlagSpec> = {
  n: { type: 'int', default: 10000, min: 1, max: 1e7, help: 'task run: fresh sequences' },
  seed: { type: 'int', default: 424242, help: 'task run: seed of the evaluation sequences' },
  T: { type: 'int', min: 2, max: 100000, help: 'task run: evaluate at another sequence length than trained' },
};

export const command: Command = {
  name: 'eval',
  summary: 'evaluate a trained model on fresh sequences of its task',
  positionals: 'RUN_DIR|CHECKPOINT | MODEL DATA',
  flags: {
    ...TASK_FLAGS,
    ...DATA_FLAGS,
    backend: { type: 'string', choices: ['ts', 'wasm'], help: 'kernel backend' },
  },
  details:
    'A task run: recur eval runs/lstm-adding --n 10000\n' +
    'A model from recur fit, on a data file (columns as at fit time): recur eval model.safetensors test.csv',
  async run(o, pos, io) {
    // Each form takes its own flags: one the other form takes would do nothing here.
    const foreign = changedFlags(o, pos.length === 2 ? TASK_FLAGS : DATA_FLAGS)[0];
    if (pos.length === 2) {
      if (foreign) throw new UsageError(`--${foreign} applies to a task run (recur eval RUN_DIR), not to MODEL DATA`);
      return evalModelFile(pos[0]!, pos[1]!, o, io);
    }
    if (pos.length !== 1)
      throw new UsageError('give one run folder or checkpoint file, or a model file and a data file');
    if (foreign) throw new UsageError(`--${foreign} applies to recur eval MODEL DATA, not to a task run`);
    const isDir = existsSync(pos[0]!) && statSync(pos[0]!).isDirectory();
    const path = isDir ? join(pos[0]!, 'checkpoint.safetensors') : pos[0]!;
    const bytes = isDir ? RunDir.open(pos[0]!).readBytes('checkpoint.safetensors') : readInput(path);
    let ck;
    try {
      ck = loadCheckpoint(bytes);
    } catch (e) {
      if (e instanceof SafetensorsError) {
        if (/no "recur" metadata/.test(e.message) && isModelFile(decodeSafetensors(bytes).metadata))
          throw new UsageError(
            `${path} is a model from recur fit: give the data to evaluate on (recur eval MODEL DATA)`,
          );
        throw new InputError(`${path}: ${e.message}`);
      }
      throw e;
    }
    for (const note of ck.notes) io.err(`recur eval: note: ${path}: ${note}`);
    if (!ck.meta.task) throw new InputError(`${path}: the checkpoint names no task to evaluate on`);
    const taskCfg = { ...(ck.meta.task as unknown as TaskConfig), ...(o.T ? { T: o.T } : {}) };
    const ev = evaluateTask(taskFor(taskCfg), ck.model, { n: o.n, seed: o.seed });
    const res = {
      task: taskCfg.name,
      T: taskCfg.T,
      steps: ck.meta.step,
      loss: ev.loss,
      ...(ev.mse !== undefined ? { mse: ev.mse } : {}),
      error_rate: ev.errorRate,
      success_rate: 1 - ev.errorRate,
      success: ev.success,
      sequences: ev.sequences,
      baseline: ev.baseline,
    };
    io.out(
      o.json
        ? JSON.stringify(res)
        : `${taskCfg.name} T=${taskCfg.T}: loss ${ev.loss.toFixed(5)} (baseline ${ev.baseline.toFixed(4)}), ` +
            `${(ev.errorRate * 100).toFixed(2)}% wrong of ${ev.sequences} -> ${ev.success ? 'SOLVED' : 'not solved'}`,
    );
    return 0;
  },
};
