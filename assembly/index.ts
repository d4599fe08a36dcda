// The recur WebAssembly kernels (loaded by src/backend/wasm.ts). Plain exports over byte
// pointers into one imported linear memory; no runtime, no allocation, no strings.
export { gemm, gemm_part, gemm_work } from './gemm';
export { gemm64, gemm64_rows, gemm64_work, syrk64 } from './gemm64';
export { csr_matvec64 } from './sparse64';
export {
  lstm_cell, lstm_cell_backward, gru_cell, gru_cell_backward, indrnn_cell, indrnn_cell_backward,
  act_forward, act_backward,
} from './gates';
export { fill_rows, col_sum_acc, sum_sq } from './reduce';
export { reservoir_run64 } from './reservoir64';
export { lstm_seq } from './lstm_seq';
export { symv_upper64 } from './symv64';
export { gemv64 } from './gemv64';
