/**
 * Hyperparameter search for closed-loop Mackey-Glass (84 free-running steps), as the anchor
 * did it: pick by NRMSE84 on a validation stretch inside the training part (train on
 * u[0..3000), validate closed loop in [3000, 4000)), never on the test part; then refit on
 * all 4000 training steps and report the test NRMSE84.
 *
 *   node dist/bench/esn_search.js [--units 1000] [--seeds 1] [--grid quick|fine|full|point] [--connectivity 0.01]
 *     [--ridges 1e-12,...,1e-7] [--orders 1] [--members 1]
 *
 * The ridge penalty is searched for free: X^T X is accumulated once per reservoir and solved
 * for every penalty. With several --seeds (each its own series and reservoir), a point scores
 * the median of its validation NRMSE84 over the seeds (the closed-loop error varies a lot from
 * seed to seed). --members K splits the units over an ensemble of K reservoirs whose outputs
 * are averaged (ESNEnsemble). Prints every point, then the best with its test NRMSE84 per seed,
 * as JSON lines.
 */
import { closedLoop, loadMackeyGlass, makeModel, accumulate, solveWith, type Hyper } from './esn_protocol.js';

function arg(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
}

const median = (a: number[]): number => {
  const s = a.map((v) => (Number.isNaN(v) ? Infinity : v)).sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)]!;
};

export async function search(argv: string[]): Promise<Hyper & { val84: number; test84: number[] }> {
  const units = Number(arg(argv, 'units', '1000')),
    grid = arg(argv, 'grid', 'quick');
  const seeds = arg(argv, 'seeds', arg(argv, 'seed', '1'))
    .split(',')
    .map(Number);
  const members = Number(arg(argv, 'members', '1'));
  const series = new Map(seeds.map((s) => [s, loadMackeyGlass(s)]));
  // quick: the first, coarse grid (16 reservoirs); fine: around its best point (sr 1.25, lr 0.6,
  // input scaling 0.5, bias 0.2); full: a wider coarse grid (72 reservoirs).
  const G = (
    {
      quick: { sr: [0.95, 1.25], lr: [0.6, 1], scale: [0.5, 1], bias: [0, 0.2] },
      fine: { sr: [1.1, 1.25, 1.4], lr: [0.45, 0.6, 0.8], scale: [0.3, 0.5], bias: [0.2] },
      full: { sr: [0.8, 0.95, 1.1, 1.25], lr: [0.3, 0.6, 1], scale: [0.2, 0.5, 1], bias: [0, 0.2] },
      // point: the quick grid's best reservoir at N = 500, only the ridge searched (for larger N).
      point: { sr: [1.25], lr: [0.6], scale: [0.5], bias: [0.2] },
    } as Record<string, { sr: number[]; lr: number[]; scale: number[]; bias: number[] }>
  )[grid];
  if (!G) throw new Error(`esn_search: --grid must be quick, fine or full, got '${grid}'`);
  const { sr: srs, lr: lrs, scale: scales, bias: biases } = G;
  const ridges = arg(argv, 'ridges', '1e-12,1e-11,1e-10,1e-9,1e-8,1e-7').split(',').map(Number);
  const orders = arg(argv, 'orders', '1').split(',').map(Number); // iterated-Tikhonov orders tried per ridge
  const connectivity = Number(arg(argv, 'connectivity', '0.01'));
  let best: (Hyper & { val84: number }) | null = null;
  for (const sr of srs)
    for (const lr of lrs)
      for (const inputScaling of scales)
        for (const bias of biases) {
          const h: Hyper = {
            units,
            sr,
            lr,
            inputScaling,
            connectivity,
            inputConnectivity: 1,
            bias,
            ridge: ridges[0]!,
            members,
          };
          const vals = new Map<string, number[]>();
          for (const seed of seeds) {
            const X = series.get(seed)!,
              esn = makeModel(h, seed);
            accumulate(esn, X, 3000);
            for (const ridge of ridges)
              for (const order of orders) {
                let v = NaN;
                try {
                  solveWith(esn, ridge, order);
                  v = closedLoop(esn, X, 3000, 4000).nrmse84;
                } catch {
                  /* not positive definite */
                }
                const key = `${ridge}/${order}`;
                vals.set(key, [...(vals.get(key) ?? []), v]);
              }
          }
          for (const ridge of ridges)
            for (const order of orders) {
              const per = vals.get(`${ridge}/${order}`)!,
                v = median(per);
              const point = { ...h, ridge, order, val84: v };
              console.log(JSON.stringify({ ...point, perSeed: per }));
              if (Number.isFinite(v) && (!best || v < best.val84)) best = point;
            }
        }
  if (!best) throw new Error('esn_search: no configuration gave a finite NRMSE84');
  // Refit on all 4000 training steps and test, once, with the chosen point.
  const test84 = seeds.map((seed) => {
    const X = series.get(seed)!,
      esn = makeModel(best!, seed);
    accumulate(esn, X);
    solveWith(esn, best!.ridge, best!.order ?? 1);
    return closedLoop(esn, X).nrmse84;
  });
  const out = { ...best, test84 };
  console.log(JSON.stringify({ best: out }));
  return out;
}

if (process.argv[1]?.endsWith('esn_search.js')) {
  search(process.argv.slice(2)).catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
