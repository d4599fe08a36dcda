#!/usr/bin/env python3
"""Shows that recur's safetensors files and PyTorch's state_dicts are interchangeable.

    npm run build && /usr/bin/python3 scripts/safetensors_interop.py

1. PyTorch -> recur: an nn.LSTM state_dict saved as safetensors is loaded by recur's LSTM,
   which must give PyTorch's output on the same input.
2. recur -> PyTorch: a recur checkpoint (SequenceModel, LSTM) is read here, its `rnn.*`
   tensors loaded into nn.LSTM with load_state_dict(strict=True), and PyTorch's output
   compared with recur's.
The `safetensors` Python package is not installable on this machine (no PyPI), so this
script reads and writes the format itself (8-byte header length, JSON header, raw
little-endian data) exactly as the reference implementation lays it out.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DT = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.int32: "I32"}
TD = {v: k for k, v in DT.items()}


def save_file(tensors, path, metadata=None):
    header, off, blobs = {}, 0, []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        b = t.numpy().tobytes()
        header[name] = {"dtype": DT[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def load_file(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        buf = bytearray(data[8 + n + a: 8 + n + b])
        out[name] = (torch.frombuffer(buf, dtype=TD[e["dtype"]]).reshape(e["shape"]).clone() if b > a
                     else torch.zeros(e["shape"], dtype=TD[e["dtype"]]))
    return out, meta


def node(code):
    return subprocess.run(["node", "--input-type=module", "-e", code], cwd=ROOT, check=True, capture_output=True,
                          text=True).stdout


torch.manual_seed(0)
tmp = tempfile.mkdtemp()
# 1. PyTorch -> recur
lstm = torch.nn.LSTM(3, 5, num_layers=2)
x = torch.randn(7, 2, 3)
with torch.no_grad():
    y, _ = lstm(x)
save_file(lstm.state_dict(), f"{tmp}/torch.safetensors", {"format": "pt"})
json.dump({"x": x.reshape(-1).tolist(), "y": y.reshape(-1).tolist()}, open(f"{tmp}/io.json", "w"))
out = node(f"""
import {{ readFileSync }} from 'node:fs';
import {{ LSTM, decodeSafetensors }} from './dist/src/index.js';
const {{ tensors }} = decodeSafetensors(new Uint8Array(readFileSync('{tmp}/torch.safetensors')));
const io = JSON.parse(readFileSync('{tmp}/io.json', 'utf8'));
const m = new LSTM({{ inputSize: 3, hiddenSize: 5, numLayers: 2 }});
m.loadStateDict(tensors);
const y = m.forward({{ shape: [7, 2, 3], data: Float32Array.from(io.x) }}).output.data;
let e = 0; for (let i = 0; i < y.length; i++) e = Math.max(e, Math.abs(y[i] - io.y[i]));
console.log(e);
""")
err1 = float(out)
print(f"PyTorch state_dict -> recur LSTM: max |difference| in outputs = {err1:.2e}")

# 2. recur -> PyTorch
out = node(f"""
import {{ writeFileSync }} from 'node:fs';
import {{ SequenceModel, saveCheckpoint }} from './dist/src/index.js';
const m = new SequenceModel({{
  cell: 'lstm', inputSize: 3, hiddenSize: 4, numLayers: 2, outputSize: 1, head: 'every', loss: 'mse', seed: 5,
}});
const x = Float32Array.from({{ length: 6 * 2 * 3 }}, (_, i) => Math.sin(i));
const h = m.rnn.forward({{ shape: [6, 2, 3], data: x }}).output.data;
writeFileSync('{tmp}/recur.safetensors', saveCheckpoint(m, {{ step: 0 }}));
console.log(JSON.stringify({{ x: [...x], h: [...h] }}));
""")
io = json.loads(out)
tensors, meta = load_file(f"{tmp}/recur.safetensors")
cfg = json.loads(meta["recur"])["model"]
lstm2 = torch.nn.LSTM(cfg["inputSize"], cfg["hiddenSize"], num_layers=cfg["numLayers"])
lstm2.load_state_dict({k[len("rnn."):]: v for k, v in tensors.items() if k.startswith("rnn.")}, strict=True)
with torch.no_grad():
    h, _ = lstm2(torch.tensor(io["x"]).reshape(6, 2, 3))
err2 = (h.reshape(-1) - torch.tensor(io["h"])).abs().max().item()
print(f"recur checkpoint -> PyTorch nn.LSTM (load_state_dict strict): max |difference| = {err2:.2e}")
ok = err1 < 1e-5 and err2 < 1e-5
print("OK" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
