#!/usr/bin/python3
"""Python peers for `npm run bench -- hash` on the synthetic CTR data (../shared/tools/make_ctr.py).

Usage: /usr/bin/python3 ctr_python.py sklearn|ftrl TRAIN.csv TEST.csv
Prints one JSON object: train rows/s, progressive log-loss, test log-loss / AUC, peak RSS (MiB).

  sklearn: FeatureHasher(2**20, input_type='string', alternate_sign=True) + SGDClassifier(loss='log_loss')
           with its defaults, partial_fit on 10k-row chunks, progressive predict before each chunk
           (the configuration the anchor calls sklearn_sgd_default).
  ftrl:    pure-Python FTRL-Proximal (alpha 0.1, beta 1, L1 1, L2 1) over abs(hash(col + '=' + value)) % 2**20
           plus a bias (the anchor's ftrl_proximal).
Both hash every column as a string token (missing = its own token), no crosses, one pass, one thread.
"""
import csv
import json
import math
import os
import resource
import sys
import time

from blas import blas_kernel  # bench/peers/blas.py (this script's folder is on sys.path)

os.environ.setdefault("OMP_NUM_THREADS", "1")
D = 2 ** 20


def rows(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        for row in r:
            yield header, row


def auc(y, p):
    import numpy as np
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    idx = np.flatnonzero(np.diff(ps)) + 1
    starts = np.concatenate(([0], idx))
    ends = np.concatenate((idx, [len(p)]))
    r = np.empty(len(p))
    r[order] = np.repeat((starts + ends - 1) / 2.0 + 1, ends - starts)
    npos = y.sum()
    return float((r[y == 1].sum() - npos * (npos + 1) / 2) / (npos * (len(y) - npos)))


def logloss(y, p):
    s = 0.0
    for yi, pi in zip(y, p):
        pi = min(max(pi, 1e-15), 1 - 1e-15)
        s += -math.log(pi) if yi else -math.log(1 - pi)
    return s / len(y)


def run_sklearn(train, test):
    import numpy as np
    from sklearn.feature_extraction import FeatureHasher
    from sklearn.linear_model import SGDClassifier
    fh = FeatureHasher(n_features=D, input_type="string", alternate_sign=True)
    clf = SGDClassifier(loss="log_loss")
    t0, c0 = time.time(), time.process_time()
    n, prog, fitted = 0, 0.0, False

    def chunks(path, size=10000):
        ys, toks = [], []
        for header, row in rows(path):
            ys.append(int(row[0]))
            toks.append([f"{c}={v}" for c, v in zip(header[1:], row[1:])])
            if len(ys) == size:
                yield np.array(ys), toks
                ys, toks = [], []
        if ys:
            yield np.array(ys), toks

    for y, toks in chunks(train):
        X = fh.transform(toks)
        if fitted:
            p = clf.predict_proba(X)[:, 1]
            prog += logloss(y, p) * len(y)
        else:
            prog += math.log(2) * len(y)
        clf.partial_fit(X, y, classes=[0, 1])
        fitted = True
        n += len(y)
    train_s, train_cpu = time.time() - t0, time.process_time() - c0
    ys, ps = [], []
    for y, toks in chunks(test):
        ys.extend(y.tolist())
        ps.extend(clf.predict_proba(fh.transform(toks))[:, 1].tolist())
    return n, train_s, train_cpu, prog / n, ys, ps


def run_ftrl(train, test, alpha=0.1, beta=1.0, L1=1.0, L2=1.0):
    z = [0.0] * D
    nn = [0.0] * D

    def feats(header, row):
        return [0] + [abs(hash(c + "=" + v)) % D for c, v in zip(header[1:], row[1:])]

    def predict(x):
        w = {}
        wx = 0.0
        for i in x:
            zi = z[i]
            if abs(zi) <= L1:
                w[i] = 0.0
            else:
                w[i] = (math.copysign(L1, zi) - zi) / ((beta + math.sqrt(nn[i])) / alpha + L2)
            wx += w[i]
        return 1.0 / (1.0 + math.exp(-max(min(wx, 35.0), -35.0))), w

    t0, c0 = time.time(), time.process_time()
    n, prog = 0, 0.0
    for header, row in rows(train):
        y = int(row[0])
        x = feats(header, row)
        p, w = predict(x)
        prog += -math.log(max(p, 1e-15)) if y else -math.log(max(1 - p, 1e-15))
        g = p - y
        for i in x:
            sigma = (math.sqrt(nn[i] + g * g) - math.sqrt(nn[i])) / alpha
            z[i] += g - sigma * w[i]
            nn[i] += g * g
        n += 1
    train_s, train_cpu = time.time() - t0, time.process_time() - c0
    ys, ps = [], []
    for header, row in rows(test):
        ys.append(int(row[0]))
        ps.append(predict(feats(header, row))[0])
    return n, train_s, train_cpu, prog / n, ys, ps


def main():
    which, train, test = sys.argv[1:4]
    n, train_s, train_cpu, prog, ys, ps = (run_sklearn if which == "sklearn" else run_ftrl)(train, test)
    print(json.dumps(dict(learner=which, rows=n, seconds=train_s, rowsPerSec=n / train_s, progressiveLoss=prog,
                          cpuSeconds=train_cpu, rowsPerCpuSec=n / train_cpu,
                          testLogLoss=logloss(ys, ps), testAuc=auc(ys, ps),
                          peakRssMiB=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, blas=blas_kernel())))


if __name__ == "__main__":
    main()
