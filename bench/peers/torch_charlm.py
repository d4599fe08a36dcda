#!/usr/bin/env python3
"""PyTorch peer of `recur lm train` for `npm run bench -- lm` (character model, same wall-clock budget).

Usage: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers/torch_charlm.py '<json spec>'
Prints one JSON line: validation bits/char on the text's tail, tokens/s, steps, the BLAS kernel, ...

The same model and training as recur (src/lm/train.ts, src/cli/lm_train.ts):
- vocabulary: the text's characters sorted by code point; validation = the last `val` of the ids,
  training = the rest (or, with `dev` > 0, the end of the training part is evaluated instead);
- Embedding(V, E) -> dropout(input) -> LSTM or GRU (`cell`; E, H, layers, dropout between layers) -> dropout(output)
  -> Linear(H, V), softmax cross-entropy at every step; PyTorch's default initialisation (the same
  distributions as recur's) with recur's forget-gate bias: b_ih[f] = 1, b_hh[f] = 0;
- truncated BPTT over B streams: the ids cut into B contiguous streams of L = floor(N/B), windows of
  T steps with the state carried (detached) from window to window, reset to zero at each epoch;
- Adam (betas 0.9, 0.999, eps 1e-8), clip_grad_norm_(clip), learning rate: linear warm-up over
  `warmup` steps, then a cosine to `min_lr` over the fraction of the time budget spent (or over
  `decay_steps` steps when given) -- recur's timeScheduleLr;
- training stops when the training time (evaluation excluded) reaches the budget or `steps`;
- evaluation: the validation ids as `eval_batch` streams with the state carried, dropout off, the
  mean loss over the B * (L - 1) next-character targets (exactly those recur scores).
Threads: torch.set_num_threads(n) and the BLAS pool limited to n (threadpoolctl), OMP_WAIT_POLICY=PASSIVE
(the project's peer protocol, see bench/torch_rnn.py); the BLAS kernel threadpoolctl reports is recorded.
"""
import json
import math
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


class CharLM(nn.Module):
    def __init__(self, V, E, H, layers, dropout, in_drop, out_drop, cell="lstm"):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.drop_in = nn.Dropout(in_drop)
        rnn = nn.GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(E, H, layers, dropout=dropout if layers > 1 else 0.0)
        self.drop_out = nn.Dropout(out_drop)
        self.head = nn.Linear(H, V)
        if cell == "lstm":
            with torch.no_grad():  # recur's forget-gate bias (char-rnn's): b_ih[f] = 1, b_hh[f] = 0
                for k in range(layers):
                    getattr(self.rnn, f"bias_ih_l{k}")[H:2 * H] = 1.0
                    getattr(self.rnn, f"bias_hh_l{k}")[H:2 * H] = 0.0

    def forward(self, x, state):
        out, state = self.rnn(self.drop_in(self.emb(x)), state)
        return self.head(self.drop_out(out)), state


def streams(ids, B):
    L = len(ids) // B
    return ids[: L * B].view(B, L).t().contiguous()  # [L, B] time-major: data[t, b] = ids[b*L + t]


def evaluate(model, ids, B, T):
    B = max(1, min(B, len(ids) // 2))
    data = streams(ids, B)
    model.eval()
    nats, n, state = 0.0, 0, None
    with torch.no_grad():
        for a in range(0, data.shape[0] - 1, T):
            e = min(a + T, data.shape[0] - 1)
            logits, state = model(data[a:e], state)
            y = data[a + 1:e + 1].reshape(-1)
            nats += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y, reduction="sum").item()
            n += (e - a) * B
    model.train()
    return nats / n, n


def lr_at(s, step, progress):
    base, w, lo = s["lr"], s.get("warmup", 0), s.get("min_lr", 0.0)
    if w > 0 and step < w:
        return base * (step + 1) / w
    if s.get("schedule", "cosine") == "constant":
        return base
    if s.get("decay_steps"):
        p = min(1.0, (step - w) / max(1, s["decay_steps"] - w))
    else:
        p = min(1.0, max(0.0, progress))
    return lo + 0.5 * (base - lo) * (1 + math.cos(math.pi * p))


def main():
    s = json.loads(sys.argv[1])
    n_threads = int(s["threads"])
    torch.set_num_threads(n_threads)
    blas = []
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
        _keep = threadpool_limits(limits=n_threads, user_api="blas")  # noqa: F841
        keys = ("internal_api", "version", "architecture", "num_threads")
        blas = [{k: i.get(k) for k in keys} for i in threadpool_info()]
    except ImportError:
        pass
    torch.manual_seed(s.get("seed", 1))
    text = open(s["text"], encoding="utf-8").read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = int(len(ids) * s.get("val", 0.1))
    train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val:]
    if s.get("dev", 0) > 0:
        n_dev = int(len(train) * s["dev"])
        train, val = train[: len(train) - n_dev], train[len(train) - n_dev:]
    V, B, T = len(chars), s["batch"], s["bptt"]
    model = CharLM(V, s["embed"], s["hidden"], s["layers"], s.get("dropout", 0.0), s.get("input_dropout", 0.0),
                   s.get("output_dropout", 0.0), s.get("cell", "lstm"))
    opt = torch.optim.Adam(model.parameters(), lr=s["lr"], betas=(0.9, 0.999), eps=1e-8)
    data = streams(train, B)
    positions = data.shape[0] - 1
    budget = s.get("minutes", 0) * 60 or float("inf")
    max_steps = s.get("steps", 0) or float("inf")
    step, tokens, spent, epoch, stopped = 0, 0, 0.0, 0, "budget"
    load0 = os.getloadavg()
    while True:
        state, pos = None, 0
        while pos < positions:
            if spent >= budget or step >= max_steps:
                break
            t0 = time.perf_counter()
            for g in opt.param_groups:
                g["lr"] = lr_at(s, step, spent / budget if budget != float("inf") else 0.0)
            e = min(pos + T, positions)
            opt.zero_grad()
            logits, state = model(data[pos:e], state)
            loss = F.cross_entropy(logits.reshape(-1, V), data[pos + 1:e + 1].reshape(-1))
            loss.backward()
            if s.get("clip", 0) > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), s["clip"])
            opt.step()
            state = state.detach() if torch.is_tensor(state) else tuple(x.detach() for x in state)
            tokens += (e - pos) * B
            pos, step = e, step + 1
            spent += time.perf_counter() - t0
        else:
            epoch += 1
            continue
        stopped = "steps" if step >= max_steps else "budget"
        break
    t0 = time.perf_counter()
    loss, n = evaluate(model, val, s.get("eval_batch", 16), T)
    where = f"the text's last {s.get('val', 0.1)}"
    if s.get("dev", 0) > 0:
        where = f"dev: the last {s['dev']} of the training part"
    print(json.dumps({
        "implementation": "pytorch",
        "val_loss": loss,
        "val_bits_per_char": loss / math.log(2),
        "val_tokens": n,
        "evaluated_on": where,
        "steps": step,
        "epochs_seen": tokens / (positions * B),
        "seconds": spent,
        "tokens": tokens,
        "tokens_per_s": tokens / spent if spent > 0 else 0,
        "eval_seconds": time.perf_counter() - t0,
        "stopped": stopped,
        "parameters": sum(p.numel() for p in model.parameters()),
        "threads": n_threads,
        "torch": torch.__version__,
        "blas": blas,
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "openblas_env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
        "load_average": {"start": [round(x, 2) for x in load0], "end": [round(x, 2) for x in os.getloadavg()]},
    }))


main()
