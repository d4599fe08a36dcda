#!/usr/bin/env python3
"""Writes fixtures/torch_trajectories.json: whole PyTorch training runs for the trajectory
tests (test/train/trajectory.test.ts), which replay them in recur without Python.

    /usr/bin/python3 scripts/make_trajectory_fixtures.py [--steps 300] [--out FILE]

For every cell (LSTM, GRU, tanh RNN, ReLU RNN) x loss (MSE on an adding-like task, softmax
cross-entropy on a temporal-order-like task; Linear head on the last step) x optimiser
(Adam + clip_grad_norm_, SGD with momentum + clip_grad_norm_) x dtype (float64, float32):
PyTorch's initial state_dict (its default init, drawn in float32; the float64 run starts from
the same values), the loss and the gradient norm (clip_grad_norm_'s total, before clipping)
after every step, and every parameter after the last step the tests check (100 in float64,
50 in float32).

Each run is also repeated from its initial weights scaled by (1 + one machine epsilon): how far
PyTorch drifts from itself over the checked steps ('twin_drift') is the floor of what any second
implementation can match. An init seed whose twin drifts by more than 1e-10 (float64) or 1e-5
(float32) is rejected, recorded in 'rejected_seeds', and the next seed drawn.

The batches are shared by all runs of a loss and exact in both precisions: inputs are
multiples of 1/128 (stored as uint8 numerators), targets sums of two of them (adding) or
class ids (order). Arrays are base64 of little-endian bytes (float64, float32 or uint8).
"""
import argparse
import base64
import json
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--steps", type=int, default=300)
ap.add_argument("--out", default="fixtures/torch_trajectories.json")
args = ap.parse_args()
torch.set_num_threads(1)

T, B, H = 10, 8, 16
STEPS = args.steps
CHECK = {"float64": 100, "float32": 50}
SCALE = 128  # inputs are u8 / SCALE


def b64(a, dtype):
    return base64.b64encode(np.ascontiguousarray(a, dtype=dtype).astype(dtype).tobytes()).decode("ascii")


# ----------------------------------------------------------------------------- data (numpy PCG64)
rng = np.random.default_rng(20240521)


def adding_batches(n):
    """x u8 [n, T, B, 2] (value numerator, marker 128 = 1.0), y [n, B] = sum of the two marked values."""
    xs = np.zeros((n, T, B, 2), dtype=np.uint8)
    ys = np.zeros((n, B))
    for s in range(n):
        k = rng.integers(0, SCALE, (B, T))
        i1 = rng.integers(0, T // 2, B)
        i2 = rng.integers(T // 2, T, B)
        ar = np.arange(B)
        xs[s, :, :, 0] = k.T
        xs[s, i1, ar, 1] = SCALE
        xs[s, i2, ar, 1] = SCALE
        ys[s] = (k[ar, i1] + k[ar, i2]) / SCALE
    return xs, ys


def order_batches(n):
    """ids u8 [n, T, B] (A=0, B=1, distractors 2..5), y [n, B] = 2*s1 + s2."""
    ids = np.zeros((n, T, B), dtype=np.uint8)
    ys = np.zeros((n, B), dtype=np.uint8)
    for s in range(n):
        seq = rng.integers(2, 6, (B, T))
        t1 = rng.integers(int(0.1 * T), int(0.3 * T), B)
        t2 = rng.integers(int(0.5 * T), int(0.7 * T), B)
        s1 = rng.integers(0, 2, B)
        s2 = rng.integers(0, 2, B)
        ar = np.arange(B)
        seq[ar, t1] = s1
        seq[ar, t2] = s2
        ids[s] = seq.T
        ys[s] = 2 * s1 + s2
    return ids, ys


add_x, add_y = adding_batches(STEPS)
ord_ids, ord_y = order_batches(STEPS)
DATA = {
    "mse": {"I": 2, "O": 1, "x_u8": b64(add_x, np.uint8), "x_scale": SCALE, "y_f64": b64(add_y, np.float64)},
    "xent": {"I": 6, "O": 4, "ids_u8": b64(ord_ids, np.uint8), "y_u8": b64(ord_y, np.uint8)},
}


def batch(loss, s, dtype):
    if loss == "mse":
        x = torch.from_numpy(add_x[s].astype(np.float64) / SCALE).to(dtype)
        return x, torch.from_numpy(add_y[s]).to(dtype).unsqueeze(1)
    x = torch.from_numpy(np.eye(6)[ord_ids[s]]).to(dtype)
    return x, torch.from_numpy(ord_y[s].astype(np.int64))


# ----------------------------------------------------------------------------- models
class Net(nn.Module):
    def __init__(self, cell, n_in, n_out):
        super().__init__()
        if cell == "lstm":
            self.rnn = nn.LSTM(n_in, H)
        elif cell == "gru":
            self.rnn = nn.GRU(n_in, H)
        else:
            self.rnn = nn.RNN(n_in, H, nonlinearity=cell.split("_")[1])
        self.head = nn.Linear(H, n_out)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


CELLS = ["lstm", "gru", "rnn_tanh", "rnn_relu"]
OPTS = {
    "adam": {"type": "adam", "lr": 1e-2},
    "sgd": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
}
CLIP = 1.0

def train(cell, loss, sd0, ospec, dtype, steps, ulps=0):
    """One PyTorch run from sd0; ulps != 0 scales every initial weight by (1 + ulps * eps) first."""
    net = Net(cell, DATA[loss]["I"], DATA[loss]["O"])
    net.load_state_dict(sd0)
    net.to(dtype)
    if ulps:
        with torch.no_grad():
            for p in net.parameters():
                p.mul_(1 + ulps * torch.finfo(dtype).eps)
    if ospec["type"] == "adam":
        opt = torch.optim.Adam(net.parameters(), lr=ospec["lr"])
    else:
        opt = torch.optim.SGD(net.parameters(), lr=ospec["lr"], momentum=ospec["momentum"])
    losses, norms, params = [], [], []
    for s in range(steps):
        x, y = batch(loss, s, dtype)
        opt.zero_grad(set_to_none=True)
        pred = net(x)
        lv = F.mse_loss(pred, y) if loss == "mse" else F.cross_entropy(pred, y)
        lv.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(net.parameters(), CLIP)))
        opt.step()
        losses.append(float(lv))
        params.append(np.concatenate([v.detach().numpy().ravel() for v in net.state_dict().values()]))
    return np.array(losses), np.array(norms), params


def drift(a, b):
    """Worst relative difference of two runs' losses and gradient norms."""
    return float(max(np.max(np.abs(a[0] - b[0]) / np.abs(a[0])), np.max(np.abs(a[1] - b[1]) / np.abs(a[1]))))


# A run whose own twin, started one ulp away, drifts apart within the checked steps cannot test
# agreement at the tolerance (its rounding is amplified, as between any two implementations);
# such an init seed is rejected (and recorded) and the next one drawn.
MAX_DRIFT = {"float64": 1e-10, "float32": 1e-5}  # a tenth of the tests' tolerances
inits, cases, rejected = {}, [], []
seed = 0
for cell in CELLS:
    for loss in ("mse", "xent"):
        key = f"{cell}/{loss}"
        while True:
            seed += 1
            torch.manual_seed(seed)
            sd0 = {k: v.detach().clone() for k, v in Net(cell, DATA[loss]["I"], DATA[loss]["O"]).state_dict().items()}
            runs, worst = {}, {}
            for opt_name, ospec in OPTS.items():
                for dtype_name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
                    run = train(cell, loss, sd0, ospec, dtype, STEPS)
                    twin = train(cell, loss, sd0, ospec, dtype, CHECK[dtype_name], ulps=1)
                    d = drift([r[: CHECK[dtype_name]] for r in run[:2]], twin[:2])
                    runs[opt_name, dtype_name] = (run, d)
                    worst[f"{opt_name}/{dtype_name}"] = d
            bad = {k: v for k, v in worst.items() if v > MAX_DRIFT[k.split("/")[1]]}
            if not bad:
                break
            rejected.append({"init": key, "seed": seed, "twin_drift": bad})
            print(f"{key}: seed {seed} rejected, twin drift {bad}", flush=True)
        inits[key] = {
            "seed": seed,
            "names": list(sd0),
            "shapes": [list(v.shape) for v in sd0.values()],
            "f32": b64(np.concatenate([v.numpy().ravel() for v in sd0.values()]), np.float32),
        }
        for (opt_name, dtype_name), ((losses, norms, params), d) in runs.items():
            ospec = OPTS[opt_name]
            cases.append({
                "cell": cell.split("_")[0],
                "nonlinearity": cell.split("_")[1] if cell.startswith("rnn") else None,
                "loss": loss,
                "init": key,
                "optimizer": ospec,
                "clip_norm": CLIP,
                "dtype": dtype_name,
                "steps": STEPS,
                "clipped_steps": int(np.sum(norms > CLIP)),
                "loss_f64": b64(losses, np.float64),
                "grad_norm_f64": b64(norms, np.float64),
                "check_steps": CHECK[dtype_name],
                "twin_drift": d,
                "params_after_check": b64(params[CHECK[dtype_name] - 1],
                                          np.float64 if dtype_name == "float64" else np.float32),
            })
            print(f"{key:14s} {opt_name:4s} {dtype_name}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, "
                  f"clipped {int(np.sum(norms > CLIP))}/{STEPS}, twin drift {d:.1e}", flush=True)

out = {
    "torch_version": torch.__version__,
    "numpy_version": np.__version__,
    "generator": "scripts/make_trajectory_fixtures.py",
    "T": T,
    "B": B,
    "H": H,
    "steps": STEPS,
    "data": DATA,
    "max_twin_drift": MAX_DRIFT,
    "rejected_seeds": rejected,
    "inits": inits,
    "cases": cases,
}
with open(args.out, "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(f"wrote {args.out} ({os.path.getsize(args.out) / 1024:.0f} KiB, {len(cases)} runs)")
