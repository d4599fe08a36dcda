/**
 * Hyperparameter search for closed-loop Mackey-Glass (84 free-running steps), as the anchor
 * did it: pick by NRMSE84 on a validation stretch inside the training part (train on
 * u[0..3000), validate closed loop in [3000, 4000)), never on the test part; then refit on
 * all 4000 training steps and report the test NRMSE84.
 *
 *   node dist/bench/esn_search.js [--units 1000] [--seed 1] [--grid quick|fine|full|point] [--connectivity 0.01]
 *     [--ridges 1e-12,...,1e-7] [--orders 1]
 *
 * The ridge penalty is searched for free: X^T X is accumulated once per reservoir and solved
 * for every penalty. Prints every point, then the best, as JSON lines.
 */
import { closedLoop, loadMackeyGlass, makeEsn, accumulate, type Hyper } from './esn_protocol.js';

function arg(argv: string[], name: string, dflt: string): string {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : dflt;
}

export async function search(argv: string[]): Promise<Hyper & { val84: number; test84: number }> {
  const units = Number(arg(argv, 'units', '1000')), seed = Number(arg(argv, 'seed', '1')), grid = arg(argv, 'grid', 'quick');
  const X = loadMackeyGlass(seed);
  // quick: the first, coarse grid (16 reservoirs); fine: around its best point (sr 1.25, lr 0.6,
  // input scaling 0.5, bias 0.2); full: a wider coarse grid (72 reservoirs).
  const G = ({
    quick: { sr: [0.95, 1.25], lr: [0.6, 1], scale: [0.5, 1], bias: [0, 0.2] },
    fine: { sr: [1.1, 1.25, 1.4], lr: [0.45, 0.6, 0.8], scale: [0.3, 0.5], bias: [0.2] },
    full: { sr: [0.8, 0.95, 1.1, 1.25], lr: [0.3, 0.6, 1], scale: [0.2, 0.5, 1], bias: [0, 0.2] },
    // point: the quick grid's best reservoir at N = 500, only the ridge searched (for larger N).
    point: { sr: [1.25], lr: [0.6], scale: [0.5], bias: [0.2] },
  } as Record<string, { sr: number[]; lr: number[]; scale: number[]; bias: number[] }>)[grid];
  if (!G) throw new Error(`esn_search: --grid must be quick, fine or full, got '${grid}'`);
  const { sr: srs, lr: lrs, scale: scales, bias: biases } = G;
  const ridges = arg(argv, 'ridges', '1e-12,1e-11,1e-10,1e-9,1e-8,1e-7').split(',').map(Number);
  const orders = arg(argv, 'orders', '1').split(',').map(Number); // iterated-Tikhonov orders tried per ridge
  const connectivity = Number(arg(argv, 'connectivity', '0.01'));
  let best: (Hyper & { val84: number }) | null = null;
  for (const sr of srs) for (const lr of lrs) for (const inputScaling of scales) for (const bias of biases) {
    const h: Hyper = { units, sr, lr, inputScaling, connectivity, inputConnectivity: 1, bias, ridge: ridges[0]! };
    const esn = makeEsn(h, seed);
    accumulate(esn, X, 3000);
    for (const ridge of ridges) for (const order of orders) {
      try { (esn.readouts[0] as unknown as { solve(r: number, k: number): void }).solve(ridge, order); } catch { continue; }
      const v = closedLoop(esn, X, 3000, 4000).nrmse84;
      const point = { ...h, ridge, order, val84: v };
      console.log(JSON.stringify(point));
      if (Number.isFinite(v) && (!best || v < best.val84)) best = point;
    }
  }
  if (!best) throw new Error('esn_search: no configuration gave a finite NRMSE84');
  const esn = makeEsn(best, seed);
  accumulate(esn, X);
  esn.solve();
  const test84 = closedLoop(esn, X).nrmse84;
  const out = { ...best, test84 };
  console.log(JSON.stringify({ best: out }));
  return out;
}

if (process.argv[1]?.endsWith('esn_search.js')) {
  search(process.argv.slice(2)).catch((e) => { console.error(e); process.exitCode = 1; });
}
