"""What the tests of the compiled kernels share: each case run with both kernel choices.

``restore_kernels`` is an autouse fixture for the modules that import it: a test may switch
the kernels (``both`` does), and the next test starts with the choice it found.
"""

import numpy as np
import pytest

from learnet.ops import compiled


@pytest.fixture(autouse=True)
def restore_kernels():
    before = compiled.kernels()
    yield
    compiled.set_kernels(before)


def both(fn):
    """``fn()`` with the NumPy kernels, then with the compiled ones."""
    results = []
    for name in ("numpy", "numba"):
        compiled.set_kernels(name)
        results.append(fn())
    return results


def close(a, b, dtype):
    """Equal to rounding: the compiled kernels may add the same terms in another order."""
    rtol, atol = (1e-5, 1e-5) if dtype == np.float32 else (1e-12, 1e-12)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
