"""SparseTensor where a TensorFlow user meets it: ``tf.sparse``'s ops, ``tf.data`` elements and
Keras inputs, against real TensorFlow 2.21 (fixture made by fixtures/make_sparse_everywhere_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import errors
from learnet.sparse import SparseTensor, SparseTensorSpec
from learnet.testing import check_gradients

REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "sparse_everywhere_reference.npz")


def _fixture_module():
    """The calls the fixture made with TensorFlow, defined once in its generator."""
    path = Path(__file__).resolve().parent / "fixtures" / "make_sparse_everywhere_fixture.py"
    spec = importlib.util.spec_from_file_location("make_sparse_everywhere_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
OP_CASES = FIXTURE.op_cases(tf)


def _reference(prefix):
    return {key: REFERENCE[key] for key in REFERENCE.files if key == prefix or key.startswith(prefix + "/")}


def _ours(prefix, value):
    out = {}
    FIXTURE.plain(tf, prefix, value, out)
    return out


def _compare(ours, theirs, rtol=1e-5, atol=1e-6):
    assert sorted(ours) == sorted(theirs)
    for key, expected in theirs.items():
        got = ours[key]
        assert got.shape == expected.shape, key
        if expected.dtype.kind in "USO":
            assert got.tolist() == expected.tolist(), key
        elif expected.dtype.kind == "b" or key.endswith(("/indices", "/dense_shape")):
            assert got.dtype.kind == expected.dtype.kind, key
            np.testing.assert_array_equal(got, expected, err_msg=key)
        else:
            assert got.dtype == expected.dtype, key
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=key)


def _tensor_prefix():
    """How learnet prints a tensor's name (``tf.Tensor(`` in TensorFlow)."""
    return str(tf.constant(1)).split("(")[0] + "("


# --- tf.sparse against TensorFlow --------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OP_CASES))
def test_sparse_op_matches_tensorflow(name):
    _compare(_ours(f"op/{name}", OP_CASES[name]()), _reference(f"op/{name}"))


def test_repr_shows_int64_tensors_as_tensorflow():
    st = tf.sparse.SparseTensor(FIXTURE.ROWS_INDICES, tf.constant(FIXTURE.ROWS_VALUES), [3, 10])
    assert st.indices.dtype == np.int64 and st.dense_shape.dtype == np.int64
    expected = str(REFERENCE["data/repr"]).replace("tf.Tensor(", _tensor_prefix())
    assert repr(st) == expected
    assert str(st) == expected


def test_slice_over_a_range_holding_no_values_gives_an_empty_sparse_tensor():
    wide = tf.sparse.SparseTensor([[2, 4], [3, 3], [3, 4]], [1, 1, 1], [8, 17])
    piece = tf.sparse.slice(wide, start=[0, 12], size=[8, 5])
    assert piece.indices.shape == (0, 2)
    assert tf.sparse.to_dense(piece).shape == (8, 5)
    assert not tf.sparse.to_dense(piece).numpy().any()


# --- gradients of the new ops, through their stored values -----------------------------------------

INDICES = np.array([[0, 0], [0, 2], [1, 1], [3, 0], [3, 2]])
VALUES = np.array([-1.0, 5.0, -4.0, 2.0, -7.0])


def _x(values):
    return SparseTensor(INDICES, values, [4, 3])


def test_reduce_max_gradient():
    check_gradients(
        lambda v: tf.sparse.reduce_max(_x(v), axis=1) * tf.constant([1.0, 2.0, 3.0, 4.0], "float64"), [VALUES]
    )
    check_gradients(lambda v: tf.sparse.reduce_max(_x(v), axis=0, output_is_sparse=True).values, [VALUES])


def test_reduce_sum_gradient():
    check_gradients(lambda v: tf.sparse.reduce_sum(_x(v), axis=1) ** 2, [VALUES])
    check_gradients(
        lambda v: tf.sparse.reduce_sum(_x(v), axis=0, keepdims=True, output_is_sparse=True).values ** 2, [VALUES]
    )


def test_maximum_and_minimum_gradient():
    other = SparseTensor([[0, 0], [1, 0], [3, 2]], tf.constant([3.0, -5.0, -6.5], "float64"), [4, 3])
    check_gradients(lambda v: tf.sparse.maximum(_x(v), other).values * 1.5, [VALUES])
    check_gradients(lambda v: tf.sparse.minimum(other, _x(v)).values ** 2, [VALUES])


def test_softmax_gradient():
    check_gradients(
        lambda v: tf.sparse.softmax(_x(v)).values * tf.constant([1.0, 2.0, 3.0, 4.0, 5.0], "float64"), [VALUES]
    )


def test_fill_empty_rows_gradient():
    check_gradients(lambda v: tf.sparse.fill_empty_rows(_x(v), -9.0)[0].values ** 2, [VALUES])


def test_segment_sum_mean_sqrt_n_gradient():
    data = np.arange(6.0).reshape(3, 2) / 3.0
    check_gradients(lambda d: tf.sparse.segment_sum(d, [0, 2, 1, 0], [0, 0, 1, 1]) ** 2, [data])
    check_gradients(lambda d: tf.sparse.segment_mean(d, [0, 1, 2], [0, 0, 1]) ** 2, [data])
    check_gradients(lambda d: tf.sparse.segment_sqrt_n(d, [0, 1, 2], [0, 0, 3], num_segments=4) ** 2, [data])


def test_reshape_expand_dims_split_gradient():
    check_gradients(lambda v: tf.sparse.to_dense(tf.sparse.reshape(_x(v), [2, -1])) ** 2, [VALUES])
    check_gradients(lambda v: tf.sparse.to_dense(tf.sparse.expand_dims(_x(v), 1)) ** 2, [VALUES])
    check_gradients(lambda v: tf.sparse.split(sp_input=_x(v), num_split=2, axis=1)[1].values ** 2, [VALUES])


def test_sparse_input_to_dense_layer_gradient():
    layer = tf.keras.layers.Dense(2, dtype="float64", kernel_initializer="glorot_uniform")
    layer.build((None, 3))
    check_gradients(lambda v: layer(_x(v)) ** 2, [VALUES])


# --- bad input: a clear error, nothing changed -------------------------------------------------------


def _unchanged(st, indices, values):
    np.testing.assert_array_equal(st.indices.numpy(), indices)
    np.testing.assert_array_equal(st.values.numpy(), values)


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda x: tf.sparse.reduce_max(x, 2), errors.InvalidArgumentError),
        (lambda x: tf.sparse.reduce_sum(x, -3), errors.InvalidArgumentError),
        (lambda x: tf.sparse.reduce_max(x.values), TypeError),
        (lambda x: tf.sparse.maximum(x, SparseTensor([[0, 0]], [1.0], [3, 3])), errors.InvalidArgumentError),
        (lambda x: tf.sparse.minimum(x, tf.constant([[1.0]])), TypeError),
        (lambda x: tf.sparse.reshape(x, [5, -1]), errors.InvalidArgumentError),
        (lambda x: tf.sparse.reshape(x, [5, 5]), errors.InvalidArgumentError),
        (lambda x: tf.sparse.reshape(x, [-1, -1]), errors.InvalidArgumentError),
        (lambda x: tf.sparse.expand_dims(x, 4), errors.InvalidArgumentError),
        (lambda x: tf.sparse.split(sp_input=x, num_split=2, axis=2), errors.InvalidArgumentError),
        (lambda x: tf.sparse.split(sp_input=x, num_split=0, axis=1), errors.InvalidArgumentError),
        (lambda x: tf.sparse.to_indicator(x, 3), TypeError),
        (lambda x: tf.sparse.fill_empty_rows(x.values, 0.0), TypeError),
        (lambda x: tf.sparse.softmax([1.0]), TypeError),
        (lambda x: SparseTensorSpec.from_value(x.values), TypeError),
    ],
)
def test_bad_input_raises_and_changes_nothing(call, error):
    x = SparseTensor(INDICES, VALUES.astype("float32"), [4, 3])
    with pytest.raises(error):
        call(x)
    _unchanged(x, INDICES, VALUES.astype("float32"))


def test_to_indicator_refuses_values_outside_the_vocabulary():
    st = SparseTensor([[0, 0], [1, 0]], [1, 7], [2, 1])
    with pytest.raises(errors.InvalidArgumentError, match=r"\[0, 4\)"):
        tf.sparse.to_indicator(st, 4)


def test_segment_sum_refuses_decreasing_ids():
    with pytest.raises(errors.InvalidArgumentError, match="increasing"):
        tf.sparse.segment_sum(tf.constant([1.0, 2.0]), [0, 1], [1, 0])


# --- SparseTensorSpec --------------------------------------------------------------------------------


def test_sparse_tensor_spec_behaves_as_tensorflow():
    spec = SparseTensorSpec([None, 4], "float32")
    assert repr(spec) == "SparseTensorSpec(TensorShape([None, 4]), tf.float32)"
    assert repr(SparseTensorSpec()) == "SparseTensorSpec(TensorShape(None), tf.float32)"
    assert spec == SparseTensorSpec([None, 4], tf.float32) and hash(spec) == hash(SparseTensorSpec([None, 4]))
    assert spec != SparseTensorSpec([None, 4], "int32") and spec != tf.TensorSpec([None, 4])
    assert spec.value_type is SparseTensor
    assert spec.is_compatible_with(SparseTensor([[1, 3]], np.float32([1.0]), [2, 4]))
    assert not spec.is_compatible_with(SparseTensor([[1, 3]], [1], [2, 4]))
    assert not spec.is_compatible_with(SparseTensorSpec([2, 5]))
    assert SparseTensorSpec.from_value(SparseTensor([[0]], [1], [3])) == SparseTensorSpec([3], "int32")


# --- tf.data with sparse elements ---------------------------------------------------------------------

DATA_CASES = FIXTURE.data_cases(tf)


@pytest.mark.parametrize("name", sorted(DATA_CASES))
def test_dataset_of_sparse_elements_matches_tensorflow(name):
    if name == "repr":
        return  # compared with learnet's tensor prefix above
    _compare(_ours(f"data/{name}", DATA_CASES[name]), _reference(f"data/{name}"))


def test_batch_of_sparse_elements_of_different_shapes_takes_the_largest():
    first = SparseTensor([[0, 3]], [10], [3, 10])
    second = SparseTensor([[1, 5]], [7], [2, 12])
    ds = tf.data.Dataset.from_tensors(first).concatenate(tf.data.Dataset.from_tensors(second))
    assert repr(ds.element_spec) == "SparseTensorSpec(TensorShape([None, None]), tf.int32)"
    batch = next(iter(ds.batch(2)))
    assert batch.dense_shape.numpy().tolist() == [2, 3, 12]
    assert batch.indices.numpy().tolist() == [[0, 0, 3], [1, 1, 5]]


def test_shuffled_and_batched_sparse_rows_keep_their_values():
    st = SparseTensor([[i, i % 4] for i in range(10)], np.arange(10.0, dtype="float32"), [10, 4])
    ds = tf.data.Dataset.from_tensor_slices(st).shuffle(10, seed=1).batch(3)
    rows = np.concatenate([tf.sparse.to_dense(b).numpy() for b in ds])
    assert sorted(rows.sum(axis=1).tolist()) == list(range(10))
    dense = tf.sparse.to_dense(st).numpy()
    for row in rows:
        assert any(np.array_equal(row, d) for d in dense)


def test_concatenate_refuses_sparse_with_dense_elements():
    sparse = tf.data.Dataset.from_tensors(SparseTensor([[0]], [1], [3]))
    dense = tf.data.Dataset.from_tensors(np.zeros(3, "int32"))
    with pytest.raises(TypeError, match="different"):
        _ = sparse.concatenate(dense).element_spec


# --- Keras: Input(sparse=True) -------------------------------------------------------------------------


def test_keras_sparse_input_matches_tensorflow():
    ours = FIXTURE.keras_cases(tf)
    for name, value in ours.items():
        _compare(_ours(f"keras/{name}", value), _reference(f"keras/{name}"), rtol=1e-4, atol=1e-5)


def _sparse_model():
    inputs = tf.keras.Input(shape=(4,), sparse=True)
    dense = tf.keras.layers.Dense(4)
    model = tf.keras.Model(inputs, dense(inputs))
    dense.set_weights([FIXTURE.KERNEL, FIXTURE.BIAS])
    return model


def test_fit_with_validation_split_on_sparse_inputs():
    model = _sparse_model()
    model.compile(optimizer="sgd", loss="mse")
    data = SparseTensor(FIXTURE.KERAS_INDICES, FIXTURE.KERAS_VALUES, [6, 4])
    history = model.fit(data, FIXTURE.TARGETS, batch_size=2, epochs=2, validation_split=0.5, verbose=0)
    assert len(history.history["val_loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_sequential_takes_a_sparse_batch():
    model = tf.keras.Sequential([tf.keras.Input(shape=(4,), sparse=True), tf.keras.layers.Dense(2)])
    data = SparseTensor(FIXTURE.KERAS_INDICES, [1, 2, 1, 3, 1, -1], [6, 4])  # integer values: cast to floats
    assert model.predict(data, verbose=0).shape == (6, 2)
    assert model(data).dtype == np.float32


def test_fit_refuses_sparse_values_that_are_not_finite_before_any_step():
    model = _sparse_model()
    model.compile(optimizer="sgd", loss="mse")
    values = FIXTURE.KERAS_VALUES.copy()
    values[2] = np.nan
    data = SparseTensor(FIXTURE.KERAS_INDICES, values, [6, 4])
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="NaN"):
        model.fit(data, FIXTURE.TARGETS, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_fit_refuses_sparse_text_values():
    model = _sparse_model()
    model.compile(optimizer="sgd", loss="mse")
    data = SparseTensor([[0, 0]], np.array([b"a"], dtype=object), [6, 4])
    with pytest.raises(ValueError, match="text"):
        model.fit(data, FIXTURE.TARGETS, verbose=0)


def test_fit_on_a_dataset_of_feature_dicts_with_a_sparse_feature():
    inputs = {
        "words": tf.keras.Input(shape=(4,), sparse=True, name="words"),
        "size": tf.keras.Input(shape=(1,), name="size"),
    }
    joined = tf.keras.layers.Concatenate()([inputs["words"], inputs["size"]])
    model = tf.keras.Model(inputs, tf.keras.layers.Dense(1)(joined))
    model.compile(optimizer="sgd", loss="mse")
    words = SparseTensor(FIXTURE.KERAS_INDICES, FIXTURE.KERAS_VALUES, [6, 4])
    features = {"words": words, "size": np.arange(6, dtype="float32")[:, None]}
    ds = tf.data.Dataset.from_tensor_slices((features, np.ones(6, "float32"))).batch(4)
    assert repr(ds.element_spec[0]["words"]) == "SparseTensorSpec(TensorShape([None, 4]), tf.float32)"
    history = model.fit(ds, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert model.predict(ds.map(lambda x, y: x), verbose=0).shape == (6, 1)
