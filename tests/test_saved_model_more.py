"""``tf.saved_model.save`` / ``load`` on three patterns of TensorFlow's guides, against TensorFlow 2.21.

The fixture (fixtures/make_saved_model_more_fixture.py) runs the same code with real TensorFlow:

* the core MLP guide's export module, whose ``tf.function`` takes uint8 images of any shape and
  reshapes them to ``[-1, 784]``: its trial inputs stay small, whatever the variables' sizes
  (a memory-capped subprocess makes a regression fail instead of exhausting the machine);
* a ``tf.custom_gradient`` called by a saved function: the loaded function has its gradients;
* a ``keras.Model`` subclass whose config is not plain data (text generation's ``OneStep``):
  saved as its variables and ``tf.function``s.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import saved_function

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "saved_model_more_reference.npz")


def _cases():
    path = FIXTURES / "make_saved_model_more_fixture.py"
    spec = importlib.util.spec_from_file_location("make_saved_model_more_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _cases()


# --- 1. trial inputs stay small ----------------------------------------------------------------------
_MEMORY_SCRIPT = textwrap.dedent(
    """
    import importlib.util, json, resource, sys, tracemalloc
    import numpy as np
    import learnet as tf

    def address_space():
        with open("/proc/self/status") as stream:
            for line in stream:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024

    # Everything imported: what the process may still map is capped, so a trial input sized
    # from the variables (a (5, 700, 700, 700) array) fails here instead of eating the machine.
    limit = address_space() + 1536 * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    spec = importlib.util.spec_from_file_location("fixture", sys.argv[1])
    cases = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cases)
    tracemalloc.start()
    out = cases.guide_mlp(tf, sys.argv[2])
    peak = tracemalloc.get_traced_memory()[1]
    np.savez(sys.argv[3], **out)
    print(json.dumps({"peak": peak}))
    """
)


def test_the_mlp_guides_export_module_saves_in_little_memory_and_matches_tensorflow(tmp_path):
    environment = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    script = tmp_path / "run.py"
    script.write_text(_MEMORY_SCRIPT)
    result = subprocess.run(
        [
            sys.executable,
            str(script),
            str(FIXTURES / "make_saved_model_more_fixture.py"),
            str(tmp_path / "export"),
            str(tmp_path / "out.npz"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    peak = json.loads(result.stdout.strip().splitlines()[-1])["peak"]
    # The weights are 3.6 MB; the model and its copies in the saved files a few times that.
    assert peak < 96 * 2**20, f"saving used {peak / 2**20:.0f} MiB"
    out = np.load(tmp_path / "out.npz")
    np.testing.assert_allclose(out["mlp_logits"], REFERENCE["mlp_logits"], rtol=1e-4, atol=1e-4)
    for key in ("mlp_classes", "mlp_classes_one"):
        np.testing.assert_array_equal(out[key], REFERENCE[key])
    np.testing.assert_allclose(out["mlp_loaded_logits"], REFERENCE["mlp_loaded_logits"], rtol=1e-4, atol=1e-4)


def _mnist_like(x):
    return tf.argmax(tf.reshape(x, [-1, 784]) @ tf.ones([784, 3]), axis=1)


def test_free_axes_take_a_small_size_that_fits_not_the_variables_size():
    big = tf.Variable(tf.zeros([700, 700]))
    seen = []

    def function(x):
        seen.append(tuple(x.shape))
        return _mnist_like(x) + tf.cast(tf.reduce_sum(big), tf.int64)

    spec = tf.TensorSpec([None, None, None, None], tf.uint8)
    graph = saved_function.trace(function, [spec], "images", size_hints=[700, 784])
    assert max(int(np.prod(shape)) for shape in seen) < 4 * 2**20
    assert seen[-1][1:] == (28, 28, 28)  # 5 * 28**3 elements: a multiple of 784
    images = tf.constant(np.arange(3 * 28 * 28).reshape(3, 28, 28, 1) % 251, dtype=tf.uint8)
    np.testing.assert_array_equal(graph.run([images], [big]).numpy(), _mnist_like(images).numpy())


def test_sizes_are_found_among_the_divisors_of_the_integers_in_the_code():
    seen = []

    def rows(x):  # 5 * f * f elements are a multiple of 222 = 2 * 3 * 37 only when f is one of 222
        seen.append(tuple(x.shape))
        return tf.reshape(x, [-1, 222])

    graph = saved_function.trace(rows, [tf.TensorSpec([None, None, None], tf.float32)], "rows")
    assert seen[-1][1:] == (222, 222)
    assert graph.run([tf.ones([2, 111, 2])], []).shape == (2, 222)


def test_a_variables_size_is_still_tried_for_a_matmul():
    kernel = tf.Variable(tf.ones([37, 2]))
    graph = saved_function.trace(lambda x: x @ kernel, [tf.TensorSpec([None, None], tf.float32)], "dense", [37, 2])
    assert graph.run([tf.ones([4, 37])], [kernel]).numpy().tolist() == [[37.0, 37.0]] * 4


def test_no_small_trial_fits_raises_a_clear_error_and_writes_nothing(tmp_path):
    class Odd(tf.Module):
        def __init__(self):
            self.v = tf.Variable(tf.zeros([3]))

        @tf.function(input_signature=[tf.TensorSpec([None, None, None, None], tf.float32)])
        def __call__(self, x):
            return tf.reshape(x, [-1, 1_000_003])  # a prime: only a huge trial input fits

    folder = tmp_path / "odd"
    with pytest.raises(saved_function.GraphError, match="trial inputs are kept under 4 MiB"):
        tf.saved_model.save(Odd(), str(folder))
    assert not folder.exists()


def test_a_signature_whose_fixed_sizes_are_huge_is_refused_before_anything_is_made(tmp_path):
    class Huge(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 8192, 8192, 3], tf.float32)])
        def __call__(self, x):
            return x * self.v

    folder = tmp_path / "huge"
    with pytest.raises(saved_function.GraphError, match="MiB for the input signature"):
        tf.saved_model.save(Huge(), str(folder))
    assert not folder.exists()


# --- 2. a custom gradient inside a saved function ----------------------------------------------------
def test_custom_gradients_survive_the_round_trip_as_in_tensorflow(tmp_path):
    out = CASES.custom_gradients(tf, str(tmp_path / "custom"))
    for key in REFERENCE.files:
        if key.startswith(("clip_", "log1pexp_")):
            np.testing.assert_allclose(out[key], REFERENCE[key], rtol=1e-5, err_msg=key)


def _clipping_module():
    @tf.custom_gradient
    def clip_gradients(y):
        return y, lambda dy: tf.clip_by_norm(dy, 0.5)

    class M(tf.Module):
        def __init__(self):
            self.v = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([None])])
        def f(self, x):
            return clip_gradients(x * self.v)

    return M()


def test_without_saved_custom_gradients_a_gradient_raises_lookup_error(tmp_path):
    options = tf.saved_model.SaveOptions(experimental_custom_gradients=False)
    tf.saved_model.save(_clipping_module(), str(tmp_path / "m"), options=options)
    loaded = tf.saved_model.load(str(tmp_path / "m"))
    x = tf.Variable([3.0, 4.0])
    np.testing.assert_array_equal(loaded.f(x).numpy(), [3.0, 4.0])  # the forward pass is saved
    with tf.GradientTape() as tape:
        y = loaded.f(x)
    with pytest.raises(LookupError, match="experimental_custom_gradients=False"):
        tape.gradient(y, x)


def test_a_custom_gradient_taking_the_variables_keeps_their_gradients(tmp_path):
    @tf.custom_gradient
    def scaled(x):
        def grad(upstream, variables=None):
            return upstream * 3.0, [tf.reduce_sum(upstream) * 10.0 for _ in variables]

        return x * module.w, grad

    class Scaled(tf.Module):
        def __init__(self):
            self.w = tf.Variable(2.0)

        @tf.function(input_signature=[tf.TensorSpec([None])])
        def __call__(self, x):
            return tf.square(scaled(x))

    module = Scaled()
    x = tf.constant([1.0, -2.0, 0.5])
    with tf.GradientTape() as tape:
        tape.watch(x)
        expected = module(x)
    expected_grads = tape.gradient(expected, [x, module.w])
    tf.saved_model.save(module, str(tmp_path / "scaled"))
    loaded = tf.saved_model.load(str(tmp_path / "scaled"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = loaded(x)
    grads = tape.gradient(y, [x, loaded.w])
    np.testing.assert_allclose(y.numpy(), expected.numpy())
    for got, want in zip(grads, expected_grads):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_a_saved_gradient_naming_an_op_outside_learnet_is_refused(tmp_path):
    folder = tmp_path / "m"
    tf.saved_model.save(_clipping_module(), str(folder))
    path = folder / "saved_model.json"
    description = json.loads(path.read_text())
    nodes = description["functions"]["f"]["graphs"][0]["nodes"]
    custom = next(node for node in nodes if "custom_gradient" in node)
    custom["backward"][0]["op"] = "os:system"
    path.write_text(json.dumps(description))
    loaded = tf.saved_model.load(str(folder))
    x = tf.Variable([3.0, 4.0])
    with tf.GradientTape() as tape:
        y = loaded.f(x)
    with pytest.raises(saved_function.GraphError, match="does not have"):
        tape.gradient(y, x)


# --- 3. a keras.Model subclass whose config is not plain data ------------------------------------------
def test_a_keras_model_holding_a_model_saves_its_functions_as_tensorflow_does(tmp_path):
    out = CASES.keras_step(tf, str(tmp_path / "step"))
    for key in REFERENCE.files:
        if key.startswith("step_"):
            np.testing.assert_allclose(out[key], REFERENCE[key], rtol=1e-5, err_msg=key)
    assert not (tmp_path / "step" / "model.learnet").exists()  # functions and variables, no model file


def test_the_loaded_keras_object_keeps_its_variables_and_submodel(tmp_path):
    class Step(tf.keras.Model):
        def __init__(self, model):
            super().__init__()
            self.model = model

        @tf.function
        def generate(self, x):
            return tf.argmax(self.model(x), axis=-1)

    inner = tf.keras.Sequential([tf.keras.layers.Dense(3)])
    inner(tf.zeros([1, 4]))
    step = Step(inner)
    step.generate(tf.ones([2, 4]))
    tf.saved_model.save(step, str(tmp_path / "step"))
    loaded = tf.saved_model.load(str(tmp_path / "step"))
    kernel = inner.layers[0].kernel
    (restored_kernel,) = [v for v in loaded.model.variables if "kernel" in v.name]
    np.testing.assert_array_equal(restored_kernel.numpy(), kernel.numpy())
    restored_kernel.assign(-kernel)  # the loaded function reads the loaded variables
    np.testing.assert_array_equal(loaded.generate(tf.ones([2, 4])).numpy(), tf.argmin(inner(tf.ones([2, 4])), -1))
    with pytest.raises(ValueError, match="matching concrete function"):
        loaded.generate(tf.ones([5, 4]))  # only the shapes it was called with were traced, as in TensorFlow
