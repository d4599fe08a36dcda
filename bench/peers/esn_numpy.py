#!/usr/bin/python3
"""A live stand-in for ReservoirPy 0.4.2's Model.fit (which cannot be installed here: no PyPI),
doing the same arithmetic with the same libraries the anchor used (Debian numpy 1.24 + scipy 1.10,
OpenBLAS): scipy.sparse CSR reservoir (normal weights, rc_connectivity 0.1, scaled to sr by
scipy.sparse.linalg.eigs), Bernoulli +-1 input weights (input_connectivity 0.1) times input_scaling,
    x[t] = (1 - lr) x[t-1] + lr tanh(W x[t-1] + Win u[t] + bias)
then ReservoirPy's Ridge: X' = [1 X], XXT = X'^T X', YXT = Y^T X', Wout = solve(XXT + ridge I, YXT^T,
assume_a='sym'). The input drive Win u[t] is computed for all steps at once, so the loop is one
sparse mat-vec, a tanh and two vector operations per step: leaner than ReservoirPy's node
machinery, so beating it is at least as hard as beating ReservoirPy (compare its times with the
anchor's to see how fast this machine is today).

Usage: /usr/bin/python3 bench/peers/esn_numpy.py SERIES.json SEED N [N ...]   (prints one JSON line per N,
with the BLAS kernel it ran; the bench starts it without OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE)
"""
import json, sys, time
import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl
import scipy.linalg as la
from blas import blas_kernel  # bench/peers/blas.py (this script's folder is on sys.path)

TRAIN, WARMUP, LR, SR, SCALE, RIDGE = 4000, 200, 0.3, 1.25, 1.0, 1e-5


def main():
    series = json.load(open(sys.argv[1]))['mackey_glass']
    seed = int(sys.argv[2])
    X = np.asarray(series['series'][str(seed)], dtype=np.float64).reshape(-1)
    for N in map(int, sys.argv[3:]):
        rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        W = sp.random(N, N, density=0.1, format='csr', random_state=rng, data_rvs=rng.standard_normal)
        rho = abs(spl.eigs(W, k=1, which='LM', return_eigenvectors=False, v0=np.ones(N))[0])
        W = (W * (SR / rho)).tocsr()
        Win = sp.random(N, 1, density=0.1, format='csr', random_state=rng,
                        data_rvs=lambda n: rng.choice([-1.0, 1.0], n)) * SCALE
        Win = Win.tocsr()
        init = time.perf_counter() - t0
        u, y = X[:TRAIN].reshape(-1, 1), X[1:TRAIN + 1].reshape(-1, 1)
        t0 = time.perf_counter()
        states = np.empty((TRAIN, N))
        x = np.zeros(N)
        drive = np.asarray(Win @ u.T).T  # Win u[t] for every t in one product: the loop then has one sparse mat-vec
        for t in range(TRAIN):
            x = (1 - LR) * x + LR * np.tanh(W @ x + drive[t])
            states[t] = x
        run = time.perf_counter() - t0
        t1 = time.perf_counter()
        Xb = np.hstack([np.ones((TRAIN - WARMUP, 1)), states[WARMUP:]])
        Y = y[WARMUP:]
        XXT, YXT = Xb.T @ Xb, Y.T @ Xb
        ridge = RIDGE * np.eye(N + 1)
        ridge[0, 0] = 0
        Wout = la.solve(XXT + ridge, YXT.T, assume_a='sym')
        solve = time.perf_counter() - t1
        pred = states[WARMUP:] @ Wout[1:] + Wout[0]
        nrmse = float(np.sqrt(np.mean((pred - Y) ** 2)) / np.std(Y))
        print(json.dumps({'N': N, 'seed': seed, 'init': init, 'run': run, 'ridge': solve, 'fit': run + solve,
                          'train_nrmse_std': nrmse, 'blas': blas_kernel()}), flush=True)


if __name__ == '__main__':
    main()
