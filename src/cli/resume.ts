/** `recur resume RUN_DIR`: continue training bit-exactly from the run's checkpoint. */
import type { Command } from './args.js';
import { UsageError } from './args.js';
import { RunDir } from '../node/rundir.js';
import { hostBackend, resultJSON, resumeSession, runSession } from './training.js';

export const command: Command = {
  name: 'resume',
  summary: 'continue a training run from its checkpoint (bit-exact)',
  positionals: 'RUN_DIR',
  flags: {
    steps: { type: 'int', help: "new total number of steps (default: the run's own)" },
    backend: { type: 'string', help: 'kernel backend (ts, wasm), or webgpu: continue on the GPU' },
  },
  async run(o, pos, io) {
    if (pos.length !== 1) throw new UsageError('give exactly one run folder');
    const run = RunDir.open(pos[0]!);
    const s = resumeSession(run.readBytes('checkpoint.safetensors'), run, hostBackend(o.backend));
    if (o.steps !== undefined) s.settings.steps = o.steps;
    const out = await runSession(s, io, o.json, o.backend);
    const res = resultJSON(s, out);
    run.writeJSON('result.json', res);
    io.out(
      o.json
        ? JSON.stringify(res)
        : `resumed to step ${out.steps}: loss ${out.eval.loss.toFixed(5)}, ${(out.eval.errorRate * 100).toFixed(2)}% wrong -> ${out.eval.success ? 'SOLVED' : 'not solved'}`,
    );
    return 0;
  },
};
