"""Models with several outputs: each output's own loss in ``evaluate`` and ``history``
(``main_output_loss``...), each output's own copy of ``metrics=[...]``, for functional and
subclassed models, list and dict outputs; names and numbers compared with real Keras 3
(tests/fixtures/make_keras_multi_output_fixture.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import learnet as keras

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REFERENCE = np.load(FIXTURES / "keras_multi_output_reference.npz")


def _fixture_maker():
    """The fixture's generator as a module: its build() and data() make the same model and data here."""
    spec = importlib.util.spec_from_file_location(
        "make_keras_multi_output_fixture", FIXTURES / "make_keras_multi_output_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKER = _fixture_maker()
BUILD, DATA = MAKER.build, MAKER.data
X_WIDE, X_DEEP, Y_MAIN, Y_AUX = DATA()


def _reference_model():
    model = BUILD(keras)
    count = len([key for key in REFERENCE.files if key.startswith("weight_")])
    model.set_weights([REFERENCE[f"weight_{i}"] for i in range(count)])
    return model


def _mse(y, p, weights=None):
    per_sample = ((np.asarray(y) - np.asarray(p)) ** 2).mean(axis=1)
    return float(np.mean(per_sample if weights is None else per_sample * weights))


def test_evaluate_gives_each_output_its_loss_and_metrics_as_keras():
    model = _reference_model()
    results = model.evaluate([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], batch_size=16, verbose=0, return_dict=True)
    expected = {key.split("/", 1)[1]: float(REFERENCE[key]) for key in REFERENCE.files if key.startswith("evaluate/")}
    assert sorted(results) == sorted(expected)
    for name, value in expected.items():
        assert results[name] == pytest.approx(value, rel=1e-5), name
    assert model.metrics_names == [
        "loss",
        "main_output_loss",
        "aux_output_loss",
        "main_output_mae",
        "aux_output_mae",
        "aux_output_accuracy",
    ]
    values = model.evaluate([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], batch_size=16, verbose=0)
    # Keras 3.15's list: the losses, then the other results in the order of their names.
    in_order = [
        "loss",
        "main_output_loss",
        "aux_output_loss",
        "aux_output_accuracy",
        "aux_output_mae",
        "main_output_mae",
    ]
    assert values == pytest.approx([results[name] for name in in_order], rel=1e-6)
    assert list(results) == sorted(results)  # the dict in name order, as Keras 3
    total, main_loss, aux_loss = values[:3]
    assert total == pytest.approx(0.9 * main_loss + 0.1 * aux_loss, rel=1e-5)  # the losses unweighted


def test_history_gives_each_output_its_loss_and_metrics_as_keras():
    model = _reference_model()
    history = model.fit([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], batch_size=16, epochs=2, shuffle=False, verbose=0)
    expected = {key.split("/", 1)[1]: REFERENCE[key] for key in REFERENCE.files if key.startswith("history/")}
    assert sorted(history.history) == sorted(expected)
    for name, values in expected.items():
        assert history.history[name] == pytest.approx(values.tolist(), rel=1e-4), name


def test_validation_logs_each_output_loss():
    model = _reference_model()
    data = ([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX])
    history = model.fit(*data, epochs=1, verbose=0, validation_data=data)
    assert {
        "val_loss",
        "val_main_output_loss",
        "val_aux_output_loss",
        "val_main_output_mae",
        "val_aux_output_mae",
        "val_aux_output_accuracy",
    } <= set(history.history)
    main_pred, _ = model.predict([X_WIDE, X_DEEP], verbose=0)
    assert history.history["val_main_output_loss"][0] == pytest.approx(_mse(Y_MAIN, main_pred), rel=1e-5)


def test_one_metrics_list_is_copied_for_every_output():
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(4)(inputs)
    model = keras.Model(
        inputs, [keras.layers.Dense(1, name="price")(hidden), keras.layers.Dense(1, name="rent")(hidden)]
    )
    # A list whose length is not the number of outputs is tracked for every output (tf.keras 2).
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse", keras.metrics.RootMeanSquaredError()])
    results = model.evaluate(X_WIDE, [Y_MAIN, 2 * Y_MAIN], verbose=0, return_dict=True)
    assert list(results) == sorted(  # in the order of their names, as Keras 3 gives logs
        [
            "loss",
            "price_loss",
            "rent_loss",
            "price_mae",
            "price_mse",
            "price_root_mean_squared_error",
            "rent_mae",
            "rent_mse",
            "rent_root_mean_squared_error",
        ]
    )
    price, rent = model.predict(X_WIDE, verbose=0)
    assert results["price_mae"] == pytest.approx(float(np.abs(Y_MAIN - price).mean()), rel=1e-5)
    assert results["rent_mae"] == pytest.approx(float(np.abs(2 * Y_MAIN - rent).mean()), rel=1e-5)
    assert results["rent_root_mean_squared_error"] == pytest.approx(np.sqrt(_mse(2 * Y_MAIN, rent)), rel=1e-5)
    copies = [m for m in model.metrics if m.name.endswith("root_mean_squared_error")]
    assert len(copies) == 2 and copies[0] is not copies[1]
    assert results["loss"] == pytest.approx(results["price_loss"] + results["rent_loss"], rel=1e-5)


def test_a_metrics_list_with_one_entry_per_output_is_read_per_output_as_keras_3():
    # Keras 3 (and the Hands-On notebook written for it): metrics=["RootMeanSquaredError"] * 2
    # for two outputs is one metric for each, named as given; history keys checked against Keras 3.
    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(4)(inputs)
    model = keras.Model(
        inputs, [keras.layers.Dense(1, name="price")(hidden), keras.layers.Dense(1, name="rent")(hidden)]
    )
    model.compile(optimizer="sgd", loss=("mse", "mse"), metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
    history = model.fit(X_WIDE, (Y_MAIN, Y_MAIN), epochs=1, verbose=0, validation_data=(X_WIDE, (Y_MAIN, Y_MAIN)))
    assert sorted(history.history) == [
        "loss",
        "price_RootMeanSquaredError",
        "price_loss",
        "rent_RootMeanSquaredError",
        "rent_loss",
        "val_loss",
        "val_price_RootMeanSquaredError",
        "val_price_loss",
        "val_rent_RootMeanSquaredError",
        "val_rent_loss",
    ]
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", ["mse", "accuracy"]])
    results = model.evaluate(X_WIDE, [Y_MAIN, Y_MAIN], verbose=0, return_dict=True)
    assert set(results) - {"loss", "price_loss", "rent_loss"} == {"price_mae", "rent_mse", "rent_accuracy"}
    model.compile(optimizer="sgd", loss="mse", metrics=[None, "mae"])
    named = model.evaluate(X_WIDE, [Y_MAIN, Y_MAIN], verbose=0, return_dict=True)
    assert set(named) - {"loss", "price_loss", "rent_loss"} == {"rent_mae"}


def test_a_nested_metrics_list_of_the_wrong_length_is_refused():
    inputs = keras.Input((5,))
    model = keras.Model(inputs, [keras.layers.Dense(1)(inputs), keras.layers.Dense(1)(inputs)])
    model.compile(optimizer="sgd", loss="mse", metrics=[["mae"], ["mse"], ["mae"]])
    with pytest.raises(ValueError, match="3 entries, but the model has 2 outputs"):
        model.evaluate(X_WIDE, [Y_MAIN, Y_MAIN], verbose=0)


def test_dict_outputs_losses_and_metrics_by_name():
    wide, deep = keras.Input((5,), name="wide"), keras.Input((6,), name="deep")
    hidden = keras.layers.Dense(4, activation="relu")(deep)
    model = keras.Model(
        {"wide": wide, "deep": deep},
        {
            "value": keras.layers.Dense(1)(keras.layers.concatenate([wide, hidden])),
            "flag": keras.layers.Dense(1, activation="sigmoid")(hidden),
        },
    )
    model.compile(
        optimizer="sgd",
        loss={"value": "mse", "flag": "binary_crossentropy"},
        loss_weights={"value": 2.0, "flag": 0.5},
        metrics={"flag": ["accuracy"]},
    )
    x, y = {"wide": X_WIDE, "deep": X_DEEP}, {"value": Y_MAIN, "flag": Y_AUX}
    history = model.fit(x, y, epochs=1, verbose=0)
    assert sorted(history.history) == ["flag_accuracy", "flag_loss", "loss", "value_loss"]
    results = model.evaluate(x, y, verbose=0, return_dict=True)
    prediction = model.predict(x, verbose=0)
    assert results["value_loss"] == pytest.approx(_mse(Y_MAIN, prediction["value"]), rel=1e-5)
    p = np.clip(prediction["flag"], 1e-7, 1 - 1e-7)
    bce = float(-(Y_AUX * np.log(p) + (1 - Y_AUX) * np.log(1 - p)).mean())
    assert results["flag_loss"] == pytest.approx(bce, rel=1e-4)
    assert results["loss"] == pytest.approx(2.0 * results["value_loss"] + 0.5 * results["flag_loss"], rel=1e-5)
    assert results["flag_accuracy"] == pytest.approx(float(((prediction["flag"] > 0.5) == Y_AUX).mean()))


class WideAndDeepForTest(keras.Model):
    def __init__(self, as_dict=False):
        super().__init__()
        self.as_dict = as_dict
        self.hidden = keras.layers.Dense(6, activation="relu")
        self.head = keras.layers.Dense(1)
        self.side = keras.layers.Dense(1)

    def call(self, inputs):
        wide, deep = inputs
        hidden = self.hidden(deep)
        head, side = self.head(keras.layers.concatenate([wide, hidden])), self.side(hidden)
        return {"head": head, "side": side} if self.as_dict else (head, side)


def test_subclassed_model_outputs_are_named_output_1_output_2():
    model = WideAndDeepForTest()
    model.compile(optimizer="sgd", loss="mse", loss_weights=[0.9, 0.1], metrics=["mae"])
    history = model.fit((X_WIDE, X_DEEP), (Y_MAIN, Y_MAIN), epochs=1, verbose=0)
    assert sorted(history.history) == ["loss", "output_1_loss", "output_1_mae", "output_2_loss", "output_2_mae"]
    total, first, second, first_mae, second_mae = model.evaluate((X_WIDE, X_DEEP), (Y_MAIN, Y_MAIN), verbose=0)
    head, side = model.predict((X_WIDE, X_DEEP), verbose=0)
    assert first == pytest.approx(_mse(Y_MAIN, head), rel=1e-5) and second == pytest.approx(
        _mse(Y_MAIN, side), rel=1e-5
    )
    assert total == pytest.approx(0.9 * first + 0.1 * second, rel=1e-5)
    assert second_mae == pytest.approx(float(np.abs(Y_MAIN - side).mean()), rel=1e-5)


def test_subclassed_model_with_dict_outputs_names_them_by_key():
    model = WideAndDeepForTest(as_dict=True)
    model.compile(optimizer="sgd", loss={"head": "mse", "side": "mae"})
    results = model.evaluate((X_WIDE, X_DEEP), {"head": Y_MAIN, "side": Y_MAIN}, verbose=0, return_dict=True)
    assert sorted(results) == ["head_loss", "loss", "side_loss"]
    prediction = model.predict((X_WIDE, X_DEEP), verbose=0)
    assert results["side_loss"] == pytest.approx(float(np.abs(Y_MAIN - prediction["side"]).mean()), rel=1e-5)


def test_sample_weights_weigh_each_output_loss():
    model = _reference_model()
    weights = np.linspace(0.0, 2.0, len(X_WIDE)).astype("float32")
    results = model.evaluate([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], sample_weight=weights, verbose=0, return_dict=True)
    main_pred, _ = model.predict([X_WIDE, X_DEEP], verbose=0)
    assert results["main_output_loss"] == pytest.approx(_mse(Y_MAIN, main_pred, weights), rel=1e-5)


def test_one_output_with_a_loss_logs_only_the_total():
    model = BUILD(keras)
    model.compile(optimizer="sgd", loss=["mse", None])
    results = model.evaluate([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], verbose=0, return_dict=True)
    assert list(results) == ["loss"]
    main_pred, _ = model.predict([X_WIDE, X_DEEP], verbose=0)
    assert results["loss"] == pytest.approx(_mse(Y_MAIN, main_pred), rel=1e-5)


def test_evaluating_twice_starts_each_output_loss_afresh():
    model = _reference_model()
    first = model.evaluate([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], verbose=0, return_dict=True)
    half = model.evaluate([X_WIDE[:32], X_DEEP[:32]], [Y_MAIN[:32], Y_AUX[:32]], verbose=0, return_dict=True)
    again = model.evaluate([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], verbose=0, return_dict=True)
    assert again == pytest.approx(first)
    main_pred, _ = model.predict([X_WIDE[:32], X_DEEP[:32]], verbose=0)
    assert half["main_output_loss"] == pytest.approx(_mse(Y_MAIN[:32], main_pred), rel=1e-5)


def test_metrics_for_an_unknown_output_are_refused_before_training():
    model = _reference_model()
    before = [w.copy() for w in model.get_weights()]
    model.compile(optimizer="sgd", loss="mse", metrics={"main_output": ["mae"], "typo_output": ["mae"]})
    with pytest.raises(ValueError, match="typo_output"):
        model.fit([X_WIDE, X_DEEP], [Y_MAIN, Y_AUX], epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_metrics_given_by_class_name_log_under_that_name_as_keras_3():
    # Keras 3 (checked): metrics=["AUC", "MeanAbsoluteError", "mae"] log as "AUC", "MeanAbsoluteError", "mae".
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="mse", metrics=["AUC", "MeanAbsoluteError", "mae", "mean_absolute_error"])
    history = model.fit(X_WIDE, (Y_MAIN > 0).astype("float32"), epochs=1, verbose=0)
    assert sorted(history.history) == ["AUC", "MeanAbsoluteError", "loss", "mae", "mean_absolute_error"]
    assert history.history["MeanAbsoluteError"] == pytest.approx(history.history["mae"])
    assert keras.metrics.get("AUC").name == "auc"  # only compile renames, as in Keras 3
