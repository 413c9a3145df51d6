"""tf.compat's helpers, tf.compat.v1's graph-free names, TensorShape of unknown rank and its
Dimension objects, compared with TensorFlow 2.21 (tests/fixtures/tensor_shape_reference.json,
written by tests/fixtures/make_tensor_shape_fixture.py)."""

import copy
import importlib.util
import json
import logging
import pickle
from pathlib import Path

import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_tensor_shape_fixture", FIXTURES / "make_tensor_shape_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FIXTURE = _fixture_module()
REFERENCE = json.loads((FIXTURES / "tensor_shape_reference.json").read_text())
RESULTS = FIXTURE.results(tf)


def test_every_case_has_a_reference():
    assert set(RESULTS) == set(REFERENCE["results"])


@pytest.mark.parametrize("name", sorted(REFERENCE["results"]))
def test_matches_tensorflow(name):
    assert RESULTS[name] == REFERENCE["results"][name]


def test_unknown_rank_survives_pickle_and_copy():
    unknown = tf.TensorShape(None)
    assert pickle.loads(pickle.dumps(unknown)) == unknown
    assert copy.deepcopy(unknown).rank is None
    known = tf.TensorShape([2, None])
    assert pickle.loads(pickle.dumps(known)) == known and type(copy.copy(known)) is tf.TensorShape


def test_dimension_refuses_bad_sizes():
    with pytest.raises(ValueError):
        tf.compat.v1.Dimension(-1)
    with pytest.raises(TypeError):
        tf.compat.v1.Dimension(1.5)
    with pytest.raises(TypeError):
        int(tf.compat.v1.Dimension(None))


def test_tensor_shapes_stay_plain_tuples_of_ints():
    shape = tf.zeros((2, 3)).shape
    assert type(shape) is tf.TensorShape and shape == (2, 3) and shape.as_list() == [2, 3]


def test_v1_logging_sets_the_tensorflow_logger():
    logger = logging.getLogger("tensorflow")
    before = logger.level
    try:
        tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)
        assert logger.level == logging.ERROR == tf.compat.v1.logging.get_verbosity()
    finally:
        logger.setLevel(before)


def test_v1_graph_api_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="graph API"):
        tf.compat.v1.disable_eager_execution()
    with pytest.raises(NotImplementedError, match="graph API"):
        tf.compat.v1.Session()
    with pytest.raises(AttributeError, match="tf.compat.v1.get_variable"):
        tf.compat.v1.get_variable  # noqa: B018


def test_v1_eager_names_work():
    tf.compat.v1.enable_eager_execution()
    assert tf.compat.v1.executing_eagerly()
    tf.compat.v1.set_random_seed(3)
    first = tf.random.uniform((2,)).numpy()
    tf.compat.v1.set_random_seed(3)
    assert (tf.random.uniform((2,)).numpy() == first).all()
    assert tf.compat.v2 is tf


def test_text_helpers_refuse_other_types():
    with pytest.raises(TypeError):
        tf.compat.as_bytes(3)
    with pytest.raises(TypeError):
        tf.compat.as_str(None)


def test_forward_compatibility():
    assert tf.compat.forward_compatible(2020, 1, 1)
    with tf.compat.forward_compatibility_horizon(2021, 1, 1):
        assert not tf.compat.forward_compatible(2022, 1, 1)
    assert tf.compat.forward_compatible(2022, 1, 1)
