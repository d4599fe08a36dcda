#!/usr/bin/env python3
"""Writes fixtures/torch_distributions.json: what PyTorch's initial weights and the learning
benchmark's task generators look like, as statistics, for the parity tests
(test/layers/init_parity.test.ts, test/tasks/learn_tasks_parity.test.ts), which need no Python.

    /usr/bin/python3 scripts/make_distribution_fixtures.py [--seeds 200] [--out FILE]

init: for each module (nn.RNN tanh/relu, nn.LSTM, nn.GRU, a 2-layer bidirectional nn.LSTM,
nn.Linear, nn.Embedding, and the learning benchmark's models from bench/peers/learn_bench.py:
orthogonal tanh RNN, IRNN, LSTM with forget bias 1, GRU) and every parameter, split into gate
blocks for the recurrent ones, pooled over `--seeds` calls of torch.manual_seed(s): count, mean,
variance, fourth central moment, min, max and the 1st..99th percentiles; the documented bounds
of uniform draws (checked here against the sample); or, when every seed gives the same values
(identity, zeros, the forget bias), those values.

tasks: learn_bench.py's gen_adding and gen_order on 20,000 sequences for several T: where the
markers / symbols A and B fall (histograms), the distractor symbols, the classes, the values and
targets, and that the target is the function of the inputs the docstring says.
"""
import argparse
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench", "peers"))
import learn_bench as lb  # noqa: E402  (sets the thread variables, imports torch)
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--seeds", type=int, default=200)
ap.add_argument("--out", default="fixtures/torch_distributions.json")
args = ap.parse_args()
torch.set_num_threads(1)

I, H, OUT = 3, 20, 4
PCTS = list(range(1, 100))


def stats(x):
    x = np.asarray(x, dtype=np.float64).ravel()
    m = x.mean()
    return {
        "n": int(x.size),
        "mean": float(m),
        "var": float(np.mean((x - m) ** 2)),
        "m4": float(np.mean((x - m) ** 4)),
        "min": float(x.min()),
        "max": float(x.max()),
        "percentiles": [float(v) for v in np.percentile(x, PCTS)],
    }


# module name -> (constructor, {param: (gate blocks G or 0, documented uniform bound or None)})
def recurrent_bounds(mod, G, layers=1, bidirectional=False):
    k = 1 / math.sqrt(H)
    out = {}
    for layer in range(layers):
        for sfx in ([""] + (["_reverse"] if bidirectional else [])):
            for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                out[f"{mod}{w}_l{layer}{sfx}"] = (G, k)
    return out


MODULES = {
    "rnn_tanh": (lambda: nn.RNN(I, H), recurrent_bounds("", 1)),
    "rnn_relu": (lambda: nn.RNN(I, H, nonlinearity="relu"), recurrent_bounds("", 1)),
    "lstm": (lambda: nn.LSTM(I, H), recurrent_bounds("", 4)),
    "gru": (lambda: nn.GRU(I, H), recurrent_bounds("", 3)),
    "lstm_2layer_bi": (lambda: nn.LSTM(I, H, num_layers=2, bidirectional=True), recurrent_bounds("", 4, 2, True)),
    "linear": (lambda: nn.Linear(H, OUT), {"weight": (0, 1 / math.sqrt(H)), "bias": (0, 1 / math.sqrt(H))}),
    "embedding": (lambda: nn.Embedding(10, 7), {"weight": (0, None)}),
}
# The learning benchmark's models (learn_bench.Net: recurrent layer 'rnn.', head 'head.'), input 6, output 4.
for kind, G in (("rnn_tanh", 1), ("rnn_tanh_orth", 1), ("irnn", 1), ("lstm", 4), ("gru", 3)):
    params = recurrent_bounds("rnn.", G)
    params.update({"head.weight": (0, 1 / math.sqrt(H)), "head.bias": (0, 1 / math.sqrt(H))})
    if kind == "rnn_tanh_orth":
        params["rnn.weight_hh_l0"] = (1, None)  # orthogonal: bounded by 1, not uniform
    if kind == "irnn":
        params["rnn.weight_hh_l0"] = (1, None)
    MODULES[f"learn_bench_{kind}"] = ((lambda kind=kind: lb.Net(kind, 6, H, OUT)), params)

init = []
for name, (make, params) in MODULES.items():
    samples = {p: [] for p in params}
    for s in range(1, args.seeds + 1):
        torch.manual_seed(s)
        sd = make().state_dict()
        assert set(sd) == set(params), (name, sorted(sd))
        for p in params:
            samples[p].append(sd[p].detach().double().numpy().copy())
    for p, (G, bound) in params.items():
        arr = np.stack(samples[p])  # [seeds, ...]
        shape = list(arr.shape[1:])
        blocks = G if G > 1 else 1
        rows = shape[0] // blocks
        for g in range(blocks):
            blk = arr[:, g * rows:(g + 1) * rows]
            entry = {"module": name, "param": p, "shape": shape, "block": g if blocks > 1 else None,
                     "blocks": blocks}
            if np.all(blk == blk[0:1]):
                entry["constant"] = [float(v) for v in blk[0].ravel()]
            else:
                entry.update(stats(blk))
                if bound is not None:
                    # PyTorch's documented default, U(-bound, bound): the sample lies within it and fills it
                    assert entry["min"] >= -bound and entry["max"] <= bound, (name, p, entry["min"], bound)
                    assert entry["max"] - entry["min"] > 2 * bound * (1 - 20 / entry["n"]), (name, p)
                    entry["uniform_bound"] = bound
            init.append(entry)
    print(f"init {name}: {len(params)} parameters", flush=True)

# ----------------------------------------------------------------------------- task generators
N = 20000
tasks = []
for T in (10, 15, 50, 101):
    rng = np.random.default_rng([1, 1, T])
    x, y = lb.gen_adding(rng, N, T)  # x (T,N,2) float32, y (N,1)
    x, y = x.numpy().astype(np.float64), y.numpy().astype(np.float64)[:, 0]
    marks = x[:, :, 1]
    assert np.all(marks.sum(0) == 2) and set(np.unique(marks)) <= {0.0, 1.0}
    pos = np.sort(np.argwhere(marks.T == 1)[:, 1].reshape(N, 2), axis=1)
    ar = np.arange(N)
    summed = x[pos[:, 0], ar, 0] + x[pos[:, 1], ar, 0]
    assert np.max(np.abs(summed - y)) < 1e-6  # target = sum of the two marked values (float32 rounding)
    tasks.append({
        "task": "adding", "T": T, "n": N, "input_size": 2, "output_size": 1,
        "first_hist": np.bincount(pos[:, 0], minlength=T).tolist(),
        "second_hist": np.bincount(pos[:, 1], minlength=T).tolist(),
        "values": stats(x[:, :, 0]),
        "target": stats(y),
        "criterion": "test MSE < 0.01 on 1000 sequences (learn_bench.metric); recur: < 1% with (pred-y)^2 > 0.04",
    })
    rng = np.random.default_rng([1, 2, T])
    x, y = lb.gen_order(rng, N, T)  # one-hot (T,N,6), y (N,) int64
    x, y = x.numpy(), y.numpy()
    assert np.all(x.sum(2) == 1)
    sym = x.argmax(2).T  # (N,T)
    ab = sym < 2
    assert np.all(ab.sum(1) == 2)
    pos = np.argwhere(ab)[:, 1].reshape(N, 2)
    s1, s2 = sym[ar, pos[:, 0]], sym[ar, pos[:, 1]]
    assert np.all(y == 2 * s1 + s2)  # class = 2*s1 + s2 (AA, AB, BA, BB)
    tasks.append({
        "task": "order", "T": T, "n": N, "input_size": 6, "output_size": 4,
        "first_hist": np.bincount(pos[:, 0], minlength=T).tolist(),
        "second_hist": np.bincount(pos[:, 1], minlength=T).tolist(),
        "distractor_hist": np.bincount(sym[~ab], minlength=6).tolist(),
        "class_hist": np.bincount(y, minlength=4).tolist(),
        "criterion": "test error rate < 0.01 on 1000 sequences (argmax != class)",
    })
    print(f"tasks T={T}", flush=True)

out = {
    "torch_version": torch.__version__,
    "numpy_version": np.__version__,
    "generator": "scripts/make_distribution_fixtures.py",
    "seeds": args.seeds,
    "percentiles": PCTS,
    "init": init,
    "tasks": tasks,
}
with open(args.out, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {args.out} ({os.path.getsize(args.out) / 1024:.0f} KiB, {len(init)} init entries)")
