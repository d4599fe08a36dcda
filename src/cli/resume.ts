/**
 * `recur resume RUN_DIR`: continue training bit-exactly from the run's checkpoint.
 *
 * `--steps N` is the new total. A resume that would do nothing (N not above the step the run
 * is at, a finished run, a spent time budget) is refused with a message (exit code 2) rather
 * than reported as "resumed". Under a cosine or step schedule planned for fewer steps than N,
 * the steps past the plan would train at lr 0 (cosine) or ever smaller: that needs a choice,
 * `--extend-schedule`, which stretches the schedule to end at N as if the run had been
 * planned for N steps from the start (so the lr at the resume point goes up again), and is
 * recorded in the run's settings and metrics.jsonl.
 */
import type { Command } from './args.js';
import { UsageError } from './args.js';
import { RunDir } from '../node/rundir.js';
import { lrAt, type ScheduleSpec } from '../train/schedule.js';
import { hostBackend, resultJSON, resumeSession, runSession } from './training.js';

/** The schedule `s` (planned for `planned` steps) stretched to end at `total` steps, as `recur train` plans one. */
export function stretchSchedule(s: ScheduleSpec, total: number): ScheduleSpec {
  if (s.type === 'cosine') return { ...s, total };
  if (s.type === 'step') return { ...s, every: Math.max(1, Math.floor(total / 3)) };
  return s;
}

export const command: Command = {
  name: 'resume',
  summary: 'continue a training run from its checkpoint (bit-exact)',
  positionals: 'RUN_DIR',
  flags: {
    steps: { type: 'int', min: 1, max: 1e9, help: "new total number of steps (default: the run's own)" },
    'extend-schedule': {
      type: 'boolean',
      default: false,
      help: 'stretch a cosine/step learning-rate schedule to end at the new --steps (else such a resume is refused)',
    },
    'max-seconds': {
      type: 'number',
      min: 0,
      help: "new total training-time budget in seconds, 0 = none (default: the run's own)",
    },
    backend: {
      type: 'string',
      choices: ['ts', 'wasm', 'webgpu'],
      help: 'kernel backend, or webgpu: continue on the GPU',
    },
  },
  details:
    'Examples:\n  recur resume runs/lstm-adding                      # finish the planned steps after a crash\n' +
    '  recur resume runs/lstm-adding --steps 8000         # train further (constant schedule)\n' +
    '  recur resume runs/cos --steps 8000 --extend-schedule  # a cosine/step schedule stretched to 8000',
  async run(o, pos, io) {
    if (pos.length !== 1) throw new UsageError('give exactly one run folder');
    const run = RunDir.open(pos[0]!);
    const s = resumeSession(run.readBytes('checkpoint.safetensors'), run, hostBackend(o.backend), (n) =>
      io.err(`recur resume: note: ${run.file('checkpoint.safetensors')}: ${n}`),
    );
    const done = s.trainer.step,
      planned = s.settings.steps,
      target = o.steps ?? planned;
    if (target <= done)
      throw new UsageError(
        o.steps !== undefined
          ? `the run is already at step ${done}; --steps is the new total, so it must be above ${done}`
          : `the run has done all ${planned} of its steps; give --steps N (a new total above ${done}) to train further`,
      );
    if (o.maxSeconds !== undefined) s.settings.maxSeconds = o.maxSeconds || undefined;
    else if (s.settings.maxSeconds && s.seconds >= s.settings.maxSeconds)
      throw new UsageError(
        `the run has used its time budget (${s.settings.maxSeconds} s of training); give --max-seconds N (a ` +
          `new total, 0 = none) to continue`,
      );
    const sched = s.settings.trainer.schedule;
    if (sched && sched.type !== 'constant' && target > planned) {
      const base = s.optSpec.lr,
        stretched = stretchSchedule(sched, target);
      if (!o.extendSchedule)
        throw new UsageError(
          `the run's ${sched.type} learning-rate schedule was planned for ${planned} steps; past step ${planned} ` +
            (sched.type === 'cosine'
              ? 'it would train at lr 0. '
              : `the lr keeps falling (${lrAt(base, planned, sched).toExponential(1)}, x${sched.gamma ?? 0.1} ` +
                `every ${sched.every} steps). `) +
            `Add --extend-schedule to stretch it to end at ${target} (the lr at step ${done} becomes ` +
            `${lrAt(base, done, stretched).toExponential(2)}), or resume with --steps ${planned}.`,
        );
      s.settings.trainer.schedule = stretched; // the Trainer reads the same object
      run.log({ kind: 'schedule', step: done, from: sched, to: stretched });
      if (!o.json) io.err(`recur resume: ${sched.type} schedule stretched from ${planned} to ${target} steps`);
    }
    s.settings.steps = target;
    const out = await runSession(s, io, o.json, o.backend);
    const res = resultJSON(s, out);
    run.writeJSON('result.json', res);
    io.out(
      o.json
        ? JSON.stringify(res)
        : `resumed from step ${done} to step ${out.steps}: loss ${out.eval.loss.toFixed(5)}, ` +
            `${(out.eval.errorRate * 100).toFixed(2)}% wrong -> ${out.eval.success ? 'SOLVED' : 'not solved'}` +
            `${out.skippedSteps ? ` (${out.skippedSteps} steps skipped in all: non-finite gradient or update)` : ''}`,
    );
    return 0;
  },
};
