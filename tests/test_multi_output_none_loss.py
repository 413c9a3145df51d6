"""A model with several outputs, compiled with a ``None`` loss for some of them and fitted
with targets for only the others (keras.io's miniature GPT: outputs ``[logits, hidden]``,
``loss=[SparseCategoricalCrossentropy(from_logits=True), None]``, ``fit(x, y)``).

Keras 3's rules: targets are given one per output (``None`` where an output has none), one
per output that has a loss (a single array is a list of one), or as a dict by output name;
an output given no targets tracks no metrics. Numbers and names are compared with real
Keras 3 (tests/fixtures/make_keras_none_loss_fixture.py).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
import learnet as tf
from learnet.models.compile_utils import targets_per_output

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "keras_none_loss_reference.npz")


def _fixture_maker():
    """The fixture's generator as a module: its build() and data() make the same models here."""
    spec = importlib.util.spec_from_file_location(
        "make_keras_none_loss_fixture", FIXTURES / "make_keras_none_loss_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _fixture_maker()
X, Y, Y_THIRD = MAKER.data()
KINDS = MAKER.target_kinds(X, Y, Y_THIRD)


def _reference_model(kind):
    outputs, _ = KINDS[kind]
    model = MAKER.build(keras, outputs, metrics=MAKER.METRICS.get(kind, "both"))
    count = len([key for key in REFERENCE.files if key.startswith(f"{kind}/weight_")])
    model.set_weights([REFERENCE[f"{kind}/weight_{i}"] for i in range(count)])
    return model


def _expected(kind, what):
    prefix = f"{kind}/{what}/"
    return {key[len(prefix) :]: REFERENCE[key] for key in REFERENCE.files if key.startswith(prefix)}


# Keras 3 pairs metrics with targets by position before placing them, so with the targets
# [y, y_third] of outputs [logits, hidden, third] the metric of ``third`` is never logged;
# learnet places the targets first and logs it.
EXTRA_IN_LEARNET = {"three_outputs": {"third_mae"}}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_evaluate_and_fit_with_targets_for_the_outputs_with_a_loss_match_keras(kind):
    model = _reference_model(kind)
    _, targets = KINDS[kind]
    results = model.evaluate(X, targets, batch_size=8, verbose=0, return_dict=True)
    expected = _expected(kind, "evaluate")
    assert set(results) - EXTRA_IN_LEARNET.get(kind, set()) == set(expected)
    for name, value in expected.items():
        assert results[name] == pytest.approx(float(value), rel=1e-5), name
    history = model.fit(X, targets, batch_size=8, epochs=2, shuffle=False, verbose=0).history
    expected = _expected(kind, "history")
    assert set(history) - EXTRA_IN_LEARNET.get(kind, set()) == set(expected)
    for name, values in expected.items():
        assert history[name] == pytest.approx(values.tolist(), rel=1e-4), name


def test_a_dataset_of_x_and_one_target_array_trains_as_keras():
    model = _reference_model("one_array")
    dataset = tf.data.Dataset.from_tensor_slices((X, Y)).batch(8)
    history = model.fit(dataset, epochs=2, verbose=0).history
    expected = _expected("one_array", "history")
    assert set(history) == set(expected)
    for name, values in expected.items():
        assert history[name] == pytest.approx(values.tolist(), rel=1e-4), name
    results = model.evaluate(dataset, verbose=0, return_dict=True)
    assert set(results) == {"loss", "logits_accuracy"}


def test_a_dataset_with_a_dict_of_targets_for_some_outputs_trains():
    model = _reference_model("dict_by_name")
    dataset = tf.data.Dataset.from_tensor_slices((X, {"logits": Y})).batch(8)
    history = model.fit(dataset, epochs=2, verbose=0).history
    assert history["loss"] == pytest.approx(_expected("dict_by_name", "history")["loss"].tolist(), rel=1e-4)


def test_train_on_batch_and_test_on_batch_take_the_targets_of_the_outputs_with_a_loss():
    model = _reference_model("one_array")
    before = model.test_on_batch(X, Y, return_dict=True)
    assert before["loss"] == pytest.approx(float(_expected("one_array", "evaluate")["loss"]), rel=1e-5)
    logs = model.train_on_batch(X, Y, return_dict=True)
    assert set(logs) == {"loss", "logits_accuracy"}


def test_validation_data_with_one_target_array():
    model = _reference_model("one_array")
    history = model.fit(X, Y, validation_data=(X, Y), batch_size=8, epochs=1, shuffle=False, verbose=0).history
    assert {"loss", "val_loss", "logits_accuracy", "val_logits_accuracy"} <= set(history)
    history = model.fit(X, Y, validation_split=0.25, batch_size=8, epochs=1, verbose=0).history
    assert "val_loss" in history


def test_a_custom_loop_calls_compute_loss_with_the_one_target():
    model = _reference_model("one_array")
    predictions = model(X)
    loss = model.compute_loss(X, Y, predictions)
    expected = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(Y, predictions[0])
    assert float(loss) == pytest.approx(float(expected), rel=1e-6)


def test_targets_per_output_places_targets_as_keras_3():
    names, losses = ["logits", "hidden", "third"], ["sce", None, "mse"]
    assert targets_per_output(["y", "t"], names, names, losses) == ["y", None, "t"]
    assert targets_per_output(("y", "h", "t"), names, names, losses) == ["y", "h", "t"]
    assert targets_per_output({"third": "t"}, names, names, losses) == [None, None, "t"]
    assert targets_per_output("y", ["logits", "hidden"], ["logits", "hidden"], ["sce", None]) == ["y", None]
    with pytest.raises(ValueError, match="3 outputs .* 2 of them with a loss, but 1 target"):
        targets_per_output("y", names, names, losses)


@pytest.mark.parametrize(
    "loss, targets, message",
    [
        # Every output has a loss: one target per output is needed.
        (
            lambda: [keras.losses.SparseCategoricalCrossentropy(from_logits=True), "mse"],
            lambda: Y,
            "2 of them with a loss, but 1 target",
        ),
        # One output has a loss, three targets.
        (
            lambda: [keras.losses.SparseCategoricalCrossentropy(from_logits=True), None],
            lambda: [Y, Y, Y],
            "1 of them with a loss, but 3 target",
        ),
        # A dict naming only outputs without a loss.
        (
            lambda: [keras.losses.SparseCategoricalCrossentropy(from_logits=True), None],
            lambda: {"hidden": np.zeros((24, 3), "float32")},
            "the outputs with a loss are \\['logits'\\]",
        ),
        # The one target does not fit the output with the loss.
        (
            lambda: [keras.losses.SparseCategoricalCrossentropy(from_logits=True), None],
            lambda: Y_THIRD,
            "whole-number class indices",
        ),
    ],
)
def test_targets_that_fit_no_rule_are_refused_before_any_weight_changes(loss, targets, message):
    model = _reference_model("one_array")
    model.compile(optimizer="sgd", loss=loss())
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=message):
        model.fit(X, targets(), batch_size=8, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_dataset_whose_targets_fit_no_rule_is_refused_before_any_weight_changes():
    model = _reference_model("one_array")
    model.compile(optimizer="sgd", loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), None])
    before = [w.copy() for w in model.get_weights()]
    dataset = tf.data.Dataset.from_tensor_slices((X, (Y, Y, Y))).batch(8)
    with pytest.raises(ValueError, match="1 of them with a loss, but 3 target"):
        model.fit(dataset, epochs=1, verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
