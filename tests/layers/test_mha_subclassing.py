"""Subclassing ``MultiHeadAttention`` the way tutorials do: Keras' private attributes and the
``_compute_attention`` hook (keras.io's vit_small_ds overrides it for locality self-attention).

The subclasses and their cases are written once in fixtures/make_mha_subclass_fixture.py,
which ran them with real Keras 3.15 (JAX) into fixtures/mha_subclass_reference.npz.
"""

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest

import learnet
from learnet import layers, ops
from learnet.layers.multi_head_attention import MultiHeadAttention
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_mha_subclass_fixture", FIXTURES / "make_mha_subclass_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
REFERENCE = np.load(FIXTURES / "mha_subclass_reference.npz")
LocalitySelfAttention, Tempered = FIXTURE.subclasses(learnet, ops)


def _random(shape, seed, dtype="float32"):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


class KerasStyleAttention(MultiHeadAttention):
    """Keras' explicit attention, written with the layer's parts as a subclass would write it."""

    def _compute_attention(self, query, key, value, attention_mask=None, training=None, return_attention_scores=False):
        query = ops.multiply(query, self._inverse_sqrt_key_dim)
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        dropped = self._dropout_layer(scores, training=training) if self._dropout > 0 else scores
        return ops.einsum(self._combine_equation, dropped, value), scores


# --- against Keras 3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(FIXTURE.cases()))
def test_subclass_outputs_scores_and_gradients_match_keras(name):
    which, options, inputs, call_options = FIXTURE.cases()[name]
    layer = (LocalitySelfAttention, Tempered)[which](**options)
    layer(*inputs, **call_options)
    # The same weights in the same order as Keras (the temperature first, then the projections).
    assert [str(tuple(w.shape)) for w in layer.weights] == list(REFERENCE[f"{name}/weight_shapes"])
    layer.set_weights([REFERENCE[f"{name}/weight_{i}"] for i in range(len(layer.weights))])

    tolerance = dict(rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(layer(*inputs, **call_options).numpy(), REFERENCE[f"{name}/output"], **tolerance)
    output, scores = layer(*inputs, return_attention_scores=True, **call_options)
    np.testing.assert_allclose(output.numpy(), REFERENCE[f"{name}/output_with_scores"], **tolerance)
    np.testing.assert_allclose(scores.numpy(), REFERENCE[f"{name}/scores"], **tolerance)

    query = learnet.constant(inputs[0])
    with learnet.GradientTape() as tape:
        tape.watch(query)
        loss = learnet.reduce_sum(layer(query, *inputs[1:], **call_options) * REFERENCE[f"{name}/upstream"])
    *weight_grads, query_grad = tape.gradient(loss, layer.trainable_weights + [query])
    for index, gradient in enumerate(weight_grads):
        expected = REFERENCE[f"{name}/weight_gradient_{index}"]
        np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-4, atol=2e-5, err_msg=f"weight {index}")
    np.testing.assert_allclose(query_grad.numpy(), REFERENCE[f"{name}/query_gradient"], rtol=1e-4, atol=2e-5)


@pytest.mark.parametrize("index", range(len(FIXTURE.EQUATION_LAYERS)))
def test_attention_equations_and_axes_match_keras(index):
    shape, axes = FIXTURE.EQUATION_LAYERS[index]
    layer = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=axes)
    layer.build(shape, shape)
    got = [
        layer._dot_product_equation,
        layer._combine_equation,
        str(tuple(layer._attention_axes)),
        str(tuple(layer._softmax.axis)),
    ]
    assert got == list(REFERENCE[f"equations_{index}"])


# --- the parts a subclass uses -------------------------------------------------------------------------------
def test_private_attributes_as_keras_names_them():
    layer = MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, dropout=0.2, use_bias=False, output_shape=7, seed=1)
    assert (layer._num_heads, layer._key_dim, layer._value_dim, layer._dropout, layer._use_bias) == (
        3,
        4,
        5,
        0.2,
        False,
    )
    assert layer._output_shape == (7,) and layer._attention_axes is None
    assert layer._inverse_sqrt_key_dim == 1.0 / math.sqrt(4.0)
    assert (layer.num_heads, layer.key_dim, layer.value_dim, layer.dropout, layer.use_bias) == (3, 4, 5, 0.2, False)
    with pytest.raises(AttributeError, match="_dot_product_equation"):
        layer._dot_product_equation  # made by build, as in Keras
    with pytest.raises(AttributeError, match="_softmax"):
        layer._softmax
    layer(_random((2, 6, 8), 1), _random((2, 4, 8), 2))
    assert layer._query_dense is layer.query_dense and layer._key_dense is layer.key_dense
    assert layer._value_dense is layer.value_dense and layer._output_dense is layer.output_dense
    assert layer._attention_axes == layer.attention_axes == (1,)
    assert layer._dropout_layer.rate == 0.2 and layer._softmax.axis == (3,)
    assert tuple(layer._query_dense(_random((2, 6, 8), 3)).shape) == (2, 6, 3, 4)  # EinsumDense, callable
    with pytest.raises(AttributeError):
        layer.num_heads = 4  # read-only, as in Keras
    assert layer._num_heads == 3
    # The hook's parts hold no weights and leave the weights' order and names alone.
    assert [w.path for w in layer.weights] == [
        f"{layer.name}/{part}/kernel" for part in ("query", "key", "value", "attention_output")
    ]


def test_default_layer_is_keras_explicit_attention():
    """The layer's own (fast) hook and the same attention written with `_dot_product_equation`,
    `_masked_softmax` and `_combine_equation` agree, fully masked query steps included."""
    query, value = _random((2, 4, 6), 1), _random((2, 5, 6), 2)
    mask = np.random.default_rng(3).random((2, 4, 5)) > 0.4
    mask[0, 1] = False  # a query step that may look at nothing: zero weights
    ours, theirs = MultiHeadAttention(2, 3, dropout=0.1), KerasStyleAttention(2, 3, dropout=0.1)
    ours(query, value)
    theirs(query, value)
    theirs.set_weights(ours.get_weights())
    for options in ({"attention_mask": mask}, {"use_causal_mask": True}, {}):
        expected, expected_scores = ours(query, value, return_attention_scores=True, **options)
        got, got_scores = theirs(query, value, return_attention_scores=True, **options)
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(got_scores.numpy(), expected_scores.numpy(), rtol=1e-5, atol=1e-6)
    _, got_scores = theirs(query, value, attention_mask=mask, return_attention_scores=True)
    assert np.all(got_scores.numpy()[0, :, 1] == 0)


def test_override_changes_the_output_and_calling_super_does_not():
    x = _random((2, 5, 8), 1)

    class Plain(MultiHeadAttention):
        def _compute_attention(self, *args, **kwargs):
            return super()._compute_attention(*args, **kwargs)

    base, plain, tempered = MultiHeadAttention(2, 4), Plain(2, 4), Tempered(num_heads=2, key_dim=4)
    for layer in (base, plain, tempered):
        layer(x, x)
    plain.set_weights(base.get_weights())
    tempered.set_weights(base.get_weights())
    np.testing.assert_allclose(plain(x, x).numpy(), base(x, x).numpy(), rtol=1e-6)
    assert not np.allclose(tempered(x, x).numpy(), base(x, x).numpy(), atol=1e-4)


def test_tf_keras_2_signature_is_called_without_the_scores_flag():
    """vit_small_ds overrides `_compute_attention(query, key, value, attention_mask=None, training=None)`
    (tf.keras 2's hook): it is called with those five arguments and its scores still come back."""
    seen = []

    class Legacy(MultiHeadAttention):
        def _compute_attention(self, query, key, value, attention_mask=None, training=None):
            seen.append((attention_mask is None, training))
            scores = self._masked_softmax(ops.einsum(self._dot_product_equation, key, query), attention_mask)
            return ops.einsum(self._combine_equation, scores, value), scores

    x = _random((2, 3, 4), 1)
    layer = Legacy(num_heads=1, key_dim=2)
    output, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True, training=True)
    assert seen == [(False, True)] and tuple(scores.shape) == (2, 1, 3, 3)
    assert np.allclose(np.triu(scores.numpy()[0, 0], 1), 0)  # the causal mask reached the override


def test_dropout_layer_is_seeded_and_used_in_training_only():
    x = _random((2, 6, 8), 1)
    one, two = (LocalitySelfAttention(num_heads=2, key_dim=4, dropout=0.5, seed=3) for _ in range(2))
    one(x, x)
    two(x, x)
    two.set_weights(one.get_weights())
    np.testing.assert_array_equal(one(x, x, training=True).numpy(), two(x, x, training=True).numpy())
    assert not np.allclose(one(x, x, training=True).numpy(), one(x, x).numpy())
    np.testing.assert_array_equal(one(x, x).numpy(), one(x, x, training=False).numpy())


def test_build_from_signature_builds_like_build():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    layer._build_from_signature(learnet.ones((2, 5, 6)), learnet.ones((2, 4, 7)))
    assert layer.built and [tuple(w.shape) for w in layer.weights][::2] == [(6, 2, 3), (7, 2, 3), (7, 2, 3), (2, 3, 6)]
    assert layer._dot_product_equation == "aecd,abcd->acbe"


# --- numerical gradients -----------------------------------------------------------------------------------
def test_gradients_of_an_overridden_compute_attention():
    """`LocalitySelfAttention._compute_attention` (temperature, `_masked_softmax`, the einsums):
    gradients of the query, the value and the temperature."""
    query, value = _random((2, 3, 4), 1, "float64"), _random((2, 4, 4), 2, "float64")
    layer = LocalitySelfAttention(num_heads=2, key_dim=3, dtype="float64")
    mask = np.array([[[1, 0, 1, 1], [1, 1, 0, 0], [0, 0, 0, 0]], [[1, 1, 1, 1], [0, 1, 0, 1], [1, 0, 0, 1]]], bool)
    output = layer(query, value, attention_mask=mask)
    upstream = _random(tuple(output.shape), 3, "float64")
    tau = layer.tau

    def function(q, v, temperature):
        layer.tau = temperature
        return layer(q, v, attention_mask=mask) * upstream

    try:
        check_gradients(function, [query, value, np.array(1.7)])
    finally:
        layer.tau = tau


def test_gradients_of_masked_softmax_over_two_axes():
    """`MultiHeadAttention._masked_softmax` over 2-D attention (two key axes), with a mask."""
    layer = MultiHeadAttention(num_heads=2, key_dim=3, attention_axes=(1, 2), dtype="float64")
    layer.build((1, 2, 3, 4), (1, 2, 3, 4))
    scores = _random((1, 2, 2, 3, 2, 3), 1, "float64")  # (batch, heads, query axes, key axes)
    mask = np.random.default_rng(2).random((1, 2, 3, 2, 3)) > 0.3
    weights = layer._masked_softmax(learnet.constant(scores), mask).numpy()
    np.testing.assert_allclose(weights.sum(axis=(-2, -1))[mask.any(axis=(-2, -1))[:, None].repeat(2, 1)], 1.0)
    upstream = _random(scores.shape, 3, "float64")
    check_gradients(lambda s: layer._masked_softmax(s, mask) * upstream, [scores])


# --- bad input ----------------------------------------------------------------------------------------------
def test_a_hook_that_returns_one_tensor_is_refused():
    class OneTensor(MultiHeadAttention):
        def _compute_attention(
            self, query, key, value, attention_mask=None, training=None, return_attention_scores=False
        ):
            return ops.einsum("abcd->abcd", query)

    x = _random((2, 3, 4), 1)
    layer = OneTensor(num_heads=2, key_dim=2)
    layer.build(x.shape, x.shape)
    before = [w.numpy().copy() for w in layer.weights]
    with pytest.raises(
        TypeError, match=r"_compute_attention must return the pair \(attention_output, attention_scores\)"
    ):
        layer(x, x)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, layer.weights))


def test_a_mask_that_does_not_fit_the_scores_is_refused():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    layer.build((2, 4, 6), (2, 5, 6))
    scores = learnet.constant(_random((2, 2, 4, 5), 1))
    with pytest.raises(ValueError, match=r"mask of shape \(2, 1, 4, 3\) does not broadcast .* \(2, 2, 4, 5\)"):
        layer._masked_softmax(scores, np.ones((2, 4, 3), bool))


def test_build_from_signature_refuses_value_and_key_of_different_steps():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    with pytest.raises(ValueError, match="value and key must have the same shape"):
        layer._build_from_signature(learnet.ones((2, 5, 6)), learnet.ones((2, 4, 6)), learnet.ones((2, 3, 6)))
    assert not layer.built and layer.weights == []


# --- keras.io's vit_small_ds, its locality self-attention path, small ------------------------------------
def test_vit_small_ds_locality_self_attention_builds_fits_and_predicts():
    keras = tf = learnet
    image_size, patch_size, projection_dim, num_classes = 12, 6, 8, 5
    num_patches = (image_size // patch_size) ** 2
    x_train = np.random.default_rng(0).integers(0, 255, (8, 8, 8, 3)).astype("uint8")
    y_train = np.random.default_rng(1).integers(0, num_classes, (8, 1))

    data_augmentation = keras.Sequential(
        [
            layers.Normalization(),
            layers.Resizing(image_size, image_size),
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(factor=0.02),
            layers.RandomZoom(height_factor=0.2, width_factor=0.2),
        ]
    )
    data_augmentation.layers[0].adapt(x_train)

    class ShiftedPatchTokenization(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.half_patch = patch_size // 2
            self.flatten_patches = layers.Reshape((num_patches, -1))
            self.projection = layers.Dense(units=projection_dim)
            self.layer_norm = layers.LayerNormalization(epsilon=1e-6)

        def crop_shift_pad(self, images, crop, shift):
            cropped = tf.image.crop_to_bounding_box(
                images, crop[0], crop[1], image_size - self.half_patch, image_size - self.half_patch
            )
            return tf.image.pad_to_bounding_box(cropped, shift[0], shift[1], image_size, image_size)

        def call(self, images):
            h = self.half_patch
            shifts = [((h, h), (0, 0)), ((0, h), (h, 0)), ((h, 0), (0, h)), ((0, 0), (h, h))]
            images = ops.concatenate([images] + [self.crop_shift_pad(images, c, s) for c, s in shifts], axis=-1)
            patches = tf.image.extract_patches(
                images=images,
                sizes=[1, patch_size, patch_size, 1],
                strides=[1, patch_size, patch_size, 1],
                rates=[1, 1, 1, 1],
                padding="VALID",
            )
            tokens = self.projection(self.layer_norm(self.flatten_patches(patches)))
            return (tokens, patches)

    class PatchEncoder(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)
            self.positions = ops.arange(start=0, stop=num_patches, step=1)

        def call(self, encoded_patches):
            return encoded_patches + self.position_embedding(self.positions)

    class MultiHeadAttentionLSA(layers.MultiHeadAttention):  # as the tutorial writes it
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.tau = tf.Variable(math.sqrt(float(self._key_dim)), trainable=True)

        def _compute_attention(self, query, key, value, attention_mask=None, training=None):
            query = ops.multiply(query, 1.0 / self.tau)
            attention_scores = ops.einsum(self._dot_product_equation, key, query)
            attention_scores = self._masked_softmax(attention_scores, attention_mask)
            attention_scores_dropout = self._dropout_layer(attention_scores, training=training)
            attention_output = ops.einsum(self._combine_equation, attention_scores_dropout, value)
            return attention_output, attention_scores

    diag_attn_mask = ops.cast([1 - ops.eye(num_patches)], dtype="int8")
    inputs = layers.Input(shape=(8, 8, 3))
    (tokens, _) = ShiftedPatchTokenization()(data_augmentation(inputs))
    encoded_patches = PatchEncoder()(tokens)
    x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    lsa = MultiHeadAttentionLSA(num_heads=2, key_dim=projection_dim, dropout=0.1)
    attention_output = lsa(x1, x1, attention_mask=diag_attn_mask)
    x2 = layers.Add()([attention_output, encoded_patches])
    representation = layers.Flatten()(layers.LayerNormalization(epsilon=1e-6)(x2))
    logits = layers.Dense(num_classes)(layers.Dropout(0.5)(representation))
    model = keras.Model(inputs=inputs, outputs=logits)

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=0.01, weight_decay=0.0001),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    assert any(w is lsa.tau for w in model.trainable_weights)
    tau_before = float(lsa.tau.numpy())
    assert tau_before == pytest.approx(math.sqrt(projection_dim))
    history = model.fit(x_train, y_train, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert float(lsa.tau.numpy()) != tau_before  # the temperature is trained
    predictions = model.predict(x_train[:3], verbose=0)
    assert predictions.shape == (3, num_classes) and np.all(np.isfinite(predictions))
    # No token attends to itself: the diagonal mask reached the override.
    tokens = _random((1, num_patches, projection_dim), 5)
    _, scores = lsa(tokens, tokens, attention_mask=diag_attn_mask, return_attention_scores=True)
    assert np.allclose(np.diagonal(scores.numpy(), axis1=-2, axis2=-1), 0.0)
