// Finding 2: a PNG with no image data (IHDR, IEND, no IDAT) decoded 50 times, with unrelated
// secrets churned through memory in between. Expect: 50 identical errors in our words, no pixels.
// Run: node scripts/faults/f2_png_leak.mjs   (after npm install)
import { deflateSync } from 'node:zlib';
import { decodePng } from '../../dist/src/node/png.js';

const table = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (b) => {
  let r = 0xffffffff;
  for (const x of b) r = table[(r ^ x) & 255] ^ (r >>> 8);
  return (r ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const l = Buffer.alloc(4);
  l.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(td));
  return Buffer.concat([l, td, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(64, 0);
ihdr.writeUInt32BE(64, 4);
ihdr[8] = 8;
ihdr[9] = 2;
const sig = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
const noIdat = Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
// and one whose IDAT holds only 10 of the 64 rows
const short = Buffer.concat([
  sig,
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(Buffer.alloc(10 * 193, 7))),
  chunk('IEND', Buffer.alloc(0)),
]);

for (const [name, file] of [
  ['no IDAT', noIdat],
  ['IDAT with 10 of 64 rows', short],
]) {
  const outcomes = new Map();
  for (let i = 0; i < 50; i++) {
    // Churn memory with a recognisable secret, as a server decoding uploads would.
    for (let k = 0; k < 200; k++) Buffer.from('SECRET-TOKEN-'.repeat(300 + k)).toString('base64');
    let key;
    try {
      const t = decodePng(new Uint8Array(file));
      let sum = 0;
      for (const v of t.data) sum += v;
      key = `decoded ${t.shape.join('x')} sum ${sum.toFixed(3)}`;
    } catch (e) {
      key = `error: ${e.message}`;
    }
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  console.log(`${name}: ${outcomes.size} distinct outcome(s) in 50 decodes`);
  for (const [k, n] of outcomes) console.log(`  ${String(n).padStart(3)} x ${k.slice(0, 120)}`);
}
