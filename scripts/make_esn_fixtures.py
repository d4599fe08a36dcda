"""Writes fixtures/esn/spectral.json: sparse random matrices drawn by numpy (independent of
recur's Rng) and their spectral radius from a dense eigen-decomposition, the oracle the
tests hold csrSpectralRadius to (1%). Run: python3 scripts/make_esn_fixtures.py"""
import json
import numpy as np

rng = np.random.default_rng(7)
out = []
for n, density in [(120, 0.05), (80, 0.2)]:
    A = np.where(rng.random((n, n)) < density, rng.standard_normal((n, n)), 0.0)
    A = np.round(A, 10)
    rho = float(np.max(np.abs(np.linalg.eigvals(A))))
    i, j = np.nonzero(A)
    out.append({"n": n, "density": density, "rows": i.tolist(), "cols": j.tolist(), "values": A[i, j].tolist(),
                "rho": rho})
json.dump({"source": "numpy.linalg.eigvals on numpy-generated sparse matrices (seed 7)", "matrices": out},
          open("fixtures/esn/spectral.json", "w"))
print([m["rho"] for m in out])
