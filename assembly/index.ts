// The recur WebAssembly kernels (loaded by src/backend/wasm.ts). Plain exports over byte
// pointers into one imported linear memory; no runtime, no allocation, no strings. Each family
// file's exported functions are the module's exports, so a new kernel in a family needs no line
// here (a new family file needs one).
export * from './gemm';
export * from './gemm64';
export { csr_matvec64 } from './sparse64'; // its csrRow64 is a helper reservoir64.ts inlines, not a kernel
export * from './gates';
export * from './reduce';
export * from './reservoir64';
export * from './lstm_seq';
export * from './symv64';
export * from './gemv64';
export * from './secular64';
export * from './center64';
