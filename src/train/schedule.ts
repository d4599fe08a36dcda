/**
 * Learning-rate schedules as pure functions of the step (so resuming needs only the step).
 * constant | step (x gamma every `every` steps) | cosine (to minLr over `total` steps),
 * each optionally preceded by a linear warm-up from 0 over `warmup` steps.
 */
export type ScheduleSpec =
  | { type: 'constant'; warmup?: number }
  | { type: 'step'; every: number; gamma?: number; warmup?: number }
  | { type: 'cosine'; total: number; minLr?: number; warmup?: number };

export function lrAt(base: number, step: number, s: ScheduleSpec = { type: 'constant' }): number {
  const w = s.warmup ?? 0;
  if (w > 0 && step < w) return (base * (step + 1)) / w;
  const k = step - w;
  switch (s.type) {
    case 'constant':
      return base;
    case 'step':
      if (!(s.every > 0)) throw new RangeError(`step schedule: every must be > 0, got ${s.every}`);
      return base * (s.gamma ?? 0.1) ** Math.floor(k / s.every);
    case 'cosine': {
      const total = Math.max(1, s.total - w),
        min = s.minLr ?? 0;
      const p = Math.min(1, k / total);
      return min + 0.5 * (base - min) * (1 + Math.cos(Math.PI * p));
    }
    default:
      throw new RangeError(`unknown schedule '${(s as { type: string }).type}'; expected constant, step or cosine`);
  }
}
