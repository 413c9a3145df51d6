"""``tf.test``: is there a GPU, and a ``unittest.TestCase`` with TensorFlow's array assertions.

The device questions answer for the device learnet computes on (``learnet.device_config``):
on NumPy's backend there is no GPU, as on a CPU-only TensorFlow. ``TestCase`` is Python's
``unittest.TestCase`` with TensorFlow's ``assertAllClose`` family, which accept tensors,
arrays, numbers and nested lists, tuples and dicts of them; ``main`` runs the tests of
the calling script.

Examples
--------
>>> import learnet as tf
>>> tf.test.gpu_device_name()
''
>>> tf.test.is_built_with_cuda()
False
"""

import contextlib
import shutil
import tempfile
import unittest

import numpy

from learnet import backend, device_config, warn

__all__ = [
    "TestCase",
    "main",
    "gpu_device_name",
    "is_built_with_cuda",
    "is_built_with_rocm",
    "is_built_with_gpu_support",
    "is_built_with_xla",
    "is_gpu_available",
]


def gpu_device_name():
    """The name of a visible GPU (``'/device:GPU:0'``), or ``''`` when there is none.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.test.gpu_device_name()   # on NumPy's backend
    ''
    """
    gpus = device_config.list_logical_devices("GPU")
    return gpus[0].name if gpus else ""


def is_built_with_cuda():
    """Whether learnet computes with CUDA: ``True`` under CuPy, ``False`` on NumPy's backend."""
    return bool(device_config.get_build_info()["is_cuda_build"])


def is_built_with_rocm():
    """``False``: learnet has no ROCm backend."""
    return False


def is_built_with_gpu_support():
    """Whether learnet can compute on a GPU: CUDA (through CuPy) or ROCm."""
    return is_built_with_cuda() or is_built_with_rocm()


def is_built_with_xla():
    """``False``: learnet runs ops eagerly and compiles no graphs with XLA."""
    return False


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    """Deprecated in TensorFlow: whether a GPU is visible (use ``tf.config.list_physical_devices('GPU')``).

    Parameters
    ----------
    cuda_only : bool
        Only CUDA GPUs count (learnet's GPUs are CUDA GPUs, through CuPy).
    min_cuda_compute_capability : tuple of int, optional
        ``(major, minor)``: only GPUs with at least this compute capability count.

    Examples
    --------
    >>> import warnings, learnet as tf
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     tf.test.is_gpu_available()
    False
    """
    warn.deprecated(
        "tf.test.is_gpu_available is deprecated and will be removed in a future version. "
        "Instructions for updating: Use `tf.config.list_physical_devices('GPU')` instead."
    )
    gpus = device_config.get_visible_devices("GPU")
    if not gpus or min_cuda_compute_capability is None:
        return bool(gpus)
    capability = device_config.get_device_details(gpus[0])["compute_capability"]  # pragma: no cover - needs a GPU
    return tuple(capability) >= tuple(min_cuda_compute_capability)  # pragma: no cover


def _as_array(value):
    """A NumPy array of a tensor, array, number or nested list of them."""
    if hasattr(value, "numpy") and not isinstance(value, numpy.ndarray):
        value = value.numpy()
    return backend.to_numpy(numpy.asarray(value)) if not isinstance(value, numpy.ndarray) else value


def _tolerances(a, b, rtol, atol):
    """TensorFlow's rule: half precision is compared at no tighter than 1e-3."""
    if numpy.float16 in (a.dtype, b.dtype):
        return max(rtol, 1e-3), max(atol, 1e-3)
    return rtol, atol


class TestCase(unittest.TestCase):
    """``tf.test.TestCase``: ``unittest.TestCase`` with TensorFlow's assertions on arrays.

    ``setUp`` seeds learnet's and NumPy's global generators as TensorFlow's does, so each
    test draws the same numbers.

    Examples
    --------
    >>> import learnet as tf
    >>> class SquareTest(tf.test.TestCase):
    ...     def test_square(self):
    ...         self.assertAllClose(tf.square([1.0, 2.0]), [1.0, 4.0])
    >>> import io, unittest
    >>> tests = unittest.defaultTestLoader.loadTestsFromTestCase(SquareTest)
    >>> unittest.TextTestRunner(stream=io.StringIO()).run(tests).wasSuccessful()
    True
    """

    _SEED = 87654321  # TensorFlow's seed of its test cases

    def setUp(self):
        super().setUp()
        backend.set_seed(self._SEED)
        numpy.random.seed(self._SEED)

    def evaluate(self, tensors):
        """The values of ``tensors`` (a tensor or a nested structure of them) as NumPy arrays."""
        if isinstance(tensors, dict):
            return {key: self.evaluate(value) for key, value in tensors.items()}
        if isinstance(tensors, (list, tuple)):
            return type(tensors)(self.evaluate(value) for value in tensors)
        return tensors.numpy() if hasattr(tensors, "numpy") else tensors

    def cached_session(self, *args, **kwargs):
        """A block that runs eagerly (TensorFlow 1's sessions are not needed)."""
        return contextlib.nullcontext()

    session = cached_session

    def get_temp_dir(self):
        """A temporary folder for this test, made on first use."""
        if not hasattr(self, "_temp_dir"):
            self._temp_dir = tempfile.mkdtemp()
            self.addCleanup(shutil.rmtree, self._temp_dir, ignore_errors=True)
        return self._temp_dir

    def _nested(self, a, b, check, path="", msg=None):
        if isinstance(a, dict) or isinstance(b, dict):
            self.assertIsInstance(a, dict, msg)
            self.assertIsInstance(b, dict, msg)
            self.assertEqual(sorted(a), sorted(b), f"keys differ at {path or 'the top'}: {msg or ''}")
            for key in a:
                self._nested(a[key], b[key], check, f"{path}[{key!r}]", msg)
            return
        first, second = _as_array(a), _as_array(b)
        if first.shape != second.shape:
            self.fail(
                f"Shape mismatch{' at ' + path if path else ''}: expected {first.shape}, got {second.shape}. {msg or ''}"
            )
        check(first, second, path)

    def assertAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802 - TensorFlow's name
        """Assert ``a`` and ``b`` hold the same shape and close values (nested structures too)."""

        def check(x, y, path):
            tol_r, tol_a = _tolerances(x, y, rtol, atol)
            numpy.testing.assert_allclose(x, y, rtol=tol_r, atol=tol_a, err_msg=f"{path} {msg or ''}".strip())

        self._nested(a, b, check, msg=msg)

    def assertNotAllClose(self, a, b, rtol=1e-6, atol=1e-6, msg=None):  # noqa: N802
        """Assert ``a`` and ``b`` differ somewhere by more than the tolerance."""
        try:
            self.assertAllClose(a, b, rtol=rtol, atol=atol)
        except AssertionError:
            return
        self.fail(msg or "The two values are close at all elements")

    def assertAllEqual(self, a, b, msg=None):  # noqa: N802
        """Assert ``a`` and ``b`` hold the same shape and equal values."""

        def check(x, y, path):
            numpy.testing.assert_array_equal(x, y, err_msg=f"{path} {msg or ''}".strip())

        self._nested(a, b, check, msg=msg)

    def assertNotAllEqual(self, a, b, msg=None):  # noqa: N802
        """Assert ``a`` and ``b`` differ at some element."""
        try:
            self.assertAllEqual(a, b)
        except AssertionError:
            return
        self.fail(msg or "The two values are equal at all elements")

    def _compare_all(self, a, target, ufunc, words):
        values = _as_array(a)
        if not numpy.all(ufunc(values, target)):
            self.fail(f"Not all elements are {words} {target!r}: {values!r}")

    def assertAllGreater(self, a, comparison_target):  # noqa: N802
        """Assert every element of ``a`` is greater than ``comparison_target``."""
        self._compare_all(a, comparison_target, numpy.greater, "greater than")

    def assertAllGreaterEqual(self, a, comparison_target):  # noqa: N802
        """Assert every element of ``a`` is at least ``comparison_target``."""
        self._compare_all(a, comparison_target, numpy.greater_equal, "at least")

    def assertAllLess(self, a, comparison_target):  # noqa: N802
        """Assert every element of ``a`` is less than ``comparison_target``."""
        self._compare_all(a, comparison_target, numpy.less, "less than")

    def assertAllLessEqual(self, a, comparison_target):  # noqa: N802
        """Assert every element of ``a`` is at most ``comparison_target``."""
        self._compare_all(a, comparison_target, numpy.less_equal, "at most")

    def assertAllInRange(self, target, lower_bound, upper_bound, open_lower_bound=False, open_upper_bound=False):  # noqa: N802
        """Assert every element of ``target`` lies between the bounds (closed unless said open)."""
        values = _as_array(target)
        above = values > lower_bound if open_lower_bound else values >= lower_bound
        below = values < upper_bound if open_upper_bound else values <= upper_bound
        if not numpy.all(above & below):
            self.fail(f"Not all elements of {values!r} lie in the range [{lower_bound}, {upper_bound}]")

    def assertAllInSet(self, target, expected_set):  # noqa: N802
        """Assert every element of ``target`` is one of ``expected_set``."""
        values = set(_as_array(target).ravel().tolist())
        extra = values - set(expected_set)
        if extra:
            self.fail(f"{sorted(extra)!r} are not in the expected set {set(expected_set)!r}")

    def assertShapeEqual(self, input_a, input_b, msg=None):  # noqa: N802
        """Assert two arrays or tensors have the same shape."""
        self.assertEqual(tuple(_as_array(input_a).shape), tuple(_as_array(input_b).shape), msg)

    def assertDTypeEqual(self, target, expected_dtype):  # noqa: N802
        """Assert ``target``'s elements are of ``expected_dtype``."""
        self.assertEqual(_as_array(target).dtype, numpy.dtype(expected_dtype))

    def assertNear(self, f1, f2, err, msg=None):  # noqa: N802
        """Assert two numbers differ by at most ``err``."""
        self.assertTrue(abs(float(f1) - float(f2)) <= err, msg or f"{f1} != {f2} +/- {err}")

    def assertArrayNear(self, farray1, farray2, err, msg=None):  # noqa: N802
        """Assert two lists of numbers have the same length and differ by at most ``err`` each."""
        self.assertEqual(len(farray1), len(farray2), msg)
        for f1, f2 in zip(farray1, farray2):
            self.assertNear(f1, f2, err, msg)

    def assertLen(self, container, expected_len, msg=None):  # noqa: N802 - absl's name
        """Assert ``container`` has ``expected_len`` elements."""
        self.assertEqual(len(container), expected_len, msg)


def main(argv=None):
    """Run the ``TestCase`` classes of the calling script (``if __name__ == "__main__": tf.test.main()``)."""
    return unittest.main(module="__main__", argv=argv)
