"""Both cores for element-wise work: a small thread pool that splits arrays along their first axis.

NumPy's ufuncs release the GIL while they loop over a large array, so the same ufuncs
run by two threads on two halves of a batch use two cores, with no compiled code of our
own. The matrix products already run on every core (BLAS has its own threads); the
element-wise passes between them (bias and ReLU, their gradients, pooling, the
optimizer's update) ran on one core while the others idled.

``split_run(function, arrays)`` calls ``function`` on equal slices of ``arrays`` along
axis 0, one slice per thread (the calling thread takes the first), and returns when all
are done. It is only for functions that work slice by slice (element-wise, or
independent per image), write only into their slices, and return nothing. Small arrays
run in one call on the calling thread: handing work to another thread costs tens of
microseconds, more than a pass over a few hundred kilobytes.

The number of threads is ``LEARNET_NUM_THREADS`` if set (``set_num_threads`` changes
it at run time), else 1: serial, the plain NumPy reference the threaded results are
tested against (element-wise work gives bit-identical results either way). Serial is
the default until splitting is shown to pay: on a machine whose cores are all busy
with other work, a second thread only waits for a core, and the interleaved A/B
timings (``benchmarks/kernel_ab.py --only threads``) measured up to 3x slower passes
that way; on free cores it is the textbook gain. Inside a training step a second
thread also shares its core with OpenBLAS's own: after every matrix product on more
than one thread, OpenBLAS's workers busy-wait for their next job for about 0.1 s
(``OPENBLAS_THREAD_TIMEOUT``, read when it loads; see ``benchmarks/README.md``, round
fifteen). Measure on the machine you train on.

Examples
--------
>>> import numpy as np
>>> from learnet.ops.parallel import split_run
>>> x = np.arange(6.0).reshape(3, 2)
>>> split_run(lambda a: np.multiply(a, 2, out=a), [x], min_elements=0)   # serial unless threads are set
>>> x[:, 0]
array([0., 4., 8.])
"""

import os
import threading
from concurrent.futures import ThreadPoolExecutor

# Below this many elements, one pass costs less than waking another thread.
MIN_ELEMENTS = 1 << 16

_PREFIX = "learnet-elementwise"
_state = {"threads": None, "pool": None, "pool_threads": 0}
_lock = threading.Lock()


def _default_threads():
    value = os.environ.get("LEARNET_NUM_THREADS", "").strip()
    if not value:
        return 1
    try:
        threads = int(value)
    except ValueError:
        threads = 0
    if threads < 1:
        raise ValueError(f"LEARNET_NUM_THREADS must be a positive whole number of threads, got {value!r}")
    return threads


def num_threads():
    """The threads element-wise work is split over (1: serial)."""
    if _state["threads"] is None:
        _state["threads"] = _default_threads()
    return _state["threads"]


def set_num_threads(threads):
    """Split element-wise work over ``threads`` threads from now on (1: serial, the NumPy reference)."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"set_num_threads: threads must be a positive int, got {threads!r}")
    _state["threads"] = threads


def _pool(workers):
    with _lock:
        if _state["pool_threads"] < workers:
            old = _state["pool"]
            _state["pool"] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=_PREFIX)
            _state["pool_threads"] = workers
            if old is not None:
                old.shutdown(wait=False)
        return _state["pool"]


def split_run(function, arrays, min_elements=None):
    """Run ``function(*slices)`` on equal slices of ``arrays`` along axis 0, one per thread.

    Every array must have the same length along axis 0. Serial (one call with the whole
    arrays) with one thread, fewer than two rows, or fewer than ``min_elements``
    elements in the first array (default ``MIN_ELEMENTS``). An exception in any slice is
    raised here.
    """
    rows = arrays[0].shape[0] if arrays[0].ndim else 0
    threads = min(num_threads(), rows)
    if (
        threads < 2
        or arrays[0].size < (MIN_ELEMENTS if min_elements is None else min_elements)
        or threading.current_thread().name.startswith(_PREFIX)
    ):
        # (A slice already running on a pool thread never waits on the pool: no deadlock.)
        function(*arrays)
        return
    bounds = [rows * k // threads for k in range(threads + 1)]
    pool = _pool(threads - 1)
    futures = [pool.submit(function, *[a[bounds[k] : bounds[k + 1]] for a in arrays]) for k in range(1, threads)]
    try:
        function(*[a[: bounds[1]] for a in arrays])
    finally:
        for future in futures:
            future.result()


def flat_views(arrays):
    """One-dimensional views of C-contiguous arrays, or None if any would be a copy."""
    if not all(a.flags.c_contiguous for a in arrays):
        return None
    return [a.reshape(-1) for a in arrays]


__all__ = ["MIN_ELEMENTS", "flat_views", "num_threads", "set_num_threads", "split_run"]
