"""MultiHeadAttention: values against real Keras 3 (masks, causal, cross-attention,
attention_axes), gradients, dropout, the functional API, training, config and files."""

import numpy as np
import pytest

import learnet
from learnet import layers
from learnet.layers.base import Layer
from learnet.layers.einsum_dense import EinsumDense
from learnet.layers.multi_head_attention import MultiHeadAttention
from learnet.testing import check_gradients


def _random(shape, seed):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


def _twins(keras, inputs, call_kwargs=None, **options):
    """A learnet layer and a Keras layer of the same options and the same random weights."""
    call_kwargs = call_kwargs or {}
    theirs = keras.layers.MultiHeadAttention(**options)
    ours = MultiHeadAttention(**options)
    # (return_attention_scores makes Keras take its einsum path, which accepts every case)
    theirs(*inputs, return_attention_scores=True, **call_kwargs)
    ours(*inputs, **call_kwargs)
    assert [w.shape for w in ours.get_weights()] == [w.shape for w in theirs.get_weights()]
    values = [_random(w.shape, seed) * 0.4 for seed, w in enumerate(theirs.get_weights())]
    theirs.set_weights(values)
    ours.set_weights(values)
    return ours, theirs


def _assert_same(ours, theirs, inputs, **call_kwargs):
    got = ours(*inputs, return_attention_scores=True, **call_kwargs)
    want = theirs(*inputs, return_attention_scores=True, **call_kwargs)
    for mine, keras_value in zip(got, want):
        assert tuple(mine.shape) == tuple(np.shape(keras_value))
        np.testing.assert_allclose(mine.numpy(), np.asarray(keras_value), rtol=1e-5, atol=1e-5)
    # Without the scores, Keras takes its fused kernel (which breaks when value_dim != key_dim,
    # a Keras bug): the same output, but for query steps that may look at nothing, which get
    # equal weights on every step there instead of zero weights.
    if theirs.value_dim == theirs.key_dim:
        np.testing.assert_allclose(
            ours(*inputs, **call_kwargs).numpy(), np.asarray(theirs(*inputs, **call_kwargs)), rtol=1e-5, atol=1e-5
        )
    else:
        np.testing.assert_allclose(ours(*inputs, **call_kwargs).numpy(), got[0].numpy(), rtol=1e-6, atol=1e-6)


CASES = [
    ("self-attention", dict(num_heads=2, key_dim=4), [(2, 5, 6)], {}),
    ("cross-attention", dict(num_heads=3, key_dim=4), [(2, 5, 6), (2, 7, 3)], {}),
    ("key != value", dict(num_heads=2, key_dim=4, value_dim=3), [(2, 5, 6), (2, 3, 7), (2, 3, 4)], {}),
    ("output_shape", dict(num_heads=2, key_dim=4, output_shape=(2, 5)), [(2, 5, 6), (2, 3, 6)], {}),
    ("output_shape int", dict(num_heads=2, key_dim=4, output_shape=9, use_bias=False), [(2, 5, 6)], {}),
    ("causal", dict(num_heads=2, key_dim=4), [(2, 5, 6)], {"use_causal_mask": True}),
    ("causal cross", dict(num_heads=2, key_dim=4), [(2, 4, 6), (2, 6, 6)], {"use_causal_mask": True}),
    ("attention_axes 2", dict(num_heads=2, key_dim=4, attention_axes=2), [(2, 3, 4, 5)], {}),
    ("attention_axes 1,2", dict(num_heads=2, key_dim=3, attention_axes=(1, 2)), [(2, 3, 4, 5)], {}),
    ("attention_axes -2", dict(num_heads=2, key_dim=3, attention_axes=[-2]), [(2, 3, 4, 5), (2, 3, 2, 5)], {}),
    ("attention_axes 1,3", dict(num_heads=2, key_dim=3, attention_axes=(1, 3)), [(2, 3, 2, 4, 5)], {}),
]


@pytest.mark.parametrize("label, options, shapes, call_kwargs", CASES, ids=[c[0] for c in CASES])
def test_matches_keras(keras, label, options, shapes, call_kwargs):
    inputs = [_random(shape, seed) for seed, shape in enumerate(shapes)]
    if len(inputs) == 1:
        inputs = inputs * 2
    ours, theirs = _twins(keras, inputs, call_kwargs, **options)
    _assert_same(ours, theirs, inputs, **call_kwargs)


def test_attention_mask_with_a_fully_masked_row_matches_keras(keras):
    query, value = _random((2, 5, 6), 1), _random((2, 3, 6), 2)
    mask = np.random.default_rng(3).random((2, 5, 3)) > 0.4
    mask[0, 1] = False  # this query step may look at nothing: its weights are all zero
    ours, theirs = _twins(keras, [query, value], num_heads=2, key_dim=4)
    _assert_same(ours, theirs, [query, value], attention_mask=mask)
    _assert_same(ours, theirs, [query, value], attention_mask=mask, use_causal_mask=True)
    scores = ours(query, value, attention_mask=mask, return_attention_scores=True)[1].numpy()
    assert np.all(scores[0, :, 1] == 0)
    # Without the scores (Keras' fused kernel, and tf.keras 2), that step takes the mean of the values.
    output = ours(query, value, attention_mask=mask).numpy()
    uniform = ours.output_dense(ours.value_dense(value).numpy().mean(axis=1, keepdims=True)).numpy()
    np.testing.assert_allclose(output[0, 1], uniform[0, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores[1].sum(axis=-1), 1.0, rtol=1e-5)
    # A mask without the batch axis broadcasts (Keras adds the heads axis).
    _assert_same(ours, theirs, [query, value], attention_mask=mask[0])


def _embedders(keras, dims, seed):
    """The same Embedding(mask_zero=True) in both libraries: their outputs carry the padding mask."""
    theirs = keras.layers.Embedding(10, dims, mask_zero=True)
    ours = layers.Embedding(10, dims, mask_zero=True)
    table = _random((10, dims), seed)
    theirs.build((None, 4))
    ours.build((None, 4))
    theirs.set_weights([table])
    ours.set_weights([table])
    return ours, theirs


def test_masks_from_embedding_match_keras(keras):
    query_ids = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]])
    value_ids = np.array([[1, 2, 0, 0], [3, 4, 5, 6]])
    key_ids = np.array([[7, 8, 9, 0], [3, 0, 0, 0]])
    ours_embed, keras_embed = _embedders(keras, 6, 1)
    query = ours_embed(query_ids)
    value = ours_embed(value_ids)
    key = ours_embed(key_ids)
    assert query._keras_mask is not None
    ours, theirs = _twins(keras, [keras_embed(query_ids), keras_embed(value_ids)], num_heads=2, key_dim=4)
    for ids, kwargs in [
        ((query_ids, query_ids), {}),
        ((query_ids, value_ids), {}),
        ((query_ids, value_ids, key_ids), {}),
        ((query_ids, query_ids), {"use_causal_mask": True}),
        ((query_ids, value_ids), {"attention_mask": np.random.default_rng(4).random((2, 5, 4)) > 0.3}),
    ]:
        got = ours(*[ours_embed(i) for i in ids], return_attention_scores=True, **kwargs)
        # (Keras takes the masks off the tensors it is given: embed afresh for every call.)
        want = theirs(*[keras_embed(i) for i in ids], return_attention_scores=True, **kwargs)
        for mine, keras_value in zip(got, want):
            np.testing.assert_allclose(mine.numpy(), np.asarray(keras_value), rtol=1e-5, atol=1e-5)
    # The padding of the value is never looked at; the output keeps the query's mask.
    output, scores = ours(query, value, key, return_attention_scores=True)
    assert np.all(scores.numpy()[0, :, :, 2:] == 0) and np.all(scores.numpy()[0, :, :, 3] == 0)
    assert np.all(scores.numpy()[1, :, :, 1:] == 0)  # the key's padding too
    np.testing.assert_array_equal(np.asarray(output._keras_mask), query_ids != 0)
    assert getattr(scores, "_keras_mask", None) is None


def test_explicit_masks_are_honoured():
    query, value = _random((2, 4, 6), 1), _random((2, 3, 6), 2)
    layer = MultiHeadAttention(2, 4)
    value_mask = np.array([[True, True, False], [True, False, False]])
    _, scores = layer(query, value, value_mask=value_mask, return_attention_scores=True)
    assert np.all(scores.numpy()[0, :, :, 2] == 0) and np.all(scores.numpy()[1, :, :, 1:] == 0)
    same = layer(query, value, attention_mask=np.broadcast_to(value_mask[:, None, :], (2, 4, 3)))
    np.testing.assert_allclose(layer(query, value, value_mask=value_mask).numpy(), same.numpy(), rtol=1e-6)


@pytest.mark.parametrize(
    "options, call_kwargs",
    [
        (dict(num_heads=2, key_dim=3), {}),
        (dict(num_heads=2, key_dim=3, value_dim=2), {"use_causal_mask": True}),
        (dict(num_heads=2, key_dim=2, attention_axes=(1, 2)), {}),
    ],
)
def test_gradients_of_the_inputs(options, call_kwargs):
    rank4 = "attention_axes" in options
    shapes = [(2, 3, 2, 4), (2, 2, 2, 3), (2, 2, 2, 5)] if rank4 else [(2, 4, 5), (2, 3, 3), (2, 3, 4)]
    query, value, key = (np.random.default_rng(i).standard_normal(s) for i, s in enumerate(shapes))
    layer = MultiHeadAttention(dtype="float64", **options)
    mask = np.random.default_rng(7).random(shapes[0][:2] + shapes[1][1:2]) > 0.3 if not rank4 else None
    output = layer(query, value, key, attention_mask=mask, **call_kwargs)
    weights = np.random.default_rng(8).standard_normal(output.shape)
    check_gradients(
        lambda q, v, k: layer(q, v, k, attention_mask=mask, **call_kwargs) * weights,
        [query, value, key],
    )


def test_gradients_of_the_weights():
    query, value = (
        np.random.default_rng(1).standard_normal((2, 3, 4)),
        np.random.default_rng(2).standard_normal((2, 2, 4)),
    )
    layer = MultiHeadAttention(2, 3, dtype="float64")
    mask = np.array([[[1, 0], [1, 1], [0, 0]], [[1, 1], [0, 1], [1, 1]]], bool)
    layer(query, value, attention_mask=mask)
    projections = [layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense]
    saved = [(p.kernel, p.bias) for p in projections]

    def function(*weights):
        for i, projection in enumerate(projections):
            projection.kernel, projection.bias = weights[2 * i], weights[2 * i + 1]
        return layer(query, value, attention_mask=mask) * np.arange(1.0, 5.0)

    try:
        check_gradients(function, [w.numpy() for pair in saved for w in pair])
    finally:
        for projection, (kernel, bias) in zip(projections, saved):
            projection.kernel, projection.bias = kernel, bias
    with learnet.GradientTape() as tape:
        loss = learnet.reduce_sum(layer(query, value))
    assert all(g is not None for g in tape.gradient(loss, layer.trainable_weights))


def test_dropout_in_training_only():
    x = _random((3, 6, 8), 1)
    layer = MultiHeadAttention(2, 4, dropout=0.5, seed=3)
    inference = layer(x, x).numpy()
    np.testing.assert_array_equal(layer(x, x, training=False).numpy(), inference)
    first = layer(x, x, training=True).numpy()
    second = layer(x, x, training=True).numpy()
    assert not np.allclose(first, inference) and not np.allclose(first, second)
    # The scores returned are the weights before dropout (as Keras).
    _, scores = layer(x, x, training=True, return_attention_scores=True)
    np.testing.assert_allclose(scores.numpy().sum(axis=-1), 1.0, rtol=1e-5)
    # The same seed gives the same dropout.
    one, two = MultiHeadAttention(2, 4, dropout=0.5, seed=3), MultiHeadAttention(2, 4, dropout=0.5, seed=3)
    for twin in (one, two):
        twin(x, x)
        twin.set_weights(layer.get_weights())
    np.testing.assert_array_equal(one(x, x, training=True).numpy(), two(x, x, training=True).numpy())


def test_sublayers_weights_and_names_follow_keras(keras):
    layer = MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, output_shape=5)
    layer(_random((2, 5, 6), 1), _random((2, 3, 7), 2), _random((2, 3, 8), 3))
    assert [p.name for p in (layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense)] == [
        "query",
        "key",
        "value",
        "attention_output",
    ]
    assert all(isinstance(p, EinsumDense) for p in (layer.query_dense, layer.output_dense))
    assert [tuple(w.shape) for w in layer.weights] == [
        (6, 2, 4),
        (2, 4),
        (8, 2, 4),
        (2, 4),
        (7, 2, 3),
        (2, 3),
        (2, 3, 5),
        (5,),
    ]
    assert [w.path for w in layer.weights][:2] == [f"{layer.name}/query/kernel", f"{layer.name}/query/bias"]
    public_layers = sorted(k for k, v in vars(layer).items() if isinstance(v, Layer) and not k.startswith("_"))
    assert public_layers == ["key_dense", "output_dense", "query_dense", "value_dense"]
    assert not any(isinstance(v, Layer) for k, v in vars(layer).items() if k.startswith("_"))
    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3, output_shape=5)
    theirs(_random((2, 5, 6), 1), _random((2, 3, 7), 2), _random((2, 3, 8), 3), return_attention_scores=True)
    layer.set_weights(theirs.get_weights())


def test_functional_api():
    query = layers.Input(shape=(5, 6))
    value = layers.Input(shape=(3, 4))
    mha = MultiHeadAttention(2, 8)
    output, scores = mha(query, value, return_attention_scores=True)
    assert tuple(output.shape) == (None, 5, 6) and tuple(scores.shape) == (None, 2, 5, 3)
    self_attention = MultiHeadAttention(2, 16, output_shape=7)(query, query, use_causal_mask=True)
    assert tuple(self_attention.shape) == (None, 5, 7)
    model = learnet.Model([query, value], [output, scores, self_attention])
    q, v = _random((4, 5, 6), 1), _random((4, 3, 4), 2)
    got = model.predict([q, v], verbose=0)
    assert [g.shape for g in got] == [(4, 5, 6), (4, 2, 5, 3), (4, 5, 7)]
    np.testing.assert_allclose(got[0], mha(q, v).numpy(), rtol=1e-5, atol=1e-6)
    assert mha.get_build_config() == {"shapes_dict": {"query_shape": [None, 5, 6], "value_shape": [None, 3, 4]}}


def _text_model(mha):
    tokens = layers.Input(shape=(8,), dtype="int32")
    x = layers.Embedding(20, 16, mask_zero=True)(tokens)
    x = mha(x, x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    return learnet.Model(tokens, outputs)


def _text_data():
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 20, size=(256, 8))
    tokens[rng.random((256, 8)) < 0.25] = 0  # padding
    labels = (tokens == 3).any(axis=1).astype("float32")  # does token 3 appear?
    return tokens, labels


def test_a_small_model_learns():
    model = _text_model(MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1))
    model.compile(optimizer=learnet.keras.optimizers.Adam(0.01), loss="binary_crossentropy")
    tokens, labels = _text_data()
    history = model.fit(tokens, labels, epochs=8, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_save_and_load_learnet_file(tmp_path):
    model = _text_model(MultiHeadAttention(num_heads=2, key_dim=8, value_dim=4, output_shape=12, name="attention"))
    tokens, _ = _text_data()
    before = model.predict(tokens[:10], verbose=0)
    model.save(tmp_path / "model.learnet")
    loaded = learnet.models.load_model(tmp_path / "model.learnet")
    np.testing.assert_allclose(loaded.predict(tokens[:10], verbose=0), before, rtol=1e-5, atol=1e-6)
    layer = loaded.get_layer("attention")
    assert isinstance(layer, MultiHeadAttention) and layer.value_dim == 4 and layer._output_shape == (12,)


def test_config_round_trip_and_keras_config(keras):
    layer = MultiHeadAttention(
        num_heads=3, key_dim=4, value_dim=5, dropout=0.2, use_bias=False, output_shape=(7,), seed=4, name="mha"
    )
    config = layer.get_config()
    for key in (
        "num_heads",
        "key_dim",
        "value_dim",
        "dropout",
        "use_bias",
        "output_shape",
        "attention_axes",
        "kernel_initializer",
        "bias_initializer",
        "kernel_regularizer",
        "bias_regularizer",
        "activity_regularizer",
        "kernel_constraint",
        "bias_constraint",
        "seed",
    ):
        assert key in config
    assert MultiHeadAttention.from_config(config).get_config() == config

    theirs = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4, value_dim=3)
    query, value = _random((2, 5, 6), 1), _random((2, 3, 7), 2)
    want = theirs(query, value, return_attention_scores=True)[0]
    ours = MultiHeadAttention.from_config(theirs.get_config())
    ours.build_from_config(theirs.get_build_config())
    assert ours.built and ours.get_build_config() == {
        "shapes_dict": {"query_shape": [2, 5, 6], "value_shape": [2, 3, 7]}
    }
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(query, value).numpy(), np.asarray(want), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="use_gate"):
        MultiHeadAttention.from_config({**theirs.get_config(), "use_gate": True})


def test_bad_arguments():
    for options, match in [
        (dict(num_heads=0, key_dim=4), "num_heads must be a positive integer"),
        (dict(num_heads=2.5, key_dim=4), "num_heads"),
        (dict(num_heads=2, key_dim=-1), "key_dim must be a positive integer"),
        (dict(num_heads=2, key_dim=4, value_dim="8"), "value_dim"),
        (dict(num_heads=2, key_dim=4, dropout=1.0), "dropout"),
        (dict(num_heads=2, key_dim=4, attention_axes="1"), "attention_axes"),
    ]:
        with pytest.raises(ValueError, match=match):
            MultiHeadAttention(**options)


def test_bad_inputs_are_refused_and_leave_the_layer_unchanged():
    layer = MultiHeadAttention(2, 4, name="att")
    with pytest.raises(ValueError, match="MultiHeadAttention 'att' expects query of rank 3"):
        layer(np.ones((2, 6)), np.ones((2, 6)))
    with pytest.raises(ValueError, match="same rank"):
        layer(np.ones((2, 5, 6)), np.ones((2, 5, 3, 6)))
    with pytest.raises(ValueError, match="value and key must have the same shape"):
        layer(np.ones((2, 5, 6)), np.ones((2, 3, 6)), np.ones((2, 4, 6)))
    with pytest.raises(ValueError, match="needs a value"):
        layer(np.ones((2, 5, 6)))
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 4, attention_axes=2)(np.ones((2, 5, 6)), np.ones((2, 5, 6)))
    assert not layer.built and layer.weights == []

    x = _random((2, 5, 6), 1)
    layer(x, x)
    before = layer.get_weights()
    with pytest.raises(ValueError, match="'att' was built for query of shape .* last dimension 6"):
        layer(np.ones((2, 5, 8)), x)
    with pytest.raises(ValueError, match="value"):
        layer(x, np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match="masks do not fit|does not fit"):
        layer(x, x, attention_mask=np.ones((2, 4, 4), bool))
    assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))
    assert len(layer.weights) == 8
