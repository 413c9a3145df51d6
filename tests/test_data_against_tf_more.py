"""tf.data's batching transformations, adapt on datasets, ragged lookups, the "string" dtype
name and string printing, compared with TensorFlow 2.21 (tests/fixtures/tf_data_more_reference.npz,
written by tests/fixtures/make_tf_data_more_fixture.py)."""

import importlib.util
import json
import tempfile
import types
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet import dataset_utils, keras


def _fixture_module():
    """The generator of the fixture: the calls it made with TensorFlow, defined once there."""
    path = Path(__file__).resolve().parent / "fixtures" / "make_tf_data_more_fixture.py"
    spec = importlib.util.spec_from_file_location("make_tf_data_more_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
plain, cases, refused = FIXTURE.plain, FIXTURE.cases, FIXTURE.refused
REFERENCE = np.load(Path(__file__).resolve().parent / "fixtures" / "tf_data_more_reference.npz")
EXPECTED = json.loads(str(REFERENCE["results"]))
ERRORS = json.loads(str(REFERENCE["errors"]))
RAGGED_LABELS = tf.ragged.constant(np.array([["a"], ["b", "c"], ["c"]], dtype=object))
IMAGE_FOLDER = FIXTURE.make_image_folder(tempfile.mkdtemp())
# keras.utils' dataset makers as learnet.dataset_utils defines them.
KERAS = types.SimpleNamespace(layers=keras.layers, utils=dataset_utils)
CASES = cases(tf, KERAS, RAGGED_LABELS, IMAGE_FOLDER)


def test_every_case_has_a_reference():
    assert set(CASES) == set(EXPECTED)


# learnet's lookup layers give float32 vectors (the dtype of Keras' output spec); eager
# TensorFlow gives int64 counts and multi-hot vectors. The values are the same.
FLOAT32_BY_CHOICE = {"ragged_count"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_tensorflow(name):
    expected = EXPECTED[name]
    if name in FLOAT32_BY_CHOICE:
        expected = dict(expected, dtype="float32")
    assert plain(CASES[name]()) == expected


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_refuses_what_tensorflow_refuses(name):
    with pytest.raises((ValueError, TypeError, tf.errors.InvalidArgumentError)) as raised:
        refused(tf, KERAS, IMAGE_FOLDER)[name]()
    assert str(raised.value)  # a message that says what is wrong
