/**
 * Step timing shared by the recur and TF.js rows: `warmup` untimed steps, then the median of
 * `steps` timed ones. When one warm-up step is slower than budgetS/13, the row drops to one
 * warm-up and as many timed steps as fit in the budget (at least 3), and says so in its
 * `warmup`/`steps` fields.
 */
export interface Timing {
  ms_per_step: number;
  /** Median CPU time of this process per timed step (user + system): on a busy machine the
   * wall time of a one-thread row includes waiting for a core, its CPU time does not. */
  cpu_ms_per_step: number;
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

const med = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y),
    mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

function summary(ms: number[], cpu: number[], warmup: number): Timing {
  return {
    ms_per_step: med(ms),
    cpu_ms_per_step: med(cpu),
    steps: ms.length,
    warmup,
    min_ms: Math.min(...ms),
    max_ms: Math.max(...ms),
  };
}

const cpuMs = (c: NodeJS.CpuUsage): number => (c.user + c.system) / 1000;

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
  const ms: number[] = [],
    cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    t0 = performance.now();
    const c0 = process.cpuUsage();
    await step();
    ms.push(performance.now() - t0);
    cpu.push(cpuMs(process.cpuUsage(c0)));
  }
  return summary(ms, cpu, 1 + more);
}

/** For recur's synchronous steps (no promise per step in the timed loop). */
export function timeSteps(step: () => void, warmup: number, steps: number, budgetS: number): Timing {
  let t0 = performance.now();
  step();
  const { more, n } = plan((performance.now() - t0) / 1000, warmup, steps, budgetS);
  for (let i = 0; i < more; i++) step();
  const ms: number[] = [],
    cpu: number[] = [];
  for (let i = 0; i < n; i++) {
    t0 = performance.now();
    const c0 = process.cpuUsage();
    step();
    ms.push(performance.now() - t0);
    cpu.push(cpuMs(process.cpuUsage(c0)));
  }
  return summary(ms, cpu, 1 + more);
}
