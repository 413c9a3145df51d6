"""load_weights(..., skip_mismatch=True) on Keras 3 files (.weights.h5 and .keras): a layer
whose saved weights differ in shape (a new classifier head) keeps its values, with a warning,
and the others load, as Keras 3 does; without the flag the file is refused and nothing changes."""

import os

import numpy as np
import pytest

import learnet as keras
from learnet import layers
from learnet.saving import InvalidModelFileError


def make(lib, n_out, seed):
    lib.utils.set_random_seed(seed)
    return lib.Sequential([lib.Input((4,)), lib.layers.Dense(8, name="body"), lib.layers.Dense(n_out, name="head")])


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_mismatched_head_is_skipped_and_the_body_loads(tmp_path, suffix):
    source = make(keras, 10, 1)
    path = str(tmp_path / f"source{suffix}")
    if suffix == ".keras":
        source.save(path)
    else:
        source.save_weights(path)
    target = make(keras, 3, 2)
    head_before = target.get_layer("head").kernel.numpy().copy()
    with pytest.warns(UserWarning, match="skip_mismatch"):
        target.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("body").kernel.numpy(), source.get_layer("body").kernel.numpy())
    np.testing.assert_array_equal(target.get_layer("body").bias.numpy(), source.get_layer("body").bias.numpy())
    np.testing.assert_array_equal(target.get_layer("head").kernel.numpy(), head_before)


def test_without_skip_mismatch_the_file_is_refused_and_nothing_changes(tmp_path):
    source = make(keras, 10, 1)
    path = str(tmp_path / "source.weights.h5")
    source.save_weights(path)
    target = make(keras, 3, 2)
    before = [w.numpy().copy() for w in target.weights]
    with pytest.raises(InvalidModelFileError, match="shape"):
        target.load_weights(path)
    for weight, value in zip(target.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)


def test_a_layer_with_another_number_of_weights_is_skipped(tmp_path):
    source = keras.Sequential([keras.Input((4,)), layers.Dense(8, name="body"), layers.Dense(3, name="head")])
    path = str(tmp_path / "source.weights.h5")
    source.save_weights(path)
    target = keras.Sequential(
        [keras.Input((4,)), layers.Dense(8, name="body"), layers.Dense(3, use_bias=False, name="head")]
    )
    with pytest.raises(InvalidModelFileError):
        target.load_weights(path)
    with pytest.warns(UserWarning, match="skip_mismatch"):
        target.load_weights(path, skip_mismatch=True)
    np.testing.assert_array_equal(target.get_layer("body").kernel.numpy(), source.get_layer("body").kernel.numpy())


def test_file_written_by_real_keras_loads_with_skip_mismatch(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    source = make(real, 10, 1)
    path = str(tmp_path / "real.weights.h5")
    source.save_weights(path)
    target = make(keras, 3, 2)
    with pytest.warns(UserWarning, match="skip_mismatch"):
        target.load_weights(path, skip_mismatch=True)
    np.testing.assert_allclose(
        target.get_layer("body").kernel.numpy(), np.asarray(source.get_layer("body").kernel.numpy())
    )
