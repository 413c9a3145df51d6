"""``keras.ops.reshape`` (and ``tf.reshape``) on symbolic tensors folding the batch into another axis,
``(None, 5, 4) -> (-1, 4) -> Dense -> (-1, 5, 3)``: the output shape is worked out from the symbolic
shape (``None`` where the batch folds in), so the model builds as in Keras, runs on real batches,
trains, and travels through ``.keras`` files both ways (against real Keras 3)."""

import numpy as np
import pytest

import learnet
from learnet.layers.operation import reshape_output_shape

RNG = np.random.default_rng(11)
X = RNG.normal(size=(7, 5, 4)).astype("float32")


def _model(M, reshape=None):
    """Fold the batch, apply Dense to each row, unfold: in learnet or in Keras (``M``)."""
    reshape = reshape or M.ops.reshape
    inputs = M.Input((5, 4), name="x")
    flat = reshape(inputs, (-1, 4))
    dense = M.layers.Dense(3, name="rows")(flat)
    back = reshape(dense, (-1, 5, 3))
    return M.Model(inputs, back)


def test_the_issue_example_builds_with_keras_shapes(keras):
    ours, theirs = _model(learnet), _model(keras)
    assert tuple(ours.output.shape) == tuple(theirs.output.shape) == (None, 5, 3)
    flat = learnet.ops.reshape(learnet.Input((5, 4)), (-1, 4))
    assert tuple(flat.shape) == (None, 4) and flat.dtype == np.float32


@pytest.mark.parametrize("batch", [1, 2, 7])
def test_the_model_runs_on_real_batches(batch):
    model = _model(learnet)
    kernel, bias = model.get_layer("rows").get_weights()
    got = model.predict(X[:batch], verbose=0)
    np.testing.assert_allclose(got, X[:batch] @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_tf_reshape_records_the_same_shapes():
    model = _model(learnet, reshape=learnet.reshape)
    assert tuple(model.output.shape) == (None, 5, 3)
    kernel, bias = model.get_layer("rows").get_weights()
    np.testing.assert_allclose(model.predict(X, verbose=0), X @ kernel + bias, rtol=1e-5, atol=1e-6)
    by_keyword = learnet.reshape(learnet.Input((5, 4)), shape=[-1, 20])
    assert tuple(by_keyword.shape) == (None, 20)


def test_the_reshape_layer_keeps_its_batch():
    inputs = learnet.Input((5, 4))
    out = learnet.layers.Reshape((5, 4))(learnet.layers.Reshape((-1,))(inputs))
    assert tuple(out.shape) == (None, 5, 4)


def test_the_model_trains():
    model = _model(learnet)
    model.compile(optimizer=learnet.optimizers.Adam(0.05), loss="mse")
    target = X[..., :3] * 2.0
    history = model.fit(X, target, epochs=30, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]


def test_learnet_and_keras_files_both_ways(keras, tmp_path):
    ours = _model(learnet)
    ours.save(tmp_path / "ours.keras")
    again = learnet.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(again.predict(X, verbose=0), ours.predict(X, verbose=0), rtol=1e-6)
    in_keras = keras.models.load_model(tmp_path / "ours.keras")
    np.testing.assert_allclose(np.asarray(in_keras(X)), ours.predict(X, verbose=0), rtol=1e-5, atol=1e-6)
    theirs = _model(keras)
    theirs.save(tmp_path / "theirs.keras")
    loaded = learnet.models.load_model(tmp_path / "theirs.keras")
    assert tuple(loaded.output.shape) == (None, 5, 3)
    np.testing.assert_allclose(loaded.predict(X, verbose=0), np.asarray(theirs(X)), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("input_shape", "new_shape", "expected"),
    [
        ((None, 5, 4), (-1, 4), (None, 4)),
        ((None, 4), (-1, 5, 4), (None, 5, 4)),
        ((None, 5, 4), (-1, 3), (None, 3)),  # fits whenever the batch is a multiple of 3
        ((None, 5, 4), (2, 10, -1), (2, 10, None)),
        ((None, 6), (3, 4), (3, 4)),
        ((6, 4), (-1, 8), (3, 8)),
        ((6, 4), [2, 12], (2, 12)),
    ],
)
def test_reshape_output_shape(input_shape, new_shape, expected):
    assert reshape_output_shape(input_shape, new_shape) == expected


@pytest.mark.parametrize(
    ("input_shape", "new_shape", "message"),
    [
        ((None, 5, 4), (-1, -1, 4), "at most one -1"),
        ((None, 5, 4), (-2, 4), "at most one -1"),
        ((6, 4), (-1, 5), "cannot reshape"),
        ((6, 4), (5, 5), "cannot reshape"),
        ((None, 5), (7,), "cannot reshape"),
    ],
)
def test_impossible_reshapes_are_refused(input_shape, new_shape, message):
    with pytest.raises(ValueError, match=message):
        reshape_output_shape(input_shape, new_shape)


def test_an_impossible_symbolic_reshape_is_refused():
    inputs = learnet.Input((5, 4))
    with pytest.raises(ValueError, match="at most one -1"):
        learnet.ops.reshape(inputs, (-1, -1, 4))
    with pytest.raises(ValueError, match="cannot reshape"):
        learnet.ops.reshape(learnet.Input((6,), batch_size=2), (5, -1))
    with pytest.raises(TypeError, match="sequence of ints"):
        reshape_output_shape((None, 4), ("a", 4))
