"""Training keeps freed memory for the next step instead of faulting it in again (glibc)."""

import platform
import resource
import sys

import numpy as np
import pytest

import learnet as tf

glibc_only = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc",
    reason="the allocator setting applies to glibc only",
)


def page_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


@glibc_only
def test_after_fit_large_arrays_reuse_freed_memory():
    model = tf.Sequential([tf.Input(shape=(4,)), tf.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((8, 4), "float32"), np.zeros((8, 2), "float32"), verbose=0)

    def step():
        # Like a convnet's training step: a few 20 MiB arrays alive at once, then all freed.
        blocks = [np.ones(5 * 1024 * 1024, dtype="float32") for _ in range(4)]
        del blocks

    for _ in range(2):  # the first rounds may still grow the heap
        step()
    before = page_faults()
    for _ in range(5):
        step()
    faults = page_faults() - before
    # Without the setting glibc trims the freed 80 MiB after each round and faults all
    # of its 20,480 pages in again in the next.
    assert faults < 1000, f"{faults} page faults in 5 rounds of 4 x 20 MiB"
