#!/usr/bin/env python3
"""The char LM of bench/peers/torch_charlm.py trained by PyTorch from recur's initial weights, to
compare the two per update (scripts/lm_same_init.mjs runs both and prints the table).

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/torch_charlm_same_init.py \
         INIT.json TEXT STEPS LR
INIT.json: {name: {shape, data}} of recur's parameters (PyTorch's names). Same vocabulary, streams
(B 32, T 64, state carried), Adam (0.9, 0.999, 1e-8), clip 5, constant rate, 1 thread.
Prints one JSON line per update: {"step": s, "loss": the update's training loss}.
"""
import json
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
init_path, text_path, steps, lr = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
init = json.load(open(init_path))
text = open(text_path, encoding="utf-8").read()
chars = sorted(set(text))
index = {c: i for i, c in enumerate(chars)}
ids = torch.tensor([index[c] for c in text], dtype=torch.long)
train = ids[: len(ids) - int(len(ids) * 0.1)]
V, B, T = len(chars), 32, 64
E, H = init["rnn.weight_ih_l0"]["shape"][1], init["rnn.weight_hh_l0"]["shape"][1]
emb, rnn, head = nn.Embedding(V, E), nn.LSTM(E, H), nn.Linear(H, V)
params = {"embedding.weight": emb.weight, "rnn.weight_ih_l0": rnn.weight_ih_l0, "rnn.weight_hh_l0": rnn.weight_hh_l0,
          "rnn.bias_ih_l0": rnn.bias_ih_l0, "rnn.bias_hh_l0": rnn.bias_hh_l0, "head.weight": head.weight,
          "head.bias": head.bias}
with torch.no_grad():
    for k, p in params.items():
        p.copy_(torch.tensor(init[k]["data"], dtype=torch.float32).view(p.shape))
opt = torch.optim.Adam(params.values(), lr=lr, betas=(0.9, 0.999), eps=1e-8)
L = len(train) // B
data = train[: L * B].view(B, L).t().contiguous()  # [L, B]: data[t, b] = ids[b*L + t]
state, pos = None, 0
for step in range(1, steps + 1):
    e = min(pos + T, L - 1)
    opt.zero_grad()
    out, state = rnn(emb(data[pos:e]), state)
    loss = F.cross_entropy(head(out).reshape(-1, V), data[pos + 1:e + 1].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(list(params.values()), 5)
    opt.step()
    state = tuple(x.detach() for x in state)
    pos = e
    print(json.dumps({"step": step, "loss": loss.item()}))
