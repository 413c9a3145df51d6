"""``tf.config``'s devices and settings, ``tf.device``, ``tf.test`` and ``tf.sysconfig`` against TensorFlow 2.21.

The reference is fixtures/device_config_reference.json, made by fixtures/make_device_config_fixture.py:
scenarios of steps, each run by TensorFlow in a fresh process; here each runs on fresh settings
(``fresh_devices``), where only ``list_logical_devices`` and the memory calls initialize the devices,
as TensorFlow's first op would.
"""

import importlib.util
import io
import json
import tracemalloc
import unittest
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import device_config
from learnet.ops import parallel
from learnet.warn import LearnetDeprecationWarning

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "device_config_reference.json").read_text())


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_device_config_fixture", FIXTURES / "make_device_config_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()

# Where learnet differs from TensorFlow on purpose: (scenario, step) -> learnet's outcome.
DIFFERENCES = {
    # learnet's tf.function always runs eagerly
    ("before_and_after_initialization", "functions run eagerly"): "True",
    # learnet checks a missing device when the `with` block is entered, TensorFlow at the block's first op
    ("soft_placement_off", "nested GPU:2 then CPU:0"): "raises InvalidArgumentError: Could not satisfy device "
    "specification '/job:localhost/replica:0/task:0/device:GPU:2'. enable_soft_placement=0. Supported device types "
    "[CPU]. All available devices [/job:localhost/replica:0/task:0/device:CPU:0].",
}
# TensorFlow accepts hiding the CPU and fails every op after it; learnet refuses at once (test below).
HIDING_THE_CPU = ("hide_the_cpu", "hide_the_cpu_by_type")


@pytest.fixture
def fresh_devices(monkeypatch):
    """Settings as in a new process, whatever Variables other tests left alive."""
    monkeypatch.setattr(device_config, "_state", device_config._fresh_state())
    monkeypatch.setattr(device_config, "_variables_exist", lambda: False)
    threads = parallel.num_threads()
    yield device_config._state
    device_config._limit_threads(0)
    parallel.set_num_threads(threads)


def test_the_fixture_covers_every_scenario():
    assert set(FIXTURE.scenarios(tf)) == set(REFERENCE) - {"tensorflow_version"}
    assert REFERENCE["tensorflow_version"].startswith("2.21")


@pytest.mark.parametrize("scenario", sorted(set(REFERENCE) - {"tensorflow_version"} - set(HIDING_THE_CPU)))
def test_matches_tensorflow(scenario, fresh_devices):
    steps = FIXTURE.scenarios(tf)[scenario]
    expected = dict(REFERENCE[scenario])
    assert [label for label, _ in steps] == [label for label, _ in REFERENCE[scenario]]
    for label, make in steps:
        want, got = DIFFERENCES.get((scenario, label), expected[label]), FIXTURE.outcome(make)
        if want.startswith("raises "):  # the same error, whose message may name the call and say more
            error, _, message = want.partition(": ")
            assert got.startswith(error + ":") and message in got, f"{scenario}: {label}: {got}"
        else:
            assert got == want, f"{scenario}: {label}"


@pytest.mark.parametrize("scenario", HIDING_THE_CPU)
def test_hiding_the_cpu_raises_tensorflows_error_at_once_and_changes_nothing(scenario, fresh_devices):
    (set_label, set_step), (_, logical_step) = FIXTURE.scenarios(tf)[scenario]
    tensorflow = dict(REFERENCE[scenario])
    assert tensorflow[set_label] == "None"  # TensorFlow accepts it ...
    assert tensorflow["logical"].startswith("raises NotFoundError: No CPU devices are available in this process")
    # ... and fails from then on; learnet raises the same error where the mistake is made.
    assert FIXTURE.outcome(set_step).startswith(tensorflow["logical"])
    assert logical_step() == [tf.config.LogicalDevice("/device:CPU:0", "CPU")]
    assert fresh_devices["hidden"] == set()


def test_the_reproducers_of_the_tutorials(fresh_devices):
    cpus = tf.config.list_physical_devices("CPU")
    assert repr(tf.config.get_visible_devices()) == "[PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')]"
    tf.config.set_visible_devices(cpus, "CPU")
    assert repr(tf.config.list_logical_devices("CPU")) == "[LogicalDevice(name='/device:CPU:0', device_type='CPU')]"
    assert tf.config.threading.get_inter_op_parallelism_threads() == 0
    assert (tf.test.is_built_with_cuda(), tf.test.gpu_device_name()) == (False, "")
    assert sorted(tf.sysconfig.get_build_info())[:3] == ["is_cuda_build", "is_rocm_build", "is_tensorrt_build"]
    assert tf.config.experimental.get_device_details(cpus[0]) == {}
    tf.config.set_soft_device_placement(False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not satisfy device specification"):
        with tf.device("/device:GPU:2"):
            tf.matmul(tf.ones((2, 2)), tf.ones((2, 2)))


def test_the_gpu_guide_runs_on_a_cpu_only_machine(fresh_devices):
    gpus = tf.config.list_physical_devices("GPU")
    assert gpus == []
    tf.config.set_visible_devices(gpus, "GPU")  # the guide's call, with no GPU to keep
    assert tf.config.list_logical_devices("GPU") == []
    with tf.device("/GPU:0"):  # soft placement (the default) runs it where learnet computes
        assert float(tf.reduce_sum(tf.ones(3))) == 3.0


def test_under_cupy_the_gpu_is_listed_and_can_be_hidden(fresh_devices, monkeypatch):
    from learnet import backend

    monkeypatch.setattr(backend, "_name", "cupy")  # the device list only asks which backend computes
    gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
    assert tf.config.list_physical_devices() == [tf.config.list_physical_devices("CPU")[0], gpu]
    assert tf.test.gpu_device_name() == "/device:GPU:0"
    with pytest.warns(LearnetDeprecationWarning):
        assert tf.test.is_gpu_available() is True
    tf.config.set_soft_device_placement(False)
    with tf.device("GPU:0"):
        pass
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"Supported device types \[GPU, CPU\]"):
        with tf.device("GPU:1"):
            pass
    fresh_devices["initialized"] = False
    tf.config.set_visible_devices([], "GPU")  # before initialization: learnet computes with NumPy from now on
    assert backend.name() == "numpy" and tf.config.get_visible_devices("GPU") == []
    assert tf.config.list_physical_devices("GPU") == [gpu] and tf.test.gpu_device_name() == ""


def test_a_variable_initializes_the_devices(monkeypatch):
    monkeypatch.setattr(device_config, "_state", device_config._fresh_state())
    keep = tf.Variable(1.0)  # noqa: F841 - alive while the settings are tried
    with pytest.raises(RuntimeError, match="Inter op parallelism cannot be modified after initialization"):
        tf.config.threading.set_inter_op_parallelism_threads(2)
    assert tf.config.threading.get_inter_op_parallelism_threads() == 0
    tf.config.set_visible_devices(tf.config.list_physical_devices())  # unchanged: accepted


def test_intra_op_threads_set_learnets_threads_and_blas(fresh_devices):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = parallel.num_threads()
    tf.config.threading.set_intra_op_parallelism_threads(1)
    assert parallel.num_threads() == 1 and tf.config.threading.get_intra_op_parallelism_threads() == 1
    blas = [lib for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
    assert all(lib["num_threads"] == 1 for lib in blas)
    tf.config.threading.set_intra_op_parallelism_threads(3)
    assert parallel.num_threads() == 3
    tf.config.threading.set_intra_op_parallelism_threads(0)  # the defaults again
    assert parallel.num_threads() == before and fresh_devices["blas_limits"] is None


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: tf.config.threading.set_inter_op_parallelism_threads("2"), TypeError, "expects an int"),
        (lambda: tf.config.threading.set_intra_op_parallelism_threads(1.5), TypeError, "expects an int"),
        (lambda: tf.config.threading.set_intra_op_parallelism_threads(True), TypeError, "expects an int"),
        (lambda: tf.config.set_soft_device_placement("yes"), TypeError, "expects a bool"),
        (lambda: tf.config.experimental.set_synchronous_execution("x"), TypeError, "expects a bool"),
        (lambda: tf.config.experimental.enable_tensor_float_32_execution(2.0), TypeError, "expects a bool"),
        (lambda: tf.config.experimental.get_memory_info(3), TypeError, "a str"),
        (lambda: tf.config.experimental.reset_memory_stats(None), TypeError, "a str"),
        (lambda: tf.config.set_visible_devices(["CPU:0"]), ValueError, "Unrecognized device"),
        (lambda: tf.config.set_logical_device_configuration("CPU:0", []), ValueError, "Unrecognized device"),
        (lambda: tf.device(0).__enter__(), TypeError, "device name"),
        (lambda: tf.device("garbage").__enter__(), ValueError, "Unknown attribute 'garbage'"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(call, error, words, fresh_devices):
    before = {key: (set(value) if isinstance(value, set) else value) for key, value in fresh_devices.items()}
    with pytest.raises(error, match=words):
        call()
    assert {key: value for key, value in fresh_devices.items() if key != "initialized"} == {
        key: value for key, value in before.items() if key != "initialized"
    }
    assert device_config._scopes == [dict.fromkeys(device_config._FIELDS)]


def test_soft_placement_accepts_numpy_bools_and_none(fresh_devices):
    tf.config.set_soft_device_placement(np.bool_(False))
    assert tf.config.get_soft_device_placement() is False
    tf.config.set_soft_device_placement(None)  # TensorFlow's default again
    assert tf.config.get_soft_device_placement() is True


def test_device_scopes_nest_and_unwind(fresh_devices):
    tf.config.set_soft_device_placement(False)
    with tf.device("/job:localhost"):
        with pytest.raises(tf.errors.InvalidArgumentError):
            with tf.device("GPU:0"):
                pass
        with tf.device(None):
            assert (tf.ones(1) + 1).device.endswith("CPU:0")
    assert device_config._scopes == [dict.fromkeys(device_config._FIELDS)]


def test_devices_of_other_tasks_are_accepted_in_a_cluster(fresh_devices, monkeypatch):
    with pytest.raises(tf.errors.InvalidArgumentError, match="unknown device"):
        with tf.device("/job:worker/task:1"):
            pass
    monkeypatch.setenv("TF_CONFIG", json.dumps({"cluster": {"worker": ["a:1", "b:2"]}, "task": {"index": 1}}))
    with tf.device("/job:worker/task:1"):
        assert float(tf.reduce_sum(tf.ones(2))) == 2.0


def test_cpu_memory_is_what_tracemalloc_counts(fresh_devices):
    assert tf.config.experimental.get_memory_info("CPU:0") == {"current": 0, "peak": 0}
    tracemalloc.start()
    try:
        kept = np.ones(1 << 18)  # 2 MiB, reported by NumPy to tracemalloc
        info = tf.config.experimental.get_memory_info("CPU:0")
        assert info["peak"] >= info["current"] >= kept.nbytes
        del kept
        tf.config.experimental.reset_memory_stats("CPU:0")
        assert tf.config.experimental.get_memory_info("CPU:0")["peak"] < 1 << 21
    finally:
        tracemalloc.stop()
    with pytest.warns(LearnetDeprecationWarning, match="get_memory_info"):
        assert tf.config.experimental.get_memory_usage("CPU:0") == 0


def test_is_gpu_available_is_deprecated_as_in_tensorflow():
    with pytest.warns(LearnetDeprecationWarning, match="list_physical_devices"):
        assert tf.test.is_gpu_available() is False
    assert tf.test.is_built_with_xla() is False


def test_keras_config_stays_merged_into_tf_config():
    assert tf.config.floatx() == "float32" and tf.keras.config.epsilon() == tf.config.epsilon()
    assert tf.config.PhysicalDevice is device_config.PhysicalDevice
    assert tf.config.threading.get_inter_op_parallelism_threads is device_config.get_inter_op_parallelism_threads


# --- tf.test.TestCase ----------------------------------------------------------------------------


class _Assertions(tf.test.TestCase):
    __test__ = False  # run by test_test_case_asserts_like_tensorflows, some of its tests failing on purpose

    def test_passing(self):
        self.assertAllClose(tf.constant([1.0, 2.0]), [1.0, 2.0 + 1e-7])
        self.assertAllClose({"a": [1.0], "b": (np.float16(1.0005),)}, {"a": [1.0], "b": (1.0,)})
        self.assertAllEqual(tf.constant([[1, 2]]), np.array([[1, 2]]))
        self.assertNotAllClose([1.0], [1.1])
        self.assertNotAllEqual([1, 2], [1, 3])
        self.assertAllGreater([2, 3], 1)
        self.assertAllGreaterEqual([1, 3], 1)
        self.assertAllLess(tf.constant([0.5]), 1)
        self.assertAllLessEqual([1], 1)
        self.assertAllInRange([0.0, 1.0], 0.0, 1.0)
        self.assertAllInSet([1, 2, 1], {1, 2})
        self.assertShapeEqual(np.zeros((2, 3)), tf.zeros((2, 3)))
        self.assertDTypeEqual(tf.constant([1.0]), np.float32)
        self.assertNear(1.0, 1.05, 0.1)
        self.assertArrayNear([1.0, 2.0], [1.01, 2.0], 0.02)
        self.assertLen([1, 2], 2)
        self.assertEqual(self.evaluate({"x": tf.constant(2.0)})["x"], 2.0)
        with self.cached_session():
            self.assertTrue(Path(self.get_temp_dir()).is_dir())

    def test_close_fails_on_values(self):
        self.assertAllClose([1.0], [1.1])

    def test_close_fails_on_shapes(self):
        self.assertAllClose([1.0, 1.0], [[1.0, 1.0]])

    def test_equal_fails(self):
        self.assertAllEqual([1, 2], [1, 3])

    def test_range_fails_on_an_open_bound(self):
        self.assertAllInRange([0.0, 1.0], 0.0, 1.0, open_upper_bound=True)

    def test_set_fails(self):
        self.assertAllInSet([1, 5], [1, 2])

    def test_greater_fails(self):
        self.assertAllGreater([1, 3], 1)

    def test_seeded(self):
        self.assertEqual(np.random.randint(1 << 30), np.random.RandomState(87654321).randint(1 << 30))


def test_test_case_asserts_like_tensorflows():
    result = unittest.TextTestRunner(stream=io.StringIO()).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(_Assertions)
    )
    failed = sorted(test.id().rsplit(".", 1)[1] for test, _ in result.failures)
    assert result.errors == []
    assert failed == [
        "test_close_fails_on_shapes",
        "test_close_fails_on_values",
        "test_equal_fails",
        "test_greater_fails",
        "test_range_fails_on_an_open_bound",
        "test_set_fails",
    ]
    assert (
        "Shape mismatch"
        in dict((t.id().rsplit(".", 1)[1], m) for t, m in result.failures)["test_close_fails_on_shapes"]
    )


def test_main_runs_the_tests_of_the_script(monkeypatch):
    calls = []
    monkeypatch.setattr(unittest, "main", lambda **kwargs: calls.append(kwargs))
    tf.test.main()
    assert calls == [{"module": "__main__", "argv": None}]


def test_the_device_questions_warn_about_nothing_else():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tf.test.gpu_device_name() == "" and tf.test.is_built_with_gpu_support() is False
