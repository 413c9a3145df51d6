"""Data and dtypes as Keras 3 hands them to a model, against tf.keras 2.21 (Keras 3 on TensorFlow).

The reference is fixtures/keras_data_conversions_reference.npz, made by
fixtures/make_keras_data_conversions_fixture.py, whose case functions run here again with
learnet: pandas columns and tables given to fit/predict/evaluate, a functional model's inputs
cast to its Inputs' dtypes, the dtypes merge layers compute in, and targets whose shape only
broadcasts against the output's. pandas is not a dependency of learnet: a stand-in with the
same class names and modules plays it (and real pandas too, where it is installed).
"""

import importlib.util
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pytest

import learnet as keras
from learnet.layers.merging import merged_dtype
from learnet.losses import mean_squared_error
from learnet.models.data_adapter import from_pandas, pandas_kind
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REFERENCE = np.load(FIXTURES / "keras_data_conversions_reference.npz")


def _cases_module():
    path = FIXTURES / "make_keras_data_conversions_fixture.py"
    spec = importlib.util.spec_from_file_location("make_keras_data_conversions_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _cases_module()


# --- a stand-in for pandas: the two classes, under pandas' module names -------------------------------


class Series:
    """What learnet reads of a pandas Series: ``to_numpy()`` and ``__array__``."""

    def __init__(self, data, name=None):
        self._data = np.asarray(data)
        self.name = name

    def to_numpy(self):
        return self._data.copy()

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __len__(self):
        return len(self._data)

    @property
    def shape(self):
        return self._data.shape

    @property
    def dtype(self):
        return self._data.dtype


class DataFrame:
    """What learnet reads of a pandas DataFrame; ``dict(frame)`` gives its columns as Series."""

    def __init__(self, columns):
        self._columns = {key: np.asarray(value) for key, value in columns.items()}

    def keys(self):
        return list(self._columns)

    def __getitem__(self, key):
        return Series(self._columns[key], name=key)

    def __iter__(self):
        return iter(self._columns)

    def __len__(self):
        return len(next(iter(self._columns.values())))

    def to_numpy(self):
        columns = list(self._columns.values())
        return np.stack(columns, axis=1).astype(np.result_type(*columns))

    def __array__(self, dtype=None, copy=None):
        array = self.to_numpy()
        return array if dtype is None else array.astype(dtype)

    @property
    def shape(self):
        return (len(self), len(self._columns))


Series.__module__ = "pandas.core.series"
DataFrame.__module__ = "pandas.core.frame"
STAND_IN = types.SimpleNamespace(Series=Series, DataFrame=DataFrame)


def _pandas(kind):
    if kind == "stand-in":
        return STAND_IN
    return pytest.importorskip("pandas")


def _compare(name, value):
    """``value`` (learnet's) against the reference's ``name``: shape, dtype and numbers."""
    if isinstance(value, dict):
        for key, item in value.items():
            _compare(f"{name}__{key}", item)
        return
    assert f"{name}__error" not in REFERENCE.files, f"{name}: Keras refused it, learnet did not"
    value = np.asarray(value)
    expected = REFERENCE[name]
    assert str(value.dtype) == str(REFERENCE[f"{name}__dtype"]), f"{name}: dtype {value.dtype}"
    assert value.shape == expected.shape, f"{name}: shape {value.shape}, Keras {expected.shape}"
    np.testing.assert_allclose(value.astype("float64"), expected.astype("float64"), rtol=1e-5, atol=1e-6)


# --- (1) pandas ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["stand-in", "pandas"])
@pytest.mark.parametrize("case", sorted(CASES.pandas_cases(keras, STAND_IN)))
def test_pandas_data_reaches_the_model_as_in_keras(kind, case):
    make = CASES.pandas_cases(keras, _pandas(kind))[case]
    _compare(case, make())


def test_pandas_kind_is_found_by_module_without_importing_pandas():
    frame = DataFrame({"a": [1.0, 2.0], "b": [3, 4]})
    assert pandas_kind(frame) == "DataFrame" and pandas_kind(frame["a"]) == "Series"
    assert pandas_kind(np.zeros(2)) is None and pandas_kind([1.0]) is None
    assert from_pandas(frame["a"]).shape == (2, 1)
    assert from_pandas(frame).shape == (2, 2)
    plain = np.zeros(3)
    assert from_pandas(plain) is plain
    assert "pandas" not in sys.modules or sys.modules["pandas"].__name__ == "pandas"


def test_a_series_as_targets_of_a_dict_output_and_in_validation_data():
    inputs = keras.Input((2,), name="x")
    model = keras.Model(inputs, {"out": keras.layers.Dense(1, name="out")(inputs)})
    model.compile("sgd", {"out": "mse"})
    frame = DataFrame({"a": CASES.FEATURES, "b": CASES.WHOLE})
    history = model.fit(
        frame,
        {"out": Series(CASES.TARGETS)},
        validation_data=(frame, {"out": Series(CASES.TARGETS)}),
        epochs=1,
        verbose=0,
    )
    assert sorted(history.history) == ["loss", "val_loss"]


def test_a_text_column_given_to_a_number_input_is_refused_and_changes_nothing():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    frame = DataFrame({"a": np.array(["x", "y"], dtype=object), "b": np.array(["z", "w"], dtype=object)})
    with pytest.raises(ValueError, match="holds text"):
        model.fit(frame, Series([1.0, 2.0]), verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_column_with_a_missing_value_is_refused_and_changes_nothing():
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"NaN.*index \(1, 0\)"):
        model.fit(Series([1.0, np.nan, 2.0]), Series([1.0, 2.0, 3.0]), verbose=0)
    with pytest.raises(ValueError, match="y contains 1 NaN"):
        model.fit(Series([1.0, 2.0, 3.0]), Series([1.0, np.nan, 3.0]), verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_frame_given_to_named_inputs_is_refused_as_in_keras():
    assert int(REFERENCE["frame_to_named_inputs_fails"]) == 1
    a, b = keras.Input((1,), name="a"), keras.Input((1,), name="b")
    model = keras.Model({"a": a, "b": b}, keras.layers.Concatenate()([a, b]))
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) \['a', 'b'\], got 1"):
        model.predict(DataFrame({"a": CASES.FEATURES, "b": CASES.WHOLE}), verbose=0)


# --- (2) a functional model casts its inputs to its Inputs' dtypes ---------------------------------------


@pytest.mark.parametrize("case", sorted(CASES.cast_cases(keras)))
def test_functional_inputs_are_cast_to_the_input_dtype_as_in_keras(case):
    _compare(case, CASES.cast_cases(keras)[case]())


def test_functional_input_cast_keeps_symbolic_dtypes():
    f = keras.Input(shape=(1,), name="f", dtype="float32")
    i = keras.Input(shape=(1,), name="i", dtype="int64")
    model = keras.Model({"f": f, "i": i}, keras.layers.Concatenate()([i, f]))
    assert str(model.output.dtype) == "float32"


def test_gradient_of_functional_model_through_a_float64_input():
    inputs = keras.Input((3,), dtype="float64")
    model = keras.Model(inputs, keras.layers.Dense(2, dtype="float64")(inputs))
    x = np.random.default_rng(0).standard_normal((4, 3))
    check_gradients(lambda t: model(t) ** 2, [x])


# --- (3) merge layers compute in Keras's promoted dtype ------------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES.merge_cases(keras)))
def test_merge_layers_promote_dtypes_as_in_keras(case):
    _compare(case, CASES.merge_cases(keras)[case]())


def test_merged_dtype_rules():
    dtype = np.dtype
    assert merged_dtype([dtype("int64"), dtype("float32")]) == dtype("float32")
    assert merged_dtype([dtype("bool"), dtype("int8")]) == dtype("int8")
    assert merged_dtype([dtype("uint64"), dtype("int64")]) == dtype("float32")
    assert merged_dtype([dtype("float16"), dtype("float64")]) == dtype("float64")


def test_gradient_of_concatenate_with_an_integer_input():
    ids = np.array([[1], [2]])
    concat = keras.layers.Concatenate(dtype="float64")
    check_gradients(lambda t: concat([ids, t]) ** 2, [np.array([[0.5, -1.0], [2.0, 0.25]])])


def test_gradient_of_add_with_an_integer_input():
    ids = np.array([[1, 2], [3, 4]])
    add = keras.layers.Add(dtype="float64")
    check_gradients(lambda t: add([t, ids]) ** 2, [np.array([[0.5, -1.0], [2.0, 0.25]])])


def test_merge_of_mismatched_shapes_still_raises():
    with pytest.raises(ValueError, match="matching shapes"):
        keras.layers.Concatenate()([np.zeros((2, 3, 1), "int64"), np.zeros((2, 2, 1), "float32")])


# --- (4) targets whose shape broadcasts against the output ----------------------------------------------


@pytest.mark.parametrize("case", sorted(CASES.broadcast_cases(keras)))
def test_fit_with_broadcasting_targets_as_in_keras(case):
    expected = float(REFERENCE[case])
    got = float(CASES.broadcast_cases(keras)[case]())
    if np.isnan(expected):
        assert np.isnan(got), f"{case}: Keras refuses these targets, learnet trained (loss {got})"
    else:
        assert got == pytest.approx(expected, rel=1e-4, abs=1e-6)


def _regression(units):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(units)])
    model.compile("adam", "mean_squared_error")
    return model


def test_broadcasting_targets_train_with_a_warning_naming_both_shapes():
    rng = np.random.default_rng(0)
    model = _regression(1)
    before = [w.copy() for w in model.get_weights()]
    with pytest.warns(UserWarning, match=r"y has shape \(8, 10\), but the model's output has shape \(None, 1\)"):
        history = model.fit(rng.random((8, 4)), rng.random((8, 10)), verbose=0)
    assert sorted(history.history) == ["loss"]
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_matching_targets_give_no_warning():
    rng = np.random.default_rng(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _regression(3).fit(rng.random((8, 4)), rng.random((8, 3)), verbose=0)
        _regression(1).fit(rng.random((8, 4)), rng.random(8), verbose=0)


@pytest.mark.parametrize("shape, units", [((8, 3), 2), ((8,), 10), ((8, 2, 5), 5)])
def test_targets_that_do_not_broadcast_are_refused_and_change_nothing(shape, units):
    rng = np.random.default_rng(0)
    model = _regression(units)
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"y has shape .*but the model's output has shape \(None, "):
        model.fit(rng.random((8, 4)), rng.random(shape), verbose=0)
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_cross_entropy_still_refuses_broadcasting_targets():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    with pytest.raises(ValueError, match="binary_crossentropy compares them element by element"):
        model.fit(np.zeros((8, 4)), np.zeros((8, 10)), verbose=0)


def test_gradient_of_mean_squared_error_with_broadcast_targets():
    y_true = np.arange(12.0).reshape(4, 3) / 10.0
    check_gradients(lambda y_pred: mean_squared_error(y_true, y_pred), [np.array([[0.1], [0.5], [-0.3], [1.0]])])
