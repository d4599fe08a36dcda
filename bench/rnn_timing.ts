/**
 * Step timing shared by the recur and TF.js rows: `warmup` untimed steps, then the median of
 * `steps` timed ones. When one warm-up step is slower than budgetS/13, the row drops to one
 * warm-up and as many timed steps as fit in the budget (at least 3), and says so in its
 * `warmup`/`steps` fields.
 */
export interface Timing {
  ms_per_step: number;
  steps: number;
  warmup: number;
  min_ms: number;
  max_ms: number;
}

/** How many more warm-ups and how many timed steps, given the first step's seconds. */
function plan(firstS: number, warmup: number, steps: number, budgetS: number): { more: number; n: number } {
  if (firstS > budgetS / 13) return { more: 0, n: Math.max(3, Math.min(steps, Math.floor(budgetS / firstS))) };
  return { more: Math.max(0, warmup - 1), n: steps };
}

function summary(ms: number[], warmup: number): Timing {
  ms.sort((a, b) => a - b);
  const mid = ms.length >> 1;
  const median = ms.length % 2 ? ms[mid]! : (ms[mid - 1]! + ms[mid]!) / 2;
  return { ms_per_step: median, steps: ms.length, warmup, min_ms: ms[0]!, max_ms: ms[ms.length - 1]! };
}

/** For steps that return promises (TF.js). */
export async function timeStepsAsync(
  step: () => Promise<unknown>,
  warmup: number,
  steps: number,
  budgetS: number,
): Promise<Timing> {
  let t0 = performance.now();
  await step();
  const { more, n } = plan((performance.now() - t0) / 1000, warmup, steps, budgetS);
  for (let i = 0; i < more; i++) await step();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    t0 = performance.now();
    await step();
    ms.push(performance.now() - t0);
  }
  return summary(ms, 1 + more);
}

/** For recur's synchronous steps (no promise per step in the timed loop). */
export function timeSteps(step: () => void, warmup: number, steps: number, budgetS: number): Timing {
  let t0 = performance.now();
  step();
  const { more, n } = plan((performance.now() - t0) / 1000, warmup, steps, budgetS);
  for (let i = 0; i < more; i++) step();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    t0 = performance.now();
    step();
    ms.push(performance.now() - t0);
  }
  return summary(ms, 1 + more);
}
