"""Matrix-product peak: the best float32 GFLOP/s a framework reaches on this machine.

What it measures: ``a @ b`` for square float32 matrices of a few sizes
(default 512, 1024, 2048), each timed several times after a warm-up; the best
rate over all sizes and repeats is the peak, counting ``2 * n**3`` FLOPs per
product. With ``--framework numpy`` (the default) this is the ceiling for any
NumPy-based library, learnet included: the MLP epoch's achieved GFLOP/s is
reported as a percentage of it. ``--framework torch`` measures PyTorch's own
BLAS (MKL/oneDNN in the CPU build) for reference.

Thread count: ``--threads`` (applied through the environment before import,
and ``torch.set_num_threads`` for PyTorch).
"""

from __future__ import annotations

import argparse
import sys
import time

import common


def measure(matmul, make, sizes, repeats: int) -> dict:
    rates = {}
    for n in sizes:
        a, b, out = make(n), make(n), make(n)
        matmul(a, b, out)
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            matmul(a, b, out)
            best = min(best, time.perf_counter() - start)
        rates[str(n)] = 2.0 * n**3 / best / 1e9
    return {"gflops_by_size": rates, "peak_gflops": max(rates.values())}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=("numpy", "torch"), default="numpy")
    parser.add_argument("--sizes", default="512,1024,2048")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    common.apply_threads(args.threads)
    sizes = [int(s) for s in args.sizes.split(",")]

    import numpy as np

    rng = np.random.default_rng(0)

    def make_numpy(n):
        return rng.standard_normal((n, n), dtype=np.float32)

    if args.framework == "numpy":
        result = measure(lambda a, b, out: np.matmul(a, b, out=out), make_numpy, sizes, args.repeats)
    else:
        try:
            import torch
        except ImportError as error:
            common.emit({"available": False, "reason": f"torch not importable: {error}"})
            return 0
        torch.set_num_threads(args.threads)
        result = measure(
            lambda a, b, out: torch.mm(a, b, out=out), lambda n: torch.from_numpy(make_numpy(n)), sizes, args.repeats
        )
    common.emit({"available": True, "framework": args.framework, "threads": args.threads, **result})
    return 0


if __name__ == "__main__":
    sys.exit(main())
