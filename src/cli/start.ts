/**
 * `recur start` (npm start): the lecture's experiment, sized to make its point in about three
 * minutes on 2 cores: the five models on adding and temporal order at the lengths and step
 * budgets below, chosen by measurement over 8 seeds (bench/start_sweep.ts; README "The main
 * experiment") so that each of the lecture's claims holds on at least 7 of 8 seeds. Budgets are
 * in steps, so the same seed prints the same table on any machine.
 */
import { type Command, UsageError } from './args.js';
import { EXPERIMENT_FLAGS, type LecturePart, lectureCommand } from './experiment.js';

/** The lengths and budgets (steps, the same for every model on a task) measured by bench/start_sweep.ts. */
export const START_PARTS: LecturePart[] = [
  { task: 'adding', T: 30, steps: 3000 },
  { task: 'order', T: 30, steps: 1000 },
];

const { T: _T, steps: _steps, tasks: _tasks, 'max-seconds': _max, budget: _budget, ...flags } = EXPERIMENT_FLAGS;

export const command: Command = {
  name: 'start',
  summary: 'run the main experiment (lecture: vanishing gradients and their cures), about 1.5 minutes on 2 cores',
  flags: {
    ...flags,
    T: { type: 'int', help: `sequence length of both tasks (default: ${START_PARTS.map(show).join(', ')})` },
    steps: { type: 'int', help: 'step budget of every run (default: as above)' },
    out: { type: 'string', default: 'runs/start', help: 'run folder' },
  },
  details:
    'The lecture experiment (`recur experiment lecture`) at the lengths and step budgets where its contrast\n' +
    'shows on 7 of 8 seeds; see docs/experiments.md, "The main experiment". Writes report.html in the run folder.',
  async run(o, pos, io) {
    if (pos.length) throw new UsageError(`unexpected argument '${pos[0]}'`);
    const parts = START_PARTS.map((p) => ({ ...p, T: o.T ?? p.T, steps: o.steps ?? p.steps }));
    return lectureCommand(o, io, parts, 'recur start: the lecture experiment');
  },
};

function show(p: LecturePart): string {
  return `${p.task} T=${p.T} for ${p.steps} steps`;
}
