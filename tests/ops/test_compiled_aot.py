"""The compiled kernels built ahead of time (``learnet.ops.compiled.aot``).

The built module must give what the loops compiled just in time give, bit for bit (the
same code, built by the same compiler); a call whose arguments match none of a loop's
signatures must go to the just-in-time loop (the built code would read the memory
wrongly); a process that has the module must train without importing numba at all;
and a build that fails, or a damaged module, must leave the kernels compiled just in
time, with a warning, and be tried again only when the failure record is deleted.
"""

import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("numba")

from learnet import optimizers  # noqa: E402
from learnet.ops import compiled  # noqa: E402
from learnet.ops import conv as conv_ops  # noqa: E402
from learnet.ops.compiled import aot  # noqa: E402
from learnet.ops.compiled import conv as conv_kernels  # noqa: E402
from learnet.ops.compiled import dense as dense_kernels  # noqa: E402
from learnet.ops.compiled import update as update_kernels  # noqa: E402
from learnet.ops.reduce import reduce_sum  # noqa: E402
from learnet.tape import GradientTape  # noqa: E402
from learnet.tensor import Variable, constant  # noqa: E402


@pytest.fixture(autouse=True)
def numba_kernels():
    before = compiled.kernels()
    compiled.set_kernels("numba")
    yield
    compiled.set_kernels(before)
    aot.set_enabled(None)


@pytest.fixture
def library():
    built = aot.library()
    if built is None:
        pytest.skip("the ahead-of-time module could not be built here (no C compiler?)")
    return built


def both_ways(fn):
    """``fn()`` with the built module, then with every loop compiled just in time."""
    results = []
    for flag in (True, False):
        aot.set_enabled(flag)
        results.append(fn())
    aot.set_enabled(None)
    return results


def convnet_step(dtype):
    rng = np.random.default_rng(0)
    x = constant(rng.standard_normal((3, 9, 9, 2)).astype(dtype))
    k1 = Variable(rng.standard_normal((3, 3, 2, 4)).astype(dtype) * 0.3)
    b1 = Variable(rng.standard_normal(4).astype(dtype) * 0.1)
    k2 = Variable(rng.standard_normal((2, 2, 4, 3)).astype(dtype) * 0.3)

    def run():
        with GradientTape() as tape:
            h = conv_ops.conv2d_relu(x, k1, b1, padding="SAME")
            h = conv_ops.max_pool2d(h, 2, 2, "VALID")
            h = conv_ops.max_pool2d(h, 3, 1, "SAME")
            h = conv_ops.conv2d(h, k2, padding="VALID")
            loss = reduce_sum(h * h)
        grads = tape.gradient(loss, [k1, b1, k2])
        return [loss.numpy()] + [g.numpy() for g in grads]

    return run


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_convnet_values_and_gradients_equal_the_just_in_time_loops(library, dtype):
    built, jit = both_ways(convnet_step(dtype))
    for a, b in zip(built, jit):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_kernels_equal_the_just_in_time_loops(library, dtype):
    rng = np.random.default_rng(1)
    out = rng.standard_normal((7, 5)).astype(dtype)
    bias = rng.standard_normal(5).astype(dtype)
    g = rng.standard_normal((5, 7)).astype(dtype).T  # a strided gradient: the other signature

    def run():
        o = out.copy()
        dense_kernels.bias_relu(o, bias)
        return [o, *dense_kernels.relu_gradient_and_bias_sum(g, o)]

    for a, b in zip(*both_ways(run)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "make",
    [lambda: optimizers.RMSprop(momentum=0.5, centered=True), lambda: optimizers.Adam(amsgrad=True), optimizers.Nadam],
)
def test_optimizer_updates_equal_the_just_in_time_loops(library, make):
    rng = np.random.default_rng(2)
    start = rng.standard_normal((13, 7)).astype(np.float32)
    grads = [rng.standard_normal((13, 7)).astype(np.float32) for _ in range(3)]

    def run():
        w = Variable(start.copy())
        opt = make()
        for g in grads:
            opt.apply_gradients([(constant(g), w)])
        return w.numpy()

    built, jit = both_ways(run)
    np.testing.assert_array_equal(built, jit)


def test_the_module_exports_every_signature_of_every_loop(library):
    names = [name for loop in aot._LOOPS for name, _ in loop.exports()]
    assert len(names) == len(set(names)) > 40
    for name in names:
        assert callable(getattr(library, name))


def test_arguments_no_signature_matches_go_to_the_just_in_time_loop(library):
    # float16 is built for no loop; a read-only array the loop writes, a Python float where the loop takes
    # float32, a non-contiguous array where it takes a contiguous one: none may reach the
    # built code (it would read the memory as another type), and each still gives NumPy's answer.
    loop = update_kernels._sgd
    w = np.ones(4, np.float32)
    g = np.full(4, 0.5, np.float32)
    assert loop._exports[0][1](w, g, w[:0], np.float32(0.1), np.float32(0), False, False) is not None
    assert loop._exports[0][1](w, g, w[:0], 0.1, np.float32(0), False, False) is None
    readonly = w.copy()
    readonly.flags.writeable = False  # the weight, which the loop writes
    assert loop._exports[0][1](readonly, g, w[:0], np.float32(0.1), np.float32(0), False, False) is None
    assert all(match(w.astype(np.float16), g, w[:0], 0.1, 0.0, False, False) is None for _, match in loop._exports)

    strided = np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, ::2]  # not C-contiguous
    bias = np.ones(2, np.float32)
    expected = np.maximum(strided + bias, 0)
    conv_kernels.bias_relu(strided, bias, True)
    np.testing.assert_array_equal(strided, expected)


def test_a_wrong_signature_is_refused_when_declared():
    with pytest.raises(ValueError, match="void"):
        aot.parse_signature("f4(f4[::1])")


def _run(code, env):
    full = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=full, timeout=600
    )


TRAIN = """
    import sys, warnings
    import numpy as np
    import learnet as keras
    warnings.simplefilter("always")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Flatten(),
                              keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(0).random((16, 6, 6, 1), dtype=np.float32)
    history = model.fit(x, np.arange(16) % 3, epochs=2, verbose=0)
    print("numba imported:", "numba" in sys.modules, "loss:", history.history["loss"][-1])
"""


def test_a_process_with_the_built_module_trains_without_importing_numba(library):
    env = {"LEARNET_KERNELS": "numba", "LEARNET_NUM_THREADS": "1"}
    done = _run(TRAIN, env)
    assert done.returncode == 0, done.stderr
    assert "numba imported: False" in done.stdout
    jit = _run(TRAIN, {**env, "LEARNET_AOT": "0"})
    assert "numba imported: True" in jit.stdout
    assert done.stdout.split("loss:")[1] == jit.stdout.split("loss:")[1]  # the same training, bit for bit


def test_a_failed_build_leaves_the_kernels_just_in_time_and_is_not_retried(tmp_path, monkeypatch):
    monkeypatch.setattr(aot, "folder", lambda: tmp_path / "kernels")
    monkeypatch.setattr(aot, "_state", {"library": None, "tried": False, "enabled": True})
    monkeypatch.setattr(
        aot, "build_command", lambda where, name: [sys.executable, "-c", "raise SystemExit('no C compiler here')"]
    )
    with pytest.warns(UserWarning, match="could not build"):
        assert aot.library() is None
    failed = list((tmp_path / "kernels").glob("*.failed"))
    assert len(failed) == 1 and "no C compiler here" in failed[0].read_text()
    w = np.ones(3, np.float32)
    assert update_kernels.sgd(w, np.full(3, 0.5, np.float32), None, 0.1, 0.0, False)  # just in time
    np.testing.assert_array_equal(w, np.full(3, 0.95, np.float32))

    # A later process does not try again while the record is there.
    monkeypatch.setattr(aot, "_state", {"library": None, "tried": False, "enabled": True})
    monkeypatch.setattr(aot, "build_command", lambda where, name: pytest.fail("built again"))
    assert aot.library() is None


def test_a_damaged_module_is_not_loaded(tmp_path, monkeypatch):
    monkeypatch.setattr(aot, "folder", lambda: tmp_path / "kernels")
    monkeypatch.setattr(aot, "_state", {"library": None, "tried": False, "enabled": True})
    (tmp_path / "kernels").mkdir()
    import sysconfig

    path = tmp_path / "kernels" / (aot.module_name() + sysconfig.get_config_var("EXT_SUFFIX"))
    path.write_bytes(b"not a shared library")
    with pytest.warns(UserWarning, match="could not be loaded"):
        assert aot.library() is None


def test_the_module_is_kept_beside_the_package_or_in_learnet_home(tmp_path, monkeypatch):
    assert aot.folder() == pathlib.Path(aot.__file__).parent / "__pycache__"  # writable here
    monkeypatch.setattr(aot.os, "access", lambda path, mode: False)
    monkeypatch.setenv("LEARNET_HOME", str(tmp_path))
    assert aot.folder() == tmp_path / "kernels"


def test_learnet_aot_0_turns_the_module_off(monkeypatch):
    monkeypatch.setenv("LEARNET_AOT", "0")
    assert not aot.enabled()
    assert aot.library() is None
    monkeypatch.setenv("LEARNET_AOT", "1")
    assert aot.enabled()


def test_read_only_gradients_reach_the_built_loops_and_written_arrays_must_be_writable(library):
    # The seed gradient of tf.reduce_mean is a read-only view: the loops that only read it take
    # it as it is; an array a loop writes is never given to the built code read-only.
    g = np.ones((4, 3), np.float32)
    g.flags.writeable = False
    out = np.abs(np.random.default_rng(0).standard_normal((4, 3))).astype(np.float32)
    match = dense_kernels._relu_gradient_and_bias_sum._exports[0][1]
    assert match(g, out, np.empty_like(g), np.empty(3, np.float32), np.float32(1), np.float32(0)) is not None
    masked = np.empty_like(g)
    masked.flags.writeable = False
    assert match(g, out, masked, np.empty(3, np.float32), np.float32(1), np.float32(0)) is None
    w = np.ones(3, np.float32)
    sgd = update_kernels._sgd._exports[0][1]
    assert sgd(w, g[0], w[:0], np.float32(0.1), np.float32(0), False, False) is not None
    w.flags.writeable = False
    assert sgd(w, g[0], w[:0], np.float32(0.1), np.float32(0), False, False) is None


def test_a_linear_conv_backward_takes_a_read_only_gradient():
    # Conv2D with a bias and no activation, under tf.reduce_mean (a read-only seed gradient):
    # the compiled path raised numba's "Cannot modify readonly array".
    import learnet as tf

    conv = tf.keras.layers.Conv2D(2, 3)
    x = tf.constant(np.random.default_rng(1).random((1, 8, 8, 3)).astype("float32"))
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_mean(conv(x))
    grads = tape.gradient(loss, [x, *conv.trainable_weights])
    assert grads[0].shape == (1, 8, 8, 3)
    np.testing.assert_allclose(grads[2].numpy(), [1.0 / 2, 1.0 / 2], rtol=1e-6)  # the bias: mean over 2 filters


def test_a_new_build_removes_the_modules_of_older_sources(tmp_path, monkeypatch):
    import sysconfig

    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    (tmp_path / "kernels").mkdir()
    stale = tmp_path / "kernels" / ("learnet_kernels_0000000000000000" + suffix)
    stale.write_bytes(b"old")
    other_python = tmp_path / "kernels" / "learnet_kernels_0000000000000000.other-python.so"
    other_python.write_bytes(b"old")
    built = library_path = tmp_path / "kernels" / (aot.module_name() + suffix)

    def fake_build(where, name):
        return [sys.executable, "-c", f"open({str(library_path)!r}, 'wb').write(b'not loadable')"]

    monkeypatch.setattr(aot, "folder", lambda: tmp_path / "kernels")
    monkeypatch.setattr(aot, "_state", {"library": None, "tried": False, "enabled": True})
    monkeypatch.setattr(aot, "build_command", fake_build)
    with pytest.warns(UserWarning, match="could not be loaded"):
        aot.library()
    assert built.exists() and not stale.exists() and other_python.exists()
