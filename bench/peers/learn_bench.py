#!/usr/bin/env python3
"""Learning-quality anchors: adding problem and temporal-order (2-bit) with PyTorch.

Copied from ../shared/tools/learn_bench.py (the anchors' protocol, anchors/learn.md) for
`npm run bench -- learn`, with two additions that leave the default run unchanged:
  --criteria both   (adding) also scores recur's criterion, the fraction of test sequences with
                    squared error > 0.04, and runs until both are < 0.01, recording the step of each
                    (steps_to_solve_mse, steps_to_solve_wrong);
  architecture      the BLAS kernel threadpoolctl reports is recorded with the thread settings;

One run = one (task, T, model, seed).  Writes one JSON file per run.
The driver (run_learn.py) schedules runs (<= 2 at a time, one per core) and
merges them into results/learn.json + results/learn.md.

  /usr/bin/python3 learn_bench.py --task adding --T 100 --model lstm --seed 1 \
      --out results/runs/adding_T100_lstm_s1.json

Data generators (numpy PCG64, np.random.default_rng):
  training stream  rng = default_rng([seed, TASK_ID, T])        (same batches for every model)
  test set         rng = default_rng([seed, TASK_ID, T, 7777])  (1000 sequences, generated once,
                                                                 disjoint stream from training)
  TASK_ID: adding = 1, order = 2.

  adding(B, T):  vals = rng.random((B,T))                  # U[0,1)
                 i1 = rng.integers(0, T//2, B)             # first marker, first half
                 i2 = rng.integers(T//2, T, B)             # second marker, second half
                 x[t,b] = (vals[b,t], 1 if t in {i1[b],i2[b]} else 0)      (2 channels)
                 y[b] = vals[b,i1[b]] + vals[b,i2[b]]
                 loss: MSE of Linear(H->1) on the last hidden state.  Always-1.0 baseline MSE = 1/6.
                 solved: test MSE < 0.01.
  order(B, T):   seq = rng.integers(2, 6, (B,T))           # distractors c,d,e,f = 2..5
                 t1 = rng.integers(int(0.1T), int(0.2T), B); t2 = rng.integers(int(0.5T), int(0.6T), B)
                 s1 = rng.integers(0, 2, B); s2 = rng.integers(0, 2, B)      # A=0, B=1
                 seq[b,t1]=s1; seq[b,t2]=s2;  x = one_hot(seq, 6);  y = 2*s1 + s2  (AA,AB,BA,BB)
                 loss: softmax cross-entropy of Linear(H->4) on the last hidden state.
                 solved: test error rate < 1% (fewer than 10 of 1000 wrong).
"""
import argparse
import json
import math
import os
import platform
import sys
import time

# thread settings must precede the torch / numpy import
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

TASK_ID = {"adding": 1, "order": 2}
N_TEST = 1000


# ----------------------------------------------------------------------------- data
def gen_adding(rng, B, T):
    vals = rng.random((B, T))
    i1 = rng.integers(0, T // 2, B)
    i2 = rng.integers(T // 2, T, B)
    ar = np.arange(B)
    mark = np.zeros((B, T))
    mark[ar, i1] = 1.0
    mark[ar, i2] = 1.0
    x = np.stack([vals, mark], axis=-1).transpose(1, 0, 2)  # (T,B,2)
    y = vals[ar, i1] + vals[ar, i2]
    return (torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
            torch.from_numpy(y.astype(np.float32)).unsqueeze(1))


def gen_order(rng, B, T):
    seq = rng.integers(2, 6, (B, T))
    t1 = rng.integers(int(0.1 * T), int(0.2 * T), B)
    t2 = rng.integers(int(0.5 * T), int(0.6 * T), B)
    s1 = rng.integers(0, 2, B)
    s2 = rng.integers(0, 2, B)
    ar = np.arange(B)
    seq[ar, t1] = s1
    seq[ar, t2] = s2
    x = np.eye(6, dtype=np.float32)[seq].transpose(1, 0, 2)  # (T,B,6)
    y = 2 * s1 + s2
    return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(y.astype(np.int64))


GEN = {"adding": gen_adding, "order": gen_order}
IN_DIM = {"adding": 2, "order": 6}
OUT_DIM = {"adding": 1, "order": 4}


# ----------------------------------------------------------------------------- models
class Net(nn.Module):
    def __init__(self, kind, n_in, n_hidden, n_out):
        super().__init__()
        if kind in ("rnn_tanh", "rnn_tanh_orth"):
            self.rnn = nn.RNN(n_in, n_hidden, nonlinearity="tanh")
        elif kind == "irnn":
            self.rnn = nn.RNN(n_in, n_hidden, nonlinearity="relu")
        elif kind == "lstm":
            self.rnn = nn.LSTM(n_in, n_hidden)
        elif kind == "gru":
            self.rnn = nn.GRU(n_in, n_hidden)
        else:
            raise ValueError(kind)
        self.head = nn.Linear(n_hidden, n_out)
        H = n_hidden
        with torch.no_grad():
            if kind == "rnn_tanh_orth":
                nn.init.orthogonal_(self.rnn.weight_hh_l0)
            elif kind == "irnn":
                self.rnn.weight_hh_l0.copy_(torch.eye(H))
                self.rnn.bias_ih_l0.zero_()
                self.rnn.bias_hh_l0.zero_()
            elif kind == "lstm":
                # gate order i,f,g,o; total forget-gate bias (b_ih + b_hh) = 1, other biases default
                self.rnn.bias_ih_l0[H:2 * H].fill_(1.0)
                self.rnn.bias_hh_l0[H:2 * H].zero_()

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[-1])


# letter -> (module kind, optimizer, lr, momentum, clip)
MODELS = {
    "a": ("rnn_tanh", "sgd", 1e-2, 0.9, None),
    "b": ("rnn_tanh_orth", "sgd", 1e-2, 0.9, 1.0),
    "c": ("irnn", "sgd", 1e-3, 0.9, 1.0),
    "d": ("lstm", "adam", 1e-3, None, 1.0),
    "e": ("gru", "adam", 1e-3, None, 1.0),
}
NAMES = {"a": "tanh-RNN", "b": "tanh-RNN+clip+orth", "c": "IRNN", "d": "LSTM", "e": "GRU"}


def wrong_fraction(pred, y):
    """recur's criterion for adding: the fraction of sequences with squared error > 0.04 (double precision)."""
    return ((pred.double() - y.double()) ** 2 > 0.04).sum().item() / y.numel()


def metric(task, pred, y):
    if task == "adding":
        return F.mse_loss(pred, y).item()
    # exact error fraction in double precision (float32 mean of 10/1000 is 0.0099999998 < 0.01)
    return (pred.argmax(1) != y).sum().item() / y.numel()


def loss_fn(task, pred, y):
    return F.mse_loss(pred, y) if task == "adding" else F.cross_entropy(pred, y)


def thread_info():
    info = {"torch_threads": torch.get_num_threads(), "torch_interop_threads": torch.get_num_interop_threads(),
            "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}
    try:
        from threadpoolctl import threadpool_info
        info["threadpools"] = [{k: p.get(k) for k in ("user_api", "internal_api", "num_threads", "version",
                                                      "architecture")}
                               for p in threadpool_info()]
    except Exception as e:  # pragma: no cover
        info["threadpools"] = str(e)
    try:
        info["affinity"] = sorted(os.sched_getaffinity(0))
    except Exception:
        pass
    return info


def run(args):
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=1, user_api="blas")
    except Exception:
        pass

    kind, opt_name, lr, mom, clip = MODELS[args.model]
    if args.lr is not None:
        lr = args.lr
    task, T = args.task, args.T
    gen = GEN[task]
    rng_train = np.random.default_rng([args.seed, TASK_ID[task], T])
    rng_test = np.random.default_rng([args.seed, TASK_ID[task], T, 7777])
    xt, yt = gen(rng_test, N_TEST, T)

    torch.manual_seed(args.seed)
    net = Net(kind, IN_DIM[task], args.hidden, OUT_DIM[task])
    if opt_name == "sgd":
        opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=mom)
    else:
        opt = torch.optim.Adam(net.parameters(), lr=lr)

    rec = {"task": task, "T": T, "model": args.model, "model_name": NAMES[args.model], "cell": kind,
           "seed": args.seed, "hidden": args.hidden, "batch": args.batch, "optimizer": opt_name, "lr": lr,
           "momentum": mom, "clip_grad_norm": clip, "max_steps": args.max_steps,
           "max_wall_s": args.max_seconds, "eval_every": args.eval_every,
           "solve_threshold": 0.01, "metric_name": "test_mse" if task == "adding" else "test_error_rate",
           "torch_version": torch.__version__, "python": platform.python_version(),
           "threads": thread_info(), "tag": args.tag}

    both = args.criteria == "both" and task == "adding"
    wrong = {}  # step -> recur's criterion (adding, --criteria both)

    def evaluate(step=0):
        net.eval()
        with torch.no_grad():
            pred = net(xt)
            m = metric(task, pred, yt)
            if both:
                wrong[step] = wrong_fraction(pred, yt)
        net.train()
        return m

    curve = []
    m0 = evaluate()
    curve.append({"step": 0, "metric": m0, "train_loss": None, "train_s": 0.0})
    solved = False
    steps_to_solve = None
    steps_to_solve_wrong = None
    s_to_solve = None
    status = "budget_steps"
    train_s = 0.0
    wall0 = time.perf_counter()
    loss_acc, n_acc = 0.0, 0
    step = 0
    while step < args.max_steps:
        t0 = time.perf_counter()
        x, y = gen(rng_train, args.batch, T)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(task, net(x), y)
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip)
        opt.step()
        lv = loss.item()
        train_s += time.perf_counter() - t0
        step += 1
        loss_acc += lv
        n_acc += 1
        if not math.isfinite(lv):
            status = "diverged"
            curve.append({"step": step, "metric": float("nan"), "train_loss": lv, "train_s": round(train_s, 3)})
            break
        if step % args.eval_every == 0:
            m = evaluate(step)
            curve.append({"step": step, "metric": m, "train_loss": loss_acc / n_acc, "train_s": round(train_s, 3)})
            if both:
                curve[-1]["wrong_fraction"] = wrong[step]
            loss_acc, n_acc = 0.0, 0
            if not math.isfinite(m):
                status = "diverged"
                break
            if m < 0.01 and steps_to_solve is None:
                solved, steps_to_solve, s_to_solve = True, step, train_s
            if both and wrong[step] < 0.01 and steps_to_solve_wrong is None:
                steps_to_solve_wrong = step
            if steps_to_solve is not None and (not both or steps_to_solve_wrong is not None):
                status = "solved"
                break
            if time.perf_counter() - wall0 > args.max_seconds:
                status = "budget_wall"
                break
            if args.verbose:
                print(f"{task} T={T} {args.model} step {step} metric {m:.4f} train_s {train_s:.1f}",
                      file=sys.stderr, flush=True)
    wall = time.perf_counter() - wall0
    if both:
        rec.update(criteria="both", steps_to_solve_mse=steps_to_solve, steps_to_solve_wrong=steps_to_solve_wrong)
    rec.update(solved=solved, status=status, steps_run=step, steps_to_solve=steps_to_solve,
               train_s_to_solve=None if s_to_solve is None else round(s_to_solve, 2),
               train_s_total=round(train_s, 2), wall_s_total=round(wall, 2),
               ms_per_step=round(1000 * train_s / max(step, 1), 3),
               final_metric=curve[-1]["metric"], best_metric=min((c["metric"] for c in curve
                                                                   if math.isfinite(c["metric"])), default=None),
               curve=curve)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        tmp = args.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(rec, f)
        os.replace(tmp, args.out)
    print(f"{task} T={T} {args.model}({NAMES[args.model]}) lr={lr}: {status} steps={step} "
          f"final={rec['final_metric']:.4g} train_s={train_s:.1f} wall={wall:.1f} ms/step={rec['ms_per_step']}",
          flush=True)
    return rec


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["adding", "order"], required=True)
    ap.add_argument("--T", type=int, required=True)
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=None, help="override the model's default lr")
    ap.add_argument("--max-steps", type=int, default=10000)
    ap.add_argument("--max-seconds", type=float, default=480.0)
    ap.add_argument("--eval-every", type=int, default=100)
    ap.add_argument("--tag", default="main")
    ap.add_argument("--criteria", choices=["mse", "both"], default="mse",
                    help="adding: also run until recur's criterion (< 1%% with squared error > 0.04) is met")
    ap.add_argument("--out", default=None)
    ap.add_argument("--verbose", action="store_true")
    run(ap.parse_args())


if __name__ == "__main__":
    main()
