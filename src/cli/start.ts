/**
 * `recur start` (npm start): the lecture's experiment on its embedded default, sized to
 * finish in a few minutes on 2 cores: adding and temporal order at T=100, the five models
 * side by side, each with a fixed training-time budget.
 */
import type { Command } from './args.js';
import { EXPERIMENT_FLAGS, lecture, table } from './experiment.js';

export const command: Command = {
  name: 'start',
  summary: 'run the main experiment (lecture: vanishing gradients and their cures) on its embedded default',
  flags: {
    ...EXPERIMENT_FLAGS,
    budget: { ...EXPERIMENT_FLAGS.budget, default: 45 },
    out: { type: 'string', default: 'runs/start', help: 'run folder' },
  },
  details: 'The same as `recur experiment lecture` with a smaller time budget; see README "The main experiment".',
  async run(o, _pos, io) {
    const { rows, dir } = await lecture(o, io);
    if (o.json) {
      io.out(JSON.stringify({ experiment: 'lecture', run: dir, rows }));
      return 0;
    }
    io.out(table(rows));
    io.out(`\nresults.json and one run folder per model in ${dir}; 'recur report ${dir}/*' draws them side by side.`);
    return rows.some((r) => r.error) ? 1 : 0;
  },
};
