/**
 * Training compute counted in multiply-adds (MACs), so that "equal training compute" is a
 * number that does not depend on the machine, its load or the kernels' speed. Only the matrix
 * products are counted (they are where the time goes); element-wise gate maths, the loss and
 * the optimiser's update add O(parameters) per step and are left out of both sides alike.
 *
 * Recurrent net (one layer, G gates: RNN 1, GRU 3, LSTM 4), per training step of B sequences of
 * T steps with I inputs, H units and O outputs per step:
 *   forward  = T B (G H (I + H) + H O)          input and recurrent products, the head
 *   backward = 2 forward                         the gradient w.r.t. the weights and w.r.t. the inputs/state
 *   step     = 3 forward
 *
 * Echo state network fit over R rows (time steps) with F readout features and O outputs:
 *   reservoir = R (nnz(W) + nnz(Win))            two sparse mat-vecs per step
 *   gram      = R (F (F + 1) / 2 + F O)           X^T X (upper triangle) and X^T Y
 *   solve     = F^3 / 6 + F^2 O                   Cholesky, then forward and back substitution per output
 */
export function rnnStepMacs(o: { gates: number; T: number; B: number; I: number; H: number; O: number }): number {
  return 3 * o.T * o.B * (o.gates * o.H * (o.I + o.H) + o.H * o.O);
}

export function esnFitMacs(o: { rows: number; nnz: number; F: number; O: number; solves?: number }): number {
  const solve = o.F ** 3 / 6 + o.F ** 2 * o.O;
  return o.rows * (o.nnz + (o.F * (o.F + 1)) / 2 + o.F * o.O) + (o.solves ?? 1) * solve;
}
