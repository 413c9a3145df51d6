"""A dataset's cardinality through every transformation, compared with TensorFlow 2.21
(tests/fixtures/cardinality_reference.json, written by tests/fixtures/make_cardinality_fixture.py):
endless datasets report ``tf.data.INFINITE_CARDINALITY``, a ``take`` makes them finite again,
and ``len()`` says which of endless or unknown a dataset is."""

import importlib.util
import json
from pathlib import Path

import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_cardinality_fixture", FIXTURES / "make_cardinality_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
REFERENCE = json.loads((FIXTURES / "cardinality_reference.json").read_text())
CASES = FIXTURE.cases(tf)


def test_every_case_has_a_reference():
    assert set(CASES) == set(REFERENCE["cardinality"])


@pytest.mark.parametrize("name", sorted(REFERENCE["cardinality"]))
def test_cardinality_matches_tensorflow(name):
    cardinality = CASES[name].cardinality()
    assert cardinality.dtype == tf.int64
    assert int(cardinality.numpy()) == REFERENCE["cardinality"][name]


def test_constants_match_tensorflow():
    assert [tf.data.INFINITE_CARDINALITY, tf.data.UNKNOWN_CARDINALITY] == REFERENCE["constants"]
    assert tf.data.experimental.INFINITE_CARDINALITY == tf.data.INFINITE_CARDINALITY
    assert tf.data.experimental.UNKNOWN_CARDINALITY == tf.data.UNKNOWN_CARDINALITY


def test_len_says_endless_or_unknown_as_tensorflow():
    assert FIXTURE.lengths(tf) == REFERENCE["len"]


def test_taken_from_an_endless_dataset_reads_that_many():
    dataset = tf.data.Dataset.range(3).repeat().take(7)
    assert len(dataset) == 7
    assert [int(v) for v in dataset] == [0, 1, 2, 0, 1, 2, 0]


def test_endless_dataset_trains_with_steps_per_epoch():
    import numpy as np

    x = np.random.default_rng(0).normal(size=(16, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4).repeat()
    assert int(dataset.cardinality()) == tf.data.INFINITE_CARDINALITY
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(dataset, epochs=2, steps_per_epoch=3, verbose=0)
    assert len(history.history["loss"]) == 2


def test_repr_names_endless_and_unknown():
    assert "length=infinite" in repr(tf.data.Dataset.range(2).repeat())
    assert "length=unknown" in repr(tf.data.Dataset.range(2).filter(lambda x: x > 0))
