#!/usr/bin/env python3
"""Writes fixtures/torch_recurrent.json: PyTorch nn.RNN / nn.LSTM / nn.GRU outputs, final
states and every gradient, for the tests to compare against (they need no Python).

    apt-get install -y python3-torch && /usr/bin/python3 scripts/make_torch_fixtures.py [--seed S] [--out FILE]

Loss = sum(output * R_out) + sum(h_n * R_h) (+ sum(c_n * R_c)), random R, so every output
and final state feeds a gradient. Cases with `lengths` go through pack_padded_sequence.
"""
import argparse
import json

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

ap = argparse.ArgumentParser()
ap.add_argument("--seed", type=int, default=0)
ap.add_argument("--out", default="fixtures/torch_recurrent.json")
args = ap.parse_args()

torch.manual_seed(args.seed)
CASES = [
    dict(mode="rnn", nonlinearity="tanh", I=3, H=4, L=1, bi=False, T=5, B=2),
    dict(mode="rnn", nonlinearity="relu", I=3, H=5, L=2, bi=False, T=4, B=3),
    dict(mode="rnn", nonlinearity="tanh", I=2, H=3, L=2, bi=True, T=4, B=2),
    dict(mode="rnn", nonlinearity="relu", I=3, H=4, L=1, bi=True, T=3, B=2),
    dict(mode="lstm", I=3, H=4, L=1, bi=False, T=5, B=2),
    dict(mode="lstm", I=3, H=4, L=2, bi=False, T=4, B=3),
    dict(mode="lstm", I=2, H=3, L=2, bi=True, T=4, B=2),
    dict(mode="gru", I=3, H=4, L=1, bi=False, T=5, B=2),
    dict(mode="gru", I=3, H=4, L=2, bi=False, T=4, B=3),
    dict(mode="gru", I=2, H=3, L=2, bi=True, T=4, B=2),
    dict(mode="lstm", I=3, H=4, L=1, bi=False, T=5, B=3, lengths=[5, 2, 4]),
    dict(mode="gru", I=3, H=4, L=2, bi=True, T=5, B=3, lengths=[3, 5, 1]),
    dict(mode="rnn", nonlinearity="tanh", I=2, H=3, L=1, bi=True, T=4, B=3, lengths=[4, 1, 3]),
]


def flat(t):
    return t.detach().reshape(-1).tolist()


out = []
for c in CASES:
    cls = dict(rnn=nn.RNN, lstm=nn.LSTM, gru=nn.GRU)[c["mode"]]
    kw = dict(input_size=c["I"], hidden_size=c["H"], num_layers=c["L"], bidirectional=c["bi"])
    if c["mode"] == "rnn":
        kw["nonlinearity"] = c["nonlinearity"]
    m = cls(**kw)
    D = 2 if c["bi"] else 1
    T, B, H = c["T"], c["B"], c["H"]
    x = torch.randn(T, B, c["I"], requires_grad=True)
    h0 = (0.5 * torch.randn(c["L"] * D, B, H)).requires_grad_()
    c0 = (0.5 * torch.randn(c["L"] * D, B, H)).requires_grad_()
    state = (h0, c0) if c["mode"] == "lstm" else h0
    lengths = c.get("lengths")
    if lengths:
        packed = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
        po, st = m(packed, state)
        o, _ = pad_packed_sequence(po, total_length=T)
    else:
        o, st = m(x, state)
    hn, cn = (st if c["mode"] == "lstm" else (st, None))
    Ro, Rh = torch.randn_like(o), torch.randn_like(hn)
    loss = (o * Ro).sum() + (hn * Rh).sum()
    rec = dict(c, x=flat(x), h0=flat(h0), R_out=flat(Ro), R_h=flat(Rh))
    if cn is not None:
        Rc = torch.randn_like(cn)
        loss = loss + (cn * Rc).sum()
        rec.update(c0=flat(c0), R_c=flat(Rc), c_n=flat(cn))
    loss.backward()
    rec.update(
        output=flat(o), h_n=flat(hn), loss=loss.item(), dx=flat(x.grad), dh0=flat(h0.grad),
        state_dict={k: dict(shape=list(v.shape), data=flat(v)) for k, v in m.state_dict().items()},
        grads={k: flat(p.grad) for k, p in m.named_parameters()},
    )
    if cn is not None:
        rec["dc0"] = flat(c0.grad)
    out.append(rec)

with open(args.out, "w") as f:
    json.dump(dict(torch_version=torch.__version__, seed=args.seed, cases=out), f)
print(f"wrote {len(out)} cases to {args.out}")
