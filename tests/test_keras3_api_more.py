"""Names of Keras 3 that learnet now has: ``keras.ops.segment_min`` / ``segment_prod``, the STFT
initializer and Keras' other initializer names, ``keras.saving.CustomObjectScope`` — each
checked against real Keras."""

import numpy as np
import pytest

import learnet
from learnet.testing import check_gradients

DATA = np.array([[1.0, 5.0], [2.0, -1.0], [10.0, 3.0], [20.0, 4.0], [100.0, 0.5], [200.0, 2.0]], dtype="float32")
IDS = np.array([0, 0, 1, 1, 3, 3])


@pytest.mark.parametrize("name", ["segment_min", "segment_prod"])
def test_segment_reductions_equal_keras(keras, name):
    ours, theirs = getattr(learnet.keras.ops, name), getattr(keras.ops, name)
    np.testing.assert_array_equal(ours(DATA[:4], IDS[:4], 2).numpy(), np.asarray(theirs(DATA[:4], IDS[:4], 2)))
    integers = np.array([1, 2, 10, 20, 100, 200], dtype="int32")
    np.testing.assert_array_equal(ours(integers, IDS, 5).numpy(), np.asarray(theirs(integers, IDS, 5)))
    check_gradients(lambda d: ours(d, IDS, 4), [np.random.default_rng(0).standard_normal((6, 2))])
    inputs = learnet.keras.Input((2,), batch_size=6)
    assert ours(inputs, IDS, num_segments=4).shape == (4, 2)


def test_empty_segments_hold_the_largest_value_and_one():
    # TensorFlow's convention (Keras' JAX backend writes inf instead of the largest float).
    assert learnet.keras.ops.segment_min(DATA, IDS, 5).numpy()[2, 0] == np.finfo(np.float32).max
    np.testing.assert_array_equal(learnet.keras.ops.segment_prod(DATA, IDS, 5).numpy()[4], [1.0, 1.0])


@pytest.mark.parametrize(
    "arguments",
    [("real", "hann", "density", False), ("imag", "hamming", "spectrum", True), ("real", None, None, False)],
)
@pytest.mark.parametrize("shape", [(16, 1, 9), (15, 1, 8)])
def test_stft_initializer_equals_keras(keras, arguments, shape):
    ours = learnet.keras.initializers.STFT(*arguments)
    np.testing.assert_allclose(ours(shape).numpy(), np.asarray(keras.initializers.STFT(*arguments)(shape)), atol=5e-6)
    assert ours.get_config() == keras.initializers.STFT(*arguments).get_config()
    again = learnet.keras.initializers.deserialize(learnet.keras.initializers.serialize(ours))
    np.testing.assert_array_equal(again(shape).numpy(), ours(shape).numpy())
    window = np.linspace(0.0, 1.0, shape[0])
    np.testing.assert_allclose(
        learnet.keras.initializers.STFT("imag", window)(shape).numpy(),
        np.asarray(keras.initializers.STFT("imag", window)(shape)),
        atol=5e-6,
    )


@pytest.mark.parametrize("name", ["IdentityInitializer", "OrthogonalInitializer", "STFTInitializer", "stft", "STFT"])
def test_keras_other_initializer_names(keras, name):
    assert type(learnet.keras.initializers.get(name)).__name__ == type(keras.initializers.get(name)).__name__
    assert getattr(learnet.keras.initializers, name) is not None


@pytest.mark.parametrize(
    "arguments, error, message",
    [
        ({"side": "both"}, ValueError, "side should be 'real' or 'imag'"),
        ({"scaling": "energy"}, ValueError, "Scaling is invalid"),
        ({"window": "no-such-window"}, ValueError, "window"),
    ],
)
def test_bad_stft_arguments_are_refused(arguments, error, message):
    with pytest.raises(error, match=message):
        learnet.keras.initializers.STFT(**arguments)


def test_a_window_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match=r"equal to \[frame_length\]"):
        learnet.keras.initializers.STFT(window=np.ones(5))((16, 1, 9))


def test_custom_object_scope_under_keras_saving_name():
    def doubled(x):
        return 2 * x

    with learnet.keras.saving.CustomObjectScope({"doubled": doubled}):
        assert learnet.keras.saving.get_registered_object("doubled") is doubled
    assert learnet.keras.saving.get_registered_object("doubled") is None


def test_backend_dtype_helpers_and_uid_equal_keras():
    # Keras' TensorFlow backend's answers (learnet reports itself as that backend), recorded.
    backend = learnet.keras.backend
    backend.clear_session()
    names = [None, "float32", np.float64, np.dtype("int8"), int, float, bool, str, "int", "bfloat16", "uint16"]
    assert [backend.standardize_dtype(d) for d in names] == [
        "float32",
        "float32",
        "float64",
        "int8",
        "int64",
        "float32",
        "bool",
        "string",
        "int64",
        "bfloat16",
        "uint16",
    ]
    for bad in ("float", "foo", 3):
        with pytest.raises(ValueError, match="Invalid dtype"):
            backend.standardize_dtype(bad)
    assert [backend.is_float_dtype(d) for d in ("bfloat16", "float16", "int8", "bool")] == [True, True, False, False]
    assert [backend.is_int_dtype(d) for d in ("uint8", "int64", "bool", "float32")] == [True, True, False, False]
    learnet.keras.layers.Dense(2), learnet.keras.layers.Dense(2)
    assert backend.get_uid("dense") == 3  # the automatic names' counter, as in Keras
    assert learnet.keras.layers.Dense(2).name == "dense_3"
    assert (backend.get_uid("course"), backend.get_uid("course")) == (1, 2)
    backend.clear_session()
    assert backend.get_uid("course") == 1
