"""Attention and AdditiveAttention: values against real Keras 3, gradients, masks, dropout,
the functional API, training, configs, saving and errors."""

import numpy as np
import pytest

import learnet
from learnet import layers
from learnet.layers.attention import AdditiveAttention, Attention
from learnet.testing import check_gradients

CLASSES = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}
# (class name, constructor arguments): every way the scores can be computed.
CONFIGS = [
    ("Attention", {}),
    ("Attention", {"use_scale": True}),
    ("Attention", {"score_mode": "concat"}),
    ("Attention", {"score_mode": "concat", "use_scale": True}),
    ("AdditiveAttention", {}),
    ("AdditiveAttention", {"use_scale": False}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items()) or 'default'}" for name, kwargs in CONFIGS]

RNG = np.random.default_rng(0)
QUERY = RNG.standard_normal((2, 3, 4)).astype("float32")
VALUE = RNG.standard_normal((2, 5, 4)).astype("float32")
KEY = RNG.standard_normal((2, 5, 4)).astype("float32")
QUERY_MASK = np.array([[True, True, False], [True, False, False]])
VALUE_MASK = np.array([[True, True, True, False, False], [True, True, True, True, False]])


def _pair(keras, name, kwargs, inputs):
    """The Keras layer and the learnet layer, built on ``inputs``, with the same (random) weights.

    Both get the same explicit name: automatic names follow each library's counter, which
    other tests move (``learnet.layers.reset_names`` resets learnet's alone).
    """
    kwargs = {"name": f"paired_{name.lower()}", **kwargs}
    theirs = getattr(keras.layers, name)(**kwargs)
    ours = CLASSES[name](**kwargs)
    theirs(inputs)
    ours(inputs)
    rng = np.random.default_rng(1)
    weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in theirs.get_weights()]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    return theirs, ours


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_weights_are_named_and_shaped_as_in_keras(keras, name, kwargs):
    theirs, ours = _pair(keras, name, kwargs, [QUERY, VALUE])
    assert [w.path for w in theirs.weights] == [w.path for w in ours.weights]
    assert [w.shape for w in theirs.get_weights()] == [w.shape for w in ours.get_weights()]


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
@pytest.mark.parametrize("with_key", [False, True], ids=["value-as-key", "key-given"])
@pytest.mark.parametrize(
    "mask",
    [None, [QUERY_MASK, VALUE_MASK], [None, VALUE_MASK], [QUERY_MASK, None]],
    ids=["no-mask", "both-masks", "value-mask", "query-mask"],
)
@pytest.mark.parametrize("causal", [False, True], ids=["", "causal"])
def test_outputs_and_scores_equal_keras(keras, name, kwargs, with_key, mask, causal):
    inputs = [QUERY, VALUE, KEY] if with_key else [QUERY, VALUE]
    theirs, ours = _pair(keras, name, kwargs, inputs)
    expected, expected_scores = theirs(inputs, mask=mask, use_causal_mask=causal, return_attention_scores=True)
    output, scores = ours(inputs, mask=mask, use_causal_mask=causal, return_attention_scores=True)
    assert output.dtype == "float32" and scores.dtype == "float32"
    np.testing.assert_allclose(output.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), np.asarray(expected_scores), rtol=1e-5, atol=1e-5)
    alone = ours(inputs, mask=mask, use_causal_mask=causal)  # without the scores: the same output
    np.testing.assert_array_equal(alone.numpy(), output.numpy())


def test_value_dimension_may_differ_from_the_query_in_dot_mode(keras):
    value = RNG.standard_normal((2, 5, 6)).astype("float32")
    theirs, ours = _pair(keras, "Attention", {"use_scale": True}, [QUERY, value, KEY])
    output = ours([QUERY, value, KEY], mask=[QUERY_MASK, VALUE_MASK])
    assert output.shape == (2, 3, 6)
    expected = theirs([QUERY, value, KEY], mask=[QUERY_MASK, VALUE_MASK])
    np.testing.assert_allclose(output.numpy(), np.asarray(expected), rtol=1e-5, atol=1e-5)


def test_masks_drop_padded_keys_and_zero_padded_queries():
    output, scores = Attention()([QUERY, VALUE], mask=[QUERY_MASK, VALUE_MASK], return_attention_scores=True)
    scores = scores.numpy()
    assert np.all(scores[~np.broadcast_to(VALUE_MASK[:, None, :], scores.shape)] == 0)
    np.testing.assert_allclose(scores.sum(axis=-1), 1.0, rtol=1e-6)
    assert np.all(output.numpy()[~QUERY_MASK] == 0)
    causal = Attention()([QUERY, VALUE], use_causal_mask=True, return_attention_scores=True)[1].numpy()
    assert np.all(np.triu(causal[0], k=1) == 0) and np.all(np.diag(causal[0]) > 0)
    # A query whose keys are all masked still gets finite weights (as in Keras), never NaN.
    all_masked = np.zeros_like(VALUE_MASK)
    assert np.all(np.isfinite(Attention()([QUERY, VALUE], mask=[None, all_masked]).numpy()))


def test_compute_mask_is_the_query_mask_and_travels_on_the_output():
    layer = Attention()
    assert layer.compute_mask([QUERY, VALUE], None) is None
    assert layer.compute_mask([QUERY, VALUE], [None, VALUE_MASK]) is None
    np.testing.assert_array_equal(layer.compute_mask([QUERY, VALUE], [QUERY_MASK, VALUE_MASK]).numpy(), QUERY_MASK)
    output = layer([QUERY, VALUE], mask=[QUERY_MASK, VALUE_MASK])
    np.testing.assert_array_equal(output._keras_mask.numpy(), QUERY_MASK)


def test_masks_left_on_the_inputs_are_used():
    ids = np.array([[3, 1, 0], [2, 0, 0]])
    embedded = layers.Embedding(5, 4, mask_zero=True)(ids)
    layer = Attention(use_scale=True)
    output, scores = layer([embedded, embedded], return_attention_scores=True)
    given, given_scores = layer(
        [embedded.numpy(), embedded.numpy()], mask=[ids != 0, ids != 0], return_attention_scores=True
    )
    np.testing.assert_array_equal(output.numpy(), given.numpy())
    np.testing.assert_array_equal(scores.numpy(), given_scores.numpy())
    np.testing.assert_array_equal(output._keras_mask.numpy(), ids != 0)
    # Only the value carries a mask: padded keys are dropped, no query is zeroed.
    only_value = layer([embedded.numpy(), embedded])
    np.testing.assert_array_equal(
        only_value.numpy(), layer([embedded.numpy(), embedded.numpy()], mask=[None, ids != 0]).numpy()
    )


def _embedding_model(library, attention_layer, vocabulary=7, steps=5, dim=4):
    inputs = library.Input(shape=(steps,), dtype="int32")
    x = library.layers.Embedding(vocabulary, dim, mask_zero=True, name="embedding")(inputs)
    x = attention_layer([x, x])
    x = library.layers.GlobalAveragePooling1D(name="pool")(x)
    outputs = library.layers.Dense(1, activation="sigmoid", name="out")(x)
    return library.Model(inputs, outputs)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_embedding_masks_in_a_functional_model_equal_keras(keras, name, kwargs):
    theirs = _embedding_model(keras, getattr(keras.layers, name)(name="att", **kwargs))
    ours = _embedding_model(learnet, CLASSES[name](name="att", **kwargs))
    rng = np.random.default_rng(2)
    for layer_name in ("embedding", "att", "out"):
        weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in theirs.get_layer(layer_name).get_weights()]
        theirs.get_layer(layer_name).set_weights(weights)
        ours.get_layer(layer_name).set_weights(weights)
    ids = np.array([[1, 2, 3, 0, 0], [4, 5, 6, 2, 0], [6, 0, 0, 0, 0]], dtype="int32")
    expected = np.asarray(theirs.predict(ids, verbose=0))
    np.testing.assert_allclose(ours.predict(ids, verbose=0), expected, rtol=1e-5, atol=1e-6)


# --- gradients ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
@pytest.mark.parametrize("masked", [False, True], ids=["", "masked-causal"])
def test_numerical_gradients_of_inputs_and_weights(name, kwargs, masked):
    rng = np.random.default_rng(3)
    query, value, key = (rng.standard_normal(shape) for shape in [(2, 3, 4), (2, 4, 4), (2, 4, 4)])
    layer = CLASSES[name](dtype="float64", **kwargs)
    layer([query, value, key])
    upstream = rng.standard_normal((2, 3, 4))
    call_options = {"mask": [QUERY_MASK, VALUE_MASK[:, :4]], "use_causal_mask": True} if masked else {}
    names = [n for n in ("scale", "concat_score_weight") if getattr(layer, n) is not None]
    saved = {n: getattr(layer, n) for n in names}
    starts = [rng.uniform(0.5, 1.5, saved[n].shape) for n in names]

    def function(q, v, k, *weights):
        for n, w in zip(names, weights):
            setattr(layer, n, w)
        return layer([q, v, k], **call_options) * upstream

    try:
        check_gradients(function, [query, value, key, *starts])
    finally:
        for n in names:
            setattr(layer, n, saved[n])


def test_scale_gets_a_gradient_in_training_and_value_as_key():
    layer = Attention(use_scale=True)
    with learnet.GradientTape() as tape:
        loss = learnet.reduce_sum(layer([QUERY, VALUE]) ** 2)
    (gradient,) = tape.gradient(loss, layer.trainable_weights)
    assert gradient is not None and np.isfinite(gradient.numpy())


# --- dropout ----------------------------------------------------------------------------------------------
def test_dropout_applies_in_training_only():
    plain = Attention()
    expected, expected_scores = plain([QUERY, VALUE], return_attention_scores=True)
    layer = Attention(dropout=0.5, seed=4)
    for training in (None, False):
        output, scores = layer([QUERY, VALUE], training=training, return_attention_scores=True)
        np.testing.assert_array_equal(output.numpy(), expected.numpy())
    output, scores = layer([QUERY, VALUE], training=True, return_attention_scores=True)
    scores, expected_scores = scores.numpy(), expected_scores.numpy()
    dropped = scores == 0
    assert dropped.any() and (~dropped).any()
    # Inverted dropout: what is kept is scaled by 1 / (1 - rate).
    np.testing.assert_allclose(scores[~dropped], expected_scores[~dropped] / 0.5, rtol=1e-6)
    np.testing.assert_allclose(output.numpy(), np.matmul(scores, VALUE), rtol=1e-5, atol=1e-6)
    # The same seed draws the same masks.
    again = Attention(dropout=0.5, seed=4)([QUERY, VALUE], training=True, return_attention_scores=True)[1]
    np.testing.assert_array_equal(again.numpy(), scores)


def test_dropout_of_additive_attention_and_in_a_training_loop():
    layer = AdditiveAttention(dropout=0.3, seed=1)
    first = layer([QUERY, VALUE], training=True).numpy()
    second = layer([QUERY, VALUE], training=True).numpy()
    assert not np.array_equal(first, second)  # a new mask at each step
    np.testing.assert_array_equal(layer([QUERY, VALUE]).numpy(), layer([QUERY, VALUE]).numpy())


# --- the functional API -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_functional_api_shapes_equal_keras_and_predict_equals_the_layer(keras, name, kwargs):
    def build(library, layer):
        query = library.Input(shape=(3, 4))
        value = library.Input(shape=(5, 6 if name == "Attention" and kwargs.get("score_mode", "dot") == "dot" else 4))
        key = library.Input(shape=(5, 4))
        output = layer([query, value, key])
        output_2, scores = layer([query, value, key], return_attention_scores=True, use_causal_mask=True)
        return (query, value, key), (output, output_2, scores)

    (k_inputs, k_outputs) = build(keras, getattr(keras.layers, name)(**kwargs))
    layer = CLASSES[name](**kwargs)
    inputs, outputs = build(learnet, layer)
    assert [tuple(t.shape) for t in outputs] == [tuple(t.shape) for t in k_outputs]
    model = learnet.Model(list(inputs), list(outputs))
    data = [RNG.standard_normal((2,) + tuple(t.shape)[1:]).astype("float32") for t in inputs]
    output, output_2, scores = model.predict(data, verbose=0)
    np.testing.assert_allclose(output, layer(data).numpy(), rtol=1e-6)
    direct = layer(data, return_attention_scores=True, use_causal_mask=True)
    np.testing.assert_allclose(output_2, direct[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(scores, direct[1].numpy(), rtol=1e-6)


def test_compute_output_shape_and_spec():
    layer = Attention()
    assert layer.compute_output_shape([(None, 3, 4), (None, 5, 6), (None, 5, 4)]) == (None, 3, 6)
    query, value = learnet.Input(shape=(3, 4)), learnet.Input(shape=(5, 4))
    output, scores = layer.compute_output_spec([query, value], return_attention_scores=True)
    assert tuple(output.shape) == (None, 3, 4) and tuple(scores.shape) == (None, 3, 5)
    assert tuple(layer.compute_output_spec([query, value]).shape) == (None, 3, 4)


@pytest.mark.parametrize("layer_class", [Attention, AdditiveAttention])
def test_a_small_model_trains_with_compile_and_fit(layer_class):
    rng = np.random.default_rng(5)
    ids = rng.integers(1, 10, size=(256, 8))
    ids[:, 6:] = 0  # padding
    labels = (ids[:, :6] >= 5).sum(axis=1, keepdims=True) >= 3
    inputs = learnet.Input(shape=(8,), dtype="int32")
    x = layers.Embedding(10, 8, mask_zero=True)(inputs)
    x = layer_class(use_scale=True)([x, x])
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = learnet.Model(inputs, outputs)
    model.compile(optimizer=learnet.keras.optimizers.Adam(0.02), loss="binary_crossentropy")
    history = model.fit(ids, labels.astype("float32"), epochs=8, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses


# --- configs and saving ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_config_round_trip_and_keras_config(keras, name, kwargs):
    kwargs = dict(kwargs, dropout=0.25)
    if name == "Attention":
        kwargs["seed"] = 7
    ours = CLASSES[name](name="att", **kwargs)
    theirs = getattr(keras.layers, name)(name="att", **kwargs)
    config = ours.get_config()
    keras_config = theirs.get_config()
    assert set(config) == set(keras_config)
    for key in set(config) - {"dtype"}:
        assert config[key] == keras_config[key], key
    clone = CLASSES[name].from_config(config)
    assert clone.get_config() == config
    # A config as Keras writes it in a .keras file (its dtype is a DTypePolicy dict).
    from_keras = CLASSES[name].from_config(keras.saving.serialize_keras_object(theirs)["config"])
    assert from_keras.get_config() == config


def test_a_keras_model_file_with_attention_loads(keras, tmp_path):
    query = keras.Input(shape=(3, 4))
    value = keras.Input(shape=(5, 4))
    output = keras.layers.Attention(use_scale=True, name="att")([query, value], use_causal_mask=True)
    output = keras.layers.AdditiveAttention(name="add")([output, value])
    model = keras.Model([query, value], output)
    model.get_layer("att").set_weights([np.array(0.7, "float32")])
    model.save(tmp_path / "att.keras")
    restored = learnet.models.load_model(tmp_path / "att.keras")
    data = [QUERY, VALUE]
    np.testing.assert_allclose(
        restored.predict(data, verbose=0), np.asarray(model.predict(data, verbose=0)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=IDS)
def test_save_and_load_in_learnet_format(tmp_path, name, kwargs):
    query, value = learnet.Input(shape=(3, 4)), learnet.Input(shape=(5, 4))
    output, scores = CLASSES[name](name="att", **kwargs)(
        [query, value], return_attention_scores=True, use_causal_mask=True
    )
    model = learnet.Model([query, value], [output, scores])
    for weight in model.get_layer("att").weights:
        weight.assign(np.full(weight.shape, 0.8, "float32"))
    path = tmp_path / "model.learnet"
    model.save(path)
    restored = learnet.models.load_model(path)
    assert type(restored.get_layer("att")) is CLASSES[name]
    for got, expected in zip(restored.predict([QUERY, VALUE], verbose=0), model.predict([QUERY, VALUE], verbose=0)):
        np.testing.assert_array_equal(got, expected)


# --- errors -------------------------------------------------------------------------------------------------
def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"Attention 'att'.*score_mode.*'dot'.*'concat'.*'cosine'"):
        Attention(score_mode="cosine", name="att")
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        AdditiveAttention(dropout=1.5)
    with pytest.raises(TypeError, match="unexpected keyword"):
        Attention(causal=True)


@pytest.mark.parametrize(
    "inputs, message",
    [
        (lambda: QUERY, r"a list \[query, value\] or \[query, value, key\].*one tensor of shape \(2, 3, 4\)"),
        (lambda: [QUERY], "got a list of 1 input"),
        (lambda: [QUERY, VALUE, KEY, KEY], "got a list of 4 input"),
        (
            lambda: [QUERY, np.ones((2, 5, 3), "float32")],
            r"query and key with the same last dimension.*value \(2, 5, 3\)",
        ),
        (lambda: [QUERY, VALUE, np.ones((2, 6, 4), "float32")], "key and value with the same number of steps"),
        (lambda: [QUERY, np.ones((3, 5, 4), "float32")], "same batch size"),
        (lambda: [QUERY[:, 0], VALUE[:, 0]], "same rank"),
    ],
    ids=["one-tensor", "one-input", "four-inputs", "dims", "steps", "batch", "rank-2"],
)
@pytest.mark.parametrize("layer_class", [Attention, AdditiveAttention])
def test_bad_inputs_raise_clear_errors_and_change_nothing(layer_class, inputs, message):
    layer = layer_class(use_scale=True, name="att")
    with pytest.raises(ValueError, match=f"{layer_class.__name__} 'att' expects .*{message}"):
        layer(inputs())
    assert not layer.built and layer.weights == []
    output = layer([QUERY, VALUE])  # the layer still works on good inputs, built for them
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=f"{layer_class.__name__} 'att' expects .*{message}"):
        layer(inputs())
    assert all(np.array_equal(a, b) for a, b in zip(before, layer.get_weights()))
    np.testing.assert_array_equal(layer([QUERY, VALUE]).numpy(), output.numpy())


def test_bad_masks_and_a_query_of_another_dimension_raise_clear_errors():
    layer = Attention(name="att")
    with pytest.raises(ValueError, match=r"Attention 'att' expects mask=\[query_mask, value_mask\]"):
        layer([QUERY, VALUE], mask=VALUE_MASK)
    with pytest.raises(ValueError, match=r"Attention 'att' expects a value mask of shape \(2, 5\).*got \(2, 4\)"):
        layer([QUERY, VALUE], mask=[None, VALUE_MASK[:, :4]])
    with pytest.raises(ValueError, match=r"Attention 'att' expects a query mask of shape \(2, 3\)"):
        layer([QUERY, VALUE], mask=[VALUE_MASK, None])
    additive = AdditiveAttention(name="add")
    additive([QUERY, VALUE])
    scale = additive.get_weights()
    wider = np.ones((2, 3, 6), "float32")
    with pytest.raises(ValueError, match=r"AdditiveAttention 'add' was built for a query of last dimension 4"):
        additive([wider, wider])
    with pytest.raises(ValueError, match=r"AdditiveAttention 'add' was built for a query of last dimension 4"):
        additive([learnet.Input(shape=(3, 6)), learnet.Input(shape=(5, 6))])
    np.testing.assert_array_equal(additive.get_weights()[0], scale[0])
    with pytest.raises(ValueError, match=r"Attention 'sym' expects .*same last dimension"):
        Attention(name="sym")([learnet.Input(shape=(3, 4)), learnet.Input(shape=(5, 2))])


@pytest.mark.parametrize("kind", [Attention, AdditiveAttention])
def test_a_query_of_batch_one_attends_within_each_batch_of_values_as_keras_3(kind):
    """The Perceiver's latent array (batch 1) attends to every example's inputs."""
    import os

    os.environ.setdefault("KERAS_BACKEND", "jax")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(5)
    query, value, key = (rng.random(shape).astype("float32") for shape in [(1, 5, 8), (4, 7, 8), (4, 7, 8)])
    ours, theirs = kind(use_scale=True), getattr(keras.layers, kind.__name__)(use_scale=True)
    theirs([query, value, key])
    ours.build([query.shape, value.shape, key.shape])
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours([query, value, key]).numpy(), np.asarray(theirs([query, value, key])), atol=1e-6)
    assert kind()([layers.Input((5, 8), batch_size=1), layers.Input((7, 8))]).shape == (None, 5, 8)
    with pytest.raises(ValueError, match="same batch size"):
        kind()([np.zeros((2, 5, 8)), np.zeros((3, 7, 8))])
