#!/usr/bin/env python3
"""PyTorch peer for `npm run bench` (suite rnn: CPU; suite webgpu: "device": "cuda", cuDNN): one row per
process, so peak RSS is per row.

Usage: /usr/bin/python3 bench/torch_rnn.py \
  '{"config":"C1","cell":"lstm","threads":1,"warmup":3,"steps":10,"budgetS":20}'
Prints one JSON line {ms_per_step, cpu_ms_per_step, steps, warmup, min_ms, max_ms, peak_rss_mb, torch, device,
blas}: `blas` is the BLAS kernel OpenBLAS ran (threadpoolctl's architecture; bench/peers/blas.py). The bench
starts this script without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (bench/peers/env.ts), which would force AVX2
kernels here. On CUDA every timed step ends with torch.cuda.synchronize() (the GPU's work is done, as recur's
read-back of the loss waits for it).

Same configurations and step as recur (bench/rnn_configs.ts, DESIGN.md): zero_grad + forward +
loss + full BPTT + SGD(lr=0.01); C4 = forward of nn.LSTM(32, 256) over T=1000, B=1 under no_grad.
Threads (as ../shared/tools/torch_bench.py): torch.set_num_threads(n) AND the BLAS pool limited
to n (threadpoolctl, else openblas_set_num_threads via ctypes): Debian's torch calls OpenBLAS,
whose own pool otherwise uses every core. OMP_WAIT_POLICY=PASSIVE is set before torch loads.
"""
import ctypes
import json
import os
import resource
import statistics
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from blas import blas_kernel  # noqa: E402


def limit_blas(n):
    try:
        from threadpoolctl import threadpool_limits
        return threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        pass
    for line in open("/proc/self/maps"):
        if "libopenblas" in line:
            try:
                ctypes.CDLL(line.split()[-1]).openblas_set_num_threads(n)
                return None
            except (OSError, AttributeError):
                pass
    return None


CELLS = {"rnn": lambda i, h: nn.RNN(i, h, nonlinearity="tanh"), "lstm": nn.LSTM, "gru": nn.GRU}
CFG = {  # input, vocab, hidden, B, T, out, head
    "C1": (2, None, 128, 32, 100, 1, "last"),
    "C2": (64, 65, 256, 32, 64, 65, "every"),
    "C3": (128, None, 512, 64, 50, 128, "every"),
    "C4": (32, None, 256, 1, 1000, 0, "none"),
}


class Model(nn.Module):
    def __init__(self, cell, inp, vocab, hidden, out, head):
        super().__init__()
        self.emb = nn.Embedding(vocab, inp) if vocab else None
        self.rnn = CELLS[cell](inp, hidden)
        self.head = nn.Linear(hidden, out)
        self.last = head == "last"
        self.xent = vocab is not None

    def loss(self, x, y):
        out, _ = self.rnn(self.emb(x) if self.emb is not None else x)
        if self.last:
            return F.mse_loss(self.head(out[-1]), y)
        p = self.head(out)
        return F.cross_entropy(p.reshape(-1, p.shape[-1]), y.reshape(-1)) if self.xent else F.mse_loss(p, y)


def main():
    spec = json.loads(sys.argv[1])
    n = int(spec["threads"])
    dev = torch.device(spec.get("device", "cpu"))
    torch.set_num_threads(n)
    _keep = limit_blas(n)  # noqa: F841 (the limit holds while the object lives)
    inp, vocab, hidden, B, T, out, head = CFG[spec["config"]]
    g = torch.Generator().manual_seed(1234)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if head == "none":
        m = nn.LSTM(inp, hidden).to(dev)
        x = torch.randn(T, B, inp, generator=g).to(dev)

        def step():
            with torch.no_grad():
                m(x)
            sync()
    else:
        m = Model(spec["cell"], inp, vocab, hidden, out, head).to(dev)
        opt = torch.optim.SGD(m.parameters(), lr=0.01)
        if vocab:
            x = torch.randint(0, vocab, (T, B), generator=g).to(dev)
            y = torch.randint(0, vocab, (T, B), generator=g).to(dev)
        else:
            x = torch.randn(T, B, inp, generator=g).to(dev)
            y = (torch.randn(B, out, generator=g) if head == "last" else torch.randn(T, B, out, generator=g)).to(dev)

        def step():
            opt.zero_grad()
            m.loss(x, y).backward()
            opt.step()
            sync()

    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    warm, steps, budget = int(spec["warmup"]), int(spec["steps"]), float(spec["budgetS"])
    more = 0 if first > budget / 13 else max(0, warm - 1)
    if first > budget / 13:
        steps = max(3, min(steps, int(budget / first)))
    for _ in range(more):
        step()
    ms, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        ms.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    print(json.dumps({
        "ms_per_step": statistics.median(ms), "cpu_ms_per_step": statistics.median(cpu), "steps": steps,
        "warmup": 1 + more, "min_ms": min(ms), "max_ms": max(ms),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "torch": torch.__version__,
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "blas": blas_kernel()}))


main()
