// The hashing trick's fast path, one pass over raw CSV bytes (src/hashing/fast.ts loads it):
//
//   bytes --(split at delimiter / LF, v128 compares)--> fields [starts[f], ends[f])
//         --(MurmurHash3 of each field seeded by its column's namespace hash)--> (idx, val)[k]
//         --(FTRL-Proximal or AdaGrad predict + update on the f64 state)--> p per row
//
// A separate module from the kernels of index.ts (it imports exp/log1p/number parsing from JS),
// built by scripts/build_wasm.mjs into WASM_HASH. Every step repeats src/hashing/{murmur3,
// featurehash,ftrl,logreg}.ts operation for operation, so hashes, predictions and weights are
// bit-identical to the TypeScript reference: f64 arithmetic in the same order, sqrt and
// division are IEEE-exact in both (also in f64x2 lanes, which the learners use two coordinates
// at a time), and exp / log1p / ln come from the JS engine's Math. Eight rows are split and
// hashed before any is learned, so that the cache misses of their weights overlap.
//
// A row takes the fast path only when it is plain: no quote character, LF-terminated (CRLF
// fine), exactly the expected number of fields, a label of one byte '0'/'1', numbers that
// parse to finite values. Anything else stops the run at that row's start (status SLOW):
// the caller's CSV reader then takes that row through the TypeScript path (which reports
// malformed rows with their line numbers) and calls run() again after it.
//
// Memory layout (byte pointers set by JS in the configuration block, see src/hashing/fast.ts):
// config i32[64] + f64 hyper-parameters, per-column tables, row scratch, outputs p/label/line
// [maxRows], the learner state f64 [D, 2] (FTRL: z, sqrt(n); AdaGrad: w, n), the input bytes.

// @ts-nocheck (AssemblyScript)

@external("env", "exp") declare function hostExp(x: f64): f64;
@external("env", "log1p") declare function hostLog1p(x: f64): f64;
@external("env", "binSlow") declare function hostBin(x: f64): f64;
@external("env", "num") declare function hostNum(s: i32, e: i32): f64;

const C1: i32 = 0xcc9e2d51;
const C2: i32 = 0x1b873593;
const QUOTE: i32 = 34, LF: i32 = 10, CR: i32 = 13;
const KIND_SKIP = 0, KIND_LABEL = 1, KIND_CAT = 2, KIND_BIN = 3, KIND_VALUE = 4, KIND_LOG = 5;
/** Stop reasons written to the status slot. */
const FULL = 0, MORE = 1, SLOW = 2;
const TABLE = 1024; // bins and log1p of the integers 0..1023 come from tables built in JS
/** Rows hashed ahead of learning (src/hashing/fast.ts sizes the feature buffers for as many). */
const BATCH = 8;

// Configuration, copied into globals by init().
let nFile = 0, nModel = 0, delim = 44, mask = 0, signed = 0, skipMissing = 0, needLabel = 1;
let useBias = 1, biasHash = 0, nPairs = 0, learner = 0, period = 0, learnOn = 1, maxRows = 0;
let pPerm: usize = 0, pKind: usize = 0, pNs: usize = 0, pMiss: usize = 0, pPairA: usize = 0, pPairB: usize = 0;
let pBins: usize = 0, pLog: usize = 0, pStarts: usize = 0, pEnds: usize = 0, pColHash: usize = 0, pColVal: usize = 0;
let pColOn: usize = 0, pIdx: usize = 0, pVal: usize = 0, pW: usize = 0;
let pOutP: usize = 0, pOutY: usize = 0, pOutLine: usize = 0, pState: usize = 0, pCfg: usize = 0;
let pIdx0: usize = 0, pVal0: usize = 0, stride = 0, pBatchN: usize = 0;
let alpha: f64 = 0.1, beta: f64 = 1, l1: f64 = 1, l2: f64 = 1;

@inline function cfg(i: i32): i32 { return load<i32>(pCfg + (<usize>i << 2)); }
@inline function ptr(i: i32): usize { return <usize>cfg(i); }

/** Reads the configuration block at `c` (its slots: src/hashing/fast.ts, Plan). */
export function init(c: usize): void {
  pCfg = c;
  nFile = cfg(0); nModel = cfg(1); delim = cfg(2); mask = cfg(3); signed = cfg(4); skipMissing = cfg(5);
  needLabel = cfg(6); useBias = cfg(7); biasHash = cfg(8); nPairs = cfg(9); learner = cfg(10); period = cfg(11);
  learnOn = cfg(12); maxRows = cfg(13);
  pPerm = ptr(14); pKind = ptr(15); pNs = ptr(16); pMiss = ptr(17); pPairA = ptr(18); pPairB = ptr(19);
  pBins = ptr(20); pLog = ptr(21); pStarts = ptr(22); pEnds = ptr(23); pColHash = ptr(24); pColVal = ptr(25);
  pColOn = ptr(26); pIdx = ptr(27); pVal = ptr(28); pW = ptr(29);
  pOutP = ptr(30); pOutY = ptr(31); pOutLine = ptr(32); pState = ptr(33); stride = cfg(34); pBatchN = ptr(35);
  pIdx0 = pIdx; pVal0 = pVal;
  const h = c + 256;
  alpha = load<f64>(h); beta = load<f64>(h, 8); l1 = load<f64>(h, 16); l2 = load<f64>(h, 24);
}

// ---- MurmurHash3 x86_32 (as src/hashing/murmur3.ts) ----

@inline function mixK(k: i32): i32 {
  return rotl<i32>(k * C1, 15) * C2;
}

@inline function fmix(h: i32): i32 {
  h ^= <i32>(<u32>h >> 16); h *= 0x85ebca6b;
  h ^= <i32>(<u32>h >> 13); h *= 0xc2b2ae35;
  h ^= <i32>(<u32>h >> 16);
  return h;
}

function murmurBytes(p: usize, n: i32, seed: i32): i32 {
  let h = seed;
  const end4 = p + <usize>(n & ~3);
  let i = p;
  for (; i < end4; i += 4) {
    h ^= mixK(load<i32>(i));
    h = rotl<i32>(h, 13) * 5 + 0xe6546b64;
  }
  const rem = n & 3;
  if (rem > 0) {
    let k = <i32>load<u8>(i);
    if (rem > 1) k ^= <i32>load<u8>(i, 1) << 8;
    if (rem > 2) k ^= <i32>load<u8>(i, 2) << 16;
    h ^= mixK(k);
  }
  return fmix(h ^ n);
}

@inline function murmurInt(v: i32, seed: i32): i32 {
  const h = rotl<i32>(seed ^ mixK(v), 13) * 5 + 0xe6546b64;
  return fmix(h ^ 4);
}

@inline function hashPair(a: i32, b: i32): i32 {
  return fmix(((a * 0x01000193) ^ b) + <i32>0x9e3779b9);
}

// ---- numbers (as src/hashing/bytes.ts parseNumber; anything but a short integer asks JS) ----

function parseNum(s: usize, e: usize): f64 {
  let i = s, neg = false;
  const c0 = <i32>load<u8>(i);
  if (c0 == 45 || c0 == 43) { neg = c0 == 45; i++; }
  if (i < e && e - i <= 15) {
    let v: f64 = 0, j = i;
    for (; j < e; j++) {
      const d = <i32>load<u8>(j) - 48;
      if (<u32>d > 9) break;
      v = v * 10 + <f64>d;
    }
    if (j == e) return neg ? -v : v;
  }
  return hostNum(<i32>s, <i32>e);
}

/** bin(x) of src/hashing/featurehash.ts binOf: table for 0..1023, floor for |x| <= 2, JS otherwise. */
@inline function binOf(x: f64): i32 {
  if (x >= 0 && x < <f64>TABLE && x == Math.floor(x)) return load<i32>(pBins + (<usize><i32>x << 2));
  if (x >= -2 && x <= 2) return <i32>Math.floor(x);
  return <i32>hostBin(x);
}

/** sign(x) ln(1 + |x|) as featurehash.ts computes it (x >= 0 ? log1p(x) : -log1p(-x)). */
@inline function logValue(x: f64): f64 {
  const a = Math.abs(x);
  let r: f64;
  if (a < <f64>TABLE && a == Math.floor(a)) r = load<f64>(pLog + (<usize><i32>a << 3));
  else r = hostLog1p(a);
  // x = -0 takes the x >= 0 branch there: log1p(-0) = -0, which -r also gives (r = +0).
  return x >= 0 && !(x == 0 && 1 / x < 0) ? r : -r;
}

// ---- one row: fields -> features (as FeatureHasher.hashRow); returns n, or -1 (slow row) ----

/** Hashes the row whose fields are in starts/ends (file order); writes the label to `labelOut`. */
function hashRow(labelOut: usize): i32 {
  // Globals copied to locals: V8 reloads a global from the instance on every use.
  const kindP = pKind, permP = pPerm, startsP = pStarts, endsP = pEnds, nsP = pNs, onP = pColOn, hashP = pColHash;
  const valsP = pColVal, idxP = pIdx, valP = pVal, m = mask, sg = signed, nm = nModel, pairs = nPairs > 0;
  let k = 0;
  let label = -1;
  for (let j = 0; j < nm; j++) {
    const jo = <usize>j << 2;
    const kj = load<i32>(kindP + jo);
    if (kj == KIND_SKIP) { store<i32>(onP + jo, 0); continue; }
    const f = load<i32>(permP + jo);
    let s: usize = 0, e: usize = 0;
    if (f >= 0) { s = <usize>load<i32>(startsP + (<usize>f << 2)); e = <usize>load<i32>(endsP + (<usize>f << 2)); }
    if (kj == KIND_LABEL) {
      store<i32>(onP + jo, 0);
      if (s == e) { if (needLabel) return -1; continue; }
      if (e - s != 1) return -1; // '1.0', '-1', bad labels: the TS path
      const c = <i32>load<u8>(s);
      if (c == 49) label = 1; else if (c == 48) label = 0; else return -1;
      continue;
    }
    let h: i32, v: f64 = 1;
    if (s == e) {
      store<i32>(onP + jo, 0);
      if (skipMissing) continue;
      h = load<i32>(pMiss + jo);
    } else {
      store<i32>(onP + jo, 1);
      if (kj == KIND_CAT) {
        h = murmurBytes(s, <i32>(e - s), load<i32>(nsP + jo));
      } else {
        const x = parseNum(s, e);
        if (!isFinite(x)) return -1; // bad numbers (NaN) are reported by the TS path; +-Infinity too
        // Value-weighted numbers beyond 2^53 (MAX_FEATURE_VALUE in featurehash.ts): the TS path reports them.
        if (kj == KIND_VALUE && !(Math.abs(x) <= 9007199254740992.0)) return -1;
        const ns = load<i32>(nsP + jo);
        if (kj == KIND_BIN) h = murmurInt(binOf(x), ns);
        else { h = ns; v = kj == KIND_VALUE ? x : logValue(x); }
      }
    }
    if (pairs) { store<i32>(hashP + jo, h); store<f64>(valsP + (<usize>j << 3), v); }
    store<i32>(idxP + (<usize>k << 2), h & m);
    store<f64>(valP + (<usize>k << 3), sg && h < 0 ? -v : v);
    k++;
  }
  if (needLabel && label < 0) return -1;
  for (let p = 0; p < nPairs; p++) {
    const a = load<i32>(pPairA + (<usize>p << 2)), c = load<i32>(pPairB + (<usize>p << 2));
    if (!load<i32>(onP + (<usize>a << 2)) || !load<i32>(onP + (<usize>c << 2))) continue;
    const h = hashPair(load<i32>(hashP + (<usize>a << 2)), load<i32>(hashP + (<usize>c << 2)));
    const v = load<f64>(valsP + (<usize>a << 3)) * load<f64>(valsP + (<usize>c << 3));
    store<i32>(idxP + (<usize>k << 2), h & m);
    store<f64>(valP + (<usize>k << 3), sg && h < 0 ? -v : v);
    k++;
  }
  if (useBias) { store<i32>(idxP + (<usize>k << 2), biasHash & m); store<f64>(valP + (<usize>k << 3), 1); k++; }
  store<i32>(labelOut, label);
  return k;
}

// ---- learners (as src/hashing/ftrl.ts and logreg.ts) ----

@inline function sigmoid(z: f64): f64 {
  if (z > 35) z = 35; else if (z < -35) z = -35;
  return 1 / (1 + hostExp(-z));
}

@inline function pair(a: f64, b: f64): v128 {
  return f64x2.replace_lane(f64x2.splat(a), 1, b);
}

function ftrlDot(n: i32): f64 {
  const st = pState, ix = pIdx, wp = pW, vp = pVal, ia = 1 / alpha;
  // w two coordinates at a time (f64x2 lanes do the scalar IEEE operations, so the values are
  // those of ftrl.ts; the division runs for w = 0 lanes too, cheaper than a mispredicted branch).
  const va = f64x2.splat(l1), vna = f64x2.splat(-l1), vb = f64x2.splat(beta);
  const via = f64x2.splat(ia), vl2 = f64x2.splat(l2);
  let k = 0;
  for (; k + 2 <= n; k += 2) {
    const q = ix + (<usize>k << 2);
    const i0 = st + (<usize>load<i32>(q) << 4), i1 = st + (<usize>load<i32>(q, 4) << 4);
    const zz = pair(load<f64>(i0), load<f64>(i1)), ss = pair(load<f64>(i0, 8), load<f64>(i1, 8));
    const pos = f64x2.gt(zz, va), neg = f64x2.lt(zz, vna);
    const num = v128.bitselect(f64x2.sub(va, zz), f64x2.sub(vna, zz), pos);
    const w = f64x2.div(num, f64x2.add(f64x2.mul(f64x2.add(vb, ss), via), vl2));
    v128.store(wp + (<usize>k << 3), v128.and(w, v128.or(pos, neg)));
  }
  if (k < n) {
    const zi = load<f64>(st + (<usize>load<i32>(ix + (<usize>k << 2)) << 4));
    const si = load<f64>(st + (<usize>load<i32>(ix + (<usize>k << 2)) << 4), 8);
    let wi: f64 = 0;
    if (zi > l1) wi = (l1 - zi) / ((beta + si) * ia + l2);
    else if (zi < -l1) wi = (-l1 - zi) / ((beta + si) * ia + l2);
    store<f64>(wp + (<usize>k << 3), wi);
  }
  // The logit sums in coordinate order, as ftrl.ts does.
  let z: f64 = 0;
  for (let j = 0; j < n; j++) z += load<f64>(wp + (<usize>j << 3)) * load<f64>(vp + (<usize>j << 3));
  return z;
}

@inline function ftrlStep(i: usize, g: f64, w: f64, ia: f64): void {
  const s = load<f64>(i, 8), s1 = Math.sqrt(s * s + g * g);
  store<f64>(i, load<f64>(i) + g - (s1 - s) * ia * w);
  store<f64>(i, s1, 8);
}

function ftrlUpdate(n: i32, p: f64, y: f64): void {
  const st = pState, ix = pIdx, wp = pW, vp = pVal, ia = 1 / alpha, g0 = p - y;
  const vg0 = f64x2.splat(g0), via = f64x2.splat(ia);
  let k = 0;
  // Two coordinates at a time (the square roots pair up); a bucket hit by both of them is
  // updated one after the other, as ftrl.ts does (later hits read what earlier ones wrote).
  for (; k + 2 <= n; k += 2) {
    const q = ix + (<usize>k << 2), o = <usize>k << 3;
    const i0 = st + (<usize>load<i32>(q) << 4), i1 = st + (<usize>load<i32>(q, 4) << 4);
    if (i0 == i1) {
      ftrlStep(i0, g0 * load<f64>(vp + o), load<f64>(wp + o), ia);
      ftrlStep(i1, g0 * load<f64>(vp + o, 8), load<f64>(wp + o, 8), ia);
      continue;
    }
    const g = f64x2.mul(vg0, v128.load(vp + o));
    const s = pair(load<f64>(i0, 8), load<f64>(i1, 8));
    const s1 = f64x2.sqrt(f64x2.add(f64x2.mul(s, s), f64x2.mul(g, g)));
    const zz = pair(load<f64>(i0), load<f64>(i1));
    const z1 = f64x2.sub(f64x2.add(zz, g), f64x2.mul(f64x2.mul(f64x2.sub(s1, s), via), v128.load(wp + o)));
    store<f64>(i0, f64x2.extract_lane(z1, 0)); store<f64>(i0, f64x2.extract_lane(s1, 0), 8);
    store<f64>(i1, f64x2.extract_lane(z1, 1)); store<f64>(i1, f64x2.extract_lane(s1, 1), 8);
  }
  if (k < n)
    ftrlStep(st + (<usize>load<i32>(ix + (<usize>k << 2)) << 4), g0 * load<f64>(vp + (<usize>k << 3)),
      load<f64>(wp + (<usize>k << 3)), ia);
}

function adaDot(n: i32): f64 {
  let z: f64 = 0;
  for (let k = 0; k < n; k++) {
    z += load<f64>(pState + (<usize>load<i32>(pIdx + (<usize>k << 2)) << 4)) * load<f64>(pVal + (<usize>k << 3));
  }
  return z;
}

@inline function adaStep(i: usize, g0x: f64, a: f64, b: f64, c2: f64): void {
  const wi = load<f64>(i);
  const g = g0x + c2 * wi;
  const ni = load<f64>(i, 8) + g * g;
  store<f64>(i, ni, 8);
  store<f64>(i, wi - a * g / (b + Math.sqrt(ni)));
}

function adaUpdate(n: i32, p: f64, y: f64): void {
  const st = pState, ix = pIdx, vp = pVal, g0 = p - y, a = alpha, b = beta, c2 = l2;
  const vg0 = f64x2.splat(g0), va = f64x2.splat(a), vb = f64x2.splat(b), vl2 = f64x2.splat(c2);
  let k = 0;
  // Two coordinates at a time, as in ftrlUpdate (a bucket hit by both updates in order).
  for (; k + 2 <= n; k += 2) {
    const q = ix + (<usize>k << 2), o = <usize>k << 3;
    const i0 = st + (<usize>load<i32>(q) << 4), i1 = st + (<usize>load<i32>(q, 4) << 4);
    if (i0 == i1) {
      adaStep(i0, g0 * load<f64>(vp + o), a, b, c2);
      adaStep(i1, g0 * load<f64>(vp + o, 8), a, b, c2);
      continue;
    }
    const wi = pair(load<f64>(i0), load<f64>(i1));
    const g = f64x2.add(f64x2.mul(vg0, v128.load(vp + o)), f64x2.mul(vl2, wi));
    const ni = f64x2.add(pair(load<f64>(i0, 8), load<f64>(i1, 8)), f64x2.mul(g, g));
    const w1 = f64x2.sub(wi, f64x2.div(f64x2.mul(va, g), f64x2.add(vb, f64x2.sqrt(ni))));
    store<f64>(i0, f64x2.extract_lane(ni, 0), 8); store<f64>(i0, f64x2.extract_lane(w1, 0));
    store<f64>(i1, f64x2.extract_lane(ni, 1), 8); store<f64>(i1, f64x2.extract_lane(w1, 1));
  }
  if (k < n)
    adaStep(st + (<usize>load<i32>(ix + (<usize>k << 2)) << 4), g0 * load<f64>(vp + (<usize>k << 3)), a, b, c2);
}

// ---- the driver ----

/** Bit mask of the bytes at [b, b+16) equal to the delimiter, LF or a quote. */
@inline function specials(b: usize, vd: v128, vl: v128, vq: v128): i32 {
  const v = v128.load(b);
  return i8x16.bitmask(v128.or(v128.or(i8x16.eq(v, vd), i8x16.eq(v, vl)), i8x16.eq(v, vq)));
}

/**
 * Consumes plain rows of the bytes at [pos, len) (absolute addresses; at least 16 readable
 * bytes past len), the first starting at line `line`, `seen` rows delivered before it.
 * Writes per row p (before the update), the label (-1 when absent) and its line; stops when
 * maxRows rows are out (FULL), at an incomplete row (MORE) or at a row for the TS path (SLOW).
 * Returns the address where it stopped; rows out, next line, status and seen go to the config.
 */
export function run(pos: usize, len: usize, line: i32, seen: i32): usize {
  const vd = i8x16.splat(<i8>delim), vl = i8x16.splat(<i8>LF), vq = i8x16.splat(<i8>QUOTE);
  let rows = 0, status = MORE;
  let blk = pos & ~(<usize>15);
  let m = specials(blk, vd, vl, vq) & (-1 << <i32>(pos - blk));
  while (pos < len) {
    const cap = min(BATCH, maxRows - rows);
    if (cap == 0) { status = FULL; break; }
    // Split and hash up to BATCH rows before learning any: hashing reads no weights.
    let nb = 0, stop = false;
    while (nb < cap && pos < len) {
      // Split one row; a quote, too many fields or no LF before len ends the fast run here.
      let nf = 0, fs = pos, q: usize = 0, c = 0;
      let ok = true;
      for (;;) {
        while (m == 0) { blk += 16; if (blk >= len) break; m = specials(blk, vd, vl, vq); }
        if (m == 0) { q = len; break; }
        q = blk + <usize>ctz(m);
        m &= m - 1;
        if (q >= len) break;
        c = <i32>load<u8>(q);
        if (c == QUOTE || nf == nFile) { ok = false; break; }
        store<i32>(pStarts + (<usize>nf << 2), <i32>fs);
        store<i32>(pEnds + (<usize>nf << 2), <i32>q);
        nf++;
        fs = q + 1;
        if (c == LF) break;
      }
      if (q >= len) { status = MORE; stop = true; break; }
      if (!ok) { status = SLOW; stop = true; break; }
      // The row ends at the LF at q: strip a CR from its last field, as the CSV reader does.
      const last = pEnds + (<usize>(nf - 1) << 2);
      const le = <usize>load<i32>(last);
      if (le > <usize>load<i32>(pStarts + (<usize>(nf - 1) << 2)) && load<u8>(le - 1) == CR)
        store<i32>(last, <i32>(le - 1));
      if (nf == 1 && load<i32>(pEnds) == load<i32>(pStarts)) { pos = q + 1; line++; continue; } // blank line
      if (nf != nFile) { status = SLOW; stop = true; break; }
      pIdx = pIdx0 + (<usize>(nb * stride) << 2); pVal = pVal0 + (<usize>(nb * stride) << 3);
      const n = hashRow(pOutY + (<usize>(rows + nb) << 2));
      if (n < 0) { status = SLOW; stop = true; break; }
      store<i32>(pBatchN + (<usize>nb << 2), n);
      store<i32>(pOutLine + (<usize>(rows + nb) << 2), line);
      nb++;
      line++;
      pos = q + 1;
    }
    // Touch every bucket of the batch in one tight loop: the cache misses of several rows
    // overlap (a row alone leaves the reorder buffer waiting on one miss latency per row).
    const st = pState;
    let t = 0;
    for (let r = 0; r < nb; r++) {
      const ix = pIdx0 + (<usize>(r * stride) << 2), n = load<i32>(pBatchN + (<usize>r << 2));
      for (let k = 0; k < n; k++) t |= load<i32>(st + (<usize>load<i32>(ix + (<usize>k << 2)) << 4));
    }
    sink |= t;
    for (let r = 0; r < nb; r++) {
      pIdx = pIdx0 + (<usize>(r * stride) << 2); pVal = pVal0 + (<usize>(r * stride) << 3);
      const n = load<i32>(pBatchN + (<usize>r << 2));
      seen++;
      const y = load<i32>(pOutY + (<usize>(rows + r) << 2));
      const learn = learnOn && !(period > 0 && seen % period == 0);
      let p: f64;
      if (learner == 0) {
        p = sigmoid(ftrlDot(n));
        if (learn) ftrlUpdate(n, p, <f64>y);
      } else {
        p = sigmoid(adaDot(n));
        if (learn) adaUpdate(n, p, <f64>y);
      }
      store<f64>(pOutP + (<usize>(rows + r) << 3), p);
    }
    rows += nb;
    if (stop) break;
  }
  store<i32>(pCfg + 40 * 4, rows);
  store<i32>(pCfg + 41 * 4, line);
  store<i32>(pCfg + 42 * 4, status);
  store<i32>(pCfg + 43 * 4, seen);
  return pos;
}

/** Keeps the touch loads of run() from being optimised away (never read). */
let sink = 0;
export function touched(): i32 { return sink; }
