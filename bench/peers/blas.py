"""The BLAS kernel a peer ran, for the benchmark rows (see bench/peers/env.ts): call blas_kernel()
after importing numpy or torch (which load the library). threadpoolctl reports OpenBLAS's
internal_api, version and architecture, e.g. 'openblas 0.3.21 Cooperlake'; 'Haswell' here means
the peer ran with OPENBLAS_CORETYPE set (AVX2 kernels on an AVX-512 machine)."""


def blas_kernel():
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (no threadpoolctl)"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return ", ".join(
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}" for i in libs
    ) or "none loaded"
