#!/usr/bin/env bash
# Finding 1: a tiny PNG declaring a huge image. Expect: a quick exit 3 naming the size and the limit.
. "$(dirname "$0")/lib.sh"
node -e '
const zlib = require("node:zlib"), fs = require("node:fs");
function crc(b){let c,t=[];for(let n=0;n<256;n++){c=n;for(let k=0;k<8;k++)c=c&1?0xedb88320^(c>>>1):c>>>1;t[n]=c>>>0}
  let r=0xffffffff;for(const x of b)r=t[(r^x)&255]^(r>>>8);return (r^0xffffffff)>>>0}
function chunk(type,data){const l=Buffer.alloc(4);l.writeUInt32BE(data.length);
  const td=Buffer.concat([Buffer.from(type),data]);
  const c=Buffer.alloc(4);c.writeUInt32BE(crc(td));return Buffer.concat([l,td,c])}
function png(w,h,idat){const ih=Buffer.alloc(13);ih.writeUInt32BE(w,0);ih.writeUInt32BE(h,4);ih[8]=8;ih[9]=2;
  const sig=Buffer.from([137,80,78,71,13,10,26,10]);
  return Buffer.concat([sig,chunk("IHDR",ih),chunk("IDAT",idat),chunk("IEND",Buffer.alloc(0))])}
// 30000x30000 RGB: a few bytes of deflate that do not even cover one row
fs.writeFileSync(process.argv[1]+"/bomb.png", png(30000,30000,zlib.deflateSync(Buffer.alloc(1000))));
// 8000x8000 RGB of zeros: the whole image, compressed to ~190 kB
const raw=Buffer.alloc((8000*3+1)*8000);
fs.writeFileSync(process.argv[1]+"/big.png", png(8000,8000,zlib.deflateSync(raw,{level:9})));
' "$WORK"
ls -l "$WORK"/*.png | awk '{print "    " $5 " bytes  " $9}'
run "preprocess apply bomb.png (30000x30000)" 20 $RECUR preprocess apply "$WORK/bomb.png" --out-dir "$WORK/o1"
run "preprocess apply big.png (8000x8000)" 60 $RECUR preprocess apply "$WORK/big.png" --out-dir "$WORK/o2"
run "  ... with --max-pixels 200000000" 120 \
  $RECUR preprocess apply "$WORK/big.png" --out-dir "$WORK/o3" --max-pixels 200000000
