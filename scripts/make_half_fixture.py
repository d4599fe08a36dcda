#!/usr/bin/env python3
"""Writes fixtures/safetensors/half.safetensors: F16 and BF16 tensors as PyTorch users save them,
and fixtures/safetensors/half.json: the same values converted to float32 by PyTorch (`.float()`).

    /usr/bin/python3 scripts/make_half_fixture.py

The half-precision bit patterns are PyTorch's own (torch.float16 / torch.bfloat16 storage, read
back with .view(torch.int16)); the container is the safetensors layout (8-byte little-endian
header length, JSON header with dtype/shape/data_offsets, raw little-endian data), written here
because the `safetensors` package cannot be installed on this machine (no PyPI).
"""
import json
import os
import struct

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fixtures", "safetensors")

g = torch.Generator().manual_seed(7)
special = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.1035e-05, 5.96e-08, 1e-7, 3.14159, -1e4, 0.1, 2 ** -14]
tensors = {
    "f16.random": torch.randn(3, 5, generator=g).to(torch.float16),
    "f16.special": torch.tensor(special, dtype=torch.float32).to(torch.float16),
    "bf16.random": (torch.randn(4, 3, generator=g) * 100).to(torch.bfloat16),
    "bf16.special": torch.tensor(special + [3.0e38, -1.17e-38, 9.2e-41], dtype=torch.float32).to(torch.bfloat16),
    "f32.plain": torch.randn(2, 2, generator=g),
}
header, blobs, off = {}, [], 0
for name in sorted(tensors):
    t = tensors[name].contiguous()
    dt = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32"}[t.dtype]
    # Half types: their 16-bit patterns as PyTorch stores them; float32 as is (little-endian).
    raw = (t.view(torch.int16).numpy().astype("<i2").tobytes() if t.element_size() == 2
           else t.numpy().astype("<f4").tobytes())
    header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
header["__metadata__"] = {"format": "pt"}
h = json.dumps(header, separators=(",", ":")).encode()
h += b" " * (-len(h) % 8)
os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "half.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
want = {name: {"shape": list(t.shape), "float32": t.float().flatten().tolist()} for name, t in tensors.items()}
with open(os.path.join(OUT, "half.json"), "w") as f:
    json.dump({"torch": torch.__version__, "tensors": want}, f, indent=1)
print("wrote", os.path.join(OUT, "half.safetensors"), off, "bytes of data")
