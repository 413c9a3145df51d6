"""Ragged tensors in ``tf.data`` pipelines, against real TensorFlow 2.21.

The fixture (made by fixtures/make_ragged_pipelines_fixture.py) holds what TensorFlow gives
for ``RaggedTensor.__getitem__`` (``rt[..., :-1]``...), the ``element_spec`` of datasets of
ragged values (``tf.RaggedTensorSpec``), ``padded_batch`` of nested elements, ``Dataset.load``'s
``element_spec``, and the error type of each bad input. The same case functions run here
with learnet.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import learnet as tf
from learnet.testing import check_gradients

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _cases_module():
    path = FIXTURES / "make_ragged_pipelines_fixture.py"
    spec = importlib.util.spec_from_file_location("make_ragged_pipelines_fixture", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _cases_module()
REFERENCE = np.load(FIXTURES / "ragged_pipelines_reference.npz")
INDEXING = json.loads(str(REFERENCE["indexing"]))
SPECS = json.loads(str(REFERENCE["specs"]))
VALUES = json.loads(str(REFERENCE["values"]))
ERRORS = json.loads(str(REFERENCE["errors"]))


@pytest.fixture(scope="module")
def spec_texts(tmp_path_factory):
    return CASES.spec_cases(tf, tmp_path_factory.mktemp("specs"))


@pytest.fixture(scope="module")
def pipeline_values(tmp_path_factory):
    return CASES.value_cases(tf, tmp_path_factory.mktemp("values"))


# --- RaggedTensor.__getitem__ ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_getitem_equals_tensorflow(name):
    assert CASES.plain(CASES.index_cases(tf)[name]()) == INDEXING[name]


def test_getitem_of_the_tutorial_shifts_tokens_by_one():
    tokens = tf.ragged.constant([[2, 5, 6, 3], [2, 7, 3]], dtype=tf.int64)
    assert tokens[..., :-1].to_list() == [[2, 5, 6], [2, 7]]
    assert tokens[..., 1:].to_list() == [[5, 6, 3], [7, 3]]
    assert tokens[..., 1:].row_splits.dtype == np.int64


def test_getitem_gradients_reach_the_flat_values():
    lengths = [3, 1, 0, 2]
    values = np.linspace(-1.0, 1.0, 6)
    check_gradients(lambda v: tf.RaggedTensor.from_row_lengths(v, lengths)[..., ::-1].flat_values * values, [values])
    check_gradients(lambda v: tf.RaggedTensor.from_row_lengths(v, lengths)[:, 1:].flat_values ** 2, [values])
    check_gradients(lambda v: tf.RaggedTensor.from_row_lengths(v, lengths)[::-1, :-1].flat_values ** 3, [values])
    check_gradients(lambda v: tf.RaggedTensor.from_row_lengths(v, lengths)[3, 1] * 2.0, [values])
    inner = np.linspace(-1.0, 1.0, 12).reshape(6, 2)
    check_gradients(lambda v: tf.RaggedTensor.from_row_lengths(v, lengths)[..., 0].flat_values ** 2, [inner])


@pytest.mark.parametrize("name", [n for n in sorted(ERRORS) if n.startswith("rt[")])
def test_bad_indices_raise_tensorflows_error_and_change_nothing(name):
    rt = tf.ragged.constant([[2, 5, 6, 3], [2, 7, 3], [], [9]], dtype=tf.int64)
    with pytest.raises(Exception) as raised:
        CASES.error_cases(tf)[name]()
    assert type(raised.value).__name__ == ERRORS[name]
    assert rt.to_list() == [[2, 5, 6, 3], [2, 7, 3], [], [9]]


def test_indices_learnet_refuses_with_a_clear_error():
    rt = tf.ragged.constant([[1, 2], [3]])
    with pytest.raises(NotImplementedError, match="ragged_rank 2"):
        rt[tf.newaxis]
    with pytest.raises(IndexError, match="single ellipsis"):
        rt[..., ...]
    with pytest.raises(ValueError, match="step cannot be zero"):
        rt[:, ::0]
    with pytest.raises(TypeError, match="integers or None"):
        rt[:, 0.5:]
    assert rt.to_list() == [[1, 2], [3]]


# --- tf.RaggedTensorSpec --------------------------------------------------------------------------------


def test_ragged_tensor_spec_is_tensorflows():
    spec = tf.RaggedTensorSpec([None, None], tf.int64)
    assert repr(spec) == "RaggedTensorSpec(TensorShape([None, None]), tf.int64, 1, tf.int64)"
    assert (spec.ragged_rank, spec.dtype, spec.row_splits_dtype, spec.value_type) == (
        1,
        np.int64,
        np.int64,
        tf.RaggedTensor,
    )
    assert spec.flat_values_spec is None
    assert repr(tf.RaggedTensorSpec([2, None, 3], tf.int32)).endswith("tf.int32, 2, tf.int64)")
    assert (
        repr(tf.RaggedTensorSpec(None, tf.string, 1)) == "RaggedTensorSpec(TensorShape(None), tf.string, 1, tf.int64)"
    )
    values = tf.ragged.constant([[1, 2, 3], [4]], dtype=tf.int64)
    assert spec.is_compatible_with(values) and spec.is_compatible_with(tf.RaggedTensorSpec([3, None], tf.int64))
    assert not spec.is_compatible_with(tf.RaggedTensorSpec([3, None], tf.int32))
    assert not spec.is_compatible_with(tf.constant([1]))
    assert spec == tf.RaggedTensorSpec([None, None], tf.int64)
    assert spec != tf.RaggedTensorSpec([None, None], tf.int64, row_splits_dtype=tf.int32)
    assert spec != tf.TensorSpec([None, None], tf.int64)
    assert len({spec, tf.RaggedTensorSpec([None, None], tf.int64)}) == 1
    assert (
        repr(tf.RaggedTensorSpec.from_value(values))
        == "RaggedTensorSpec(TensorShape([2, None]), tf.int64, 1, tf.int64)"
    )


@pytest.mark.parametrize("name", [n for n in sorted(ERRORS) if n.startswith("spec_")])
def test_bad_ragged_tensor_specs_raise_tensorflows_error(name):
    with pytest.raises(Exception) as raised:
        CASES.error_cases(tf)[name]()
    assert type(raised.value).__name__ == ERRORS[name]


def test_ragged_tensor_spec_refuses_what_learnet_cannot_hold():
    with pytest.raises(ValueError, match="row_splits"):
        tf.RaggedTensorSpec([None, None], tf.int32, row_splits_dtype=tf.float32)
    with pytest.raises(ValueError, match="non-negative"):
        tf.RaggedTensorSpec([None, None], tf.int32, ragged_rank=-1)
    with pytest.raises(TypeError, match="from_value expects a RaggedTensor"):
        tf.RaggedTensorSpec.from_value(tf.constant([1, 2]))


# --- element_spec, padded_batch and load: specs ---------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SPECS))
def test_element_spec_equals_tensorflow(name, spec_texts):
    assert spec_texts[name] == SPECS[name]


@pytest.mark.parametrize("name", sorted(VALUES))
def test_pipeline_elements_equal_tensorflow(name, pipeline_values):
    assert pipeline_values[name] == VALUES[name]


def test_the_gap_reproducers_run():
    # Each was a report: rt[..., :-1], from_tensors of a ragged tensor, padded_batch of ((a, b), c).
    rt = tf.ragged.constant([[2, 5, 6, 3], [2, 7, 3]], dtype=tf.int64)
    assert rt[..., :-1].to_list() == rt[:, :-1].to_list()
    spec = tf.data.Dataset.from_tensors(rt).element_spec
    assert repr(spec) == "RaggedTensorSpec(TensorShape([2, None]), tf.int64, 1, tf.int64)"
    (a, b), c = next(iter(CASES._generator_dataset(tf).padded_batch(3)))
    assert a.shape == (3, 2) and b.numpy().tolist() == [[0, 1, 0], [0, 1, 2], [0, 0, 0]]
    assert c.numpy().tolist() == [[1, 2, 0], [1, 2, 3], [1, 0, 0]]


def test_ragged_rows_come_out_as_dense_tensors_and_batch_back_to_ragged():
    rows = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1, 2, 3], [4], [5, 6]], dtype=tf.int64))
    first = next(iter(rows))
    assert isinstance(first, tf.Tensor) and first.numpy().tolist() == [1, 2, 3]
    assert next(rows.as_numpy_iterator()).tolist() == [1, 2, 3]
    batches = [b.to_list() for b in rows.shuffle(3, seed=0).filter(lambda x: True).batch(3)]
    assert sorted(map(tuple, map(tuple, batches[0]))) == [(1, 2, 3), (4,), (5, 6)]
    mapped = rows.map(lambda x: x * 2)  # a map's result is a dense tensor, as in TensorFlow
    assert repr(mapped.element_spec).startswith("TensorSpec(")


def test_batching_ragged_tensors_is_refused_clearly():
    rt = tf.ragged.constant([[1, 2, 3], [4]])
    batched = tf.data.Dataset.from_tensors(rt).repeat(2).batch(2)
    assert batched.element_spec.ragged_rank == 2  # what TensorFlow would make
    with pytest.raises(NotImplementedError, match="unbatch"):
        list(batched)


@pytest.mark.parametrize("name", [n for n in sorted(ERRORS) if n.startswith("padd")])
def test_bad_padded_batch_arguments_raise_tensorflows_error_and_change_nothing(name):
    with pytest.raises(Exception) as raised:
        CASES.error_cases(tf)[name]()
    assert type(raised.value).__name__ == ERRORS[name]
    generated = CASES._generator_dataset(tf)
    assert len(list(generated)) == 3


def test_padded_batch_checks_elements_without_a_spec_when_they_are_read():
    def gen():
        yield (np.arange(2), np.arange(3))
        yield (np.arange(1), np.arange(1))

    loose = tf.data.Dataset.from_generator(gen)  # no signature: checked as the elements come
    batched = loose.padded_batch(2, padded_shapes=([None], [4, 4]))
    with pytest.raises(ValueError, match="not compatible"):
        list(batched)
    with pytest.raises(ValueError, match="3 parts"):
        list(loose.padded_batch(2, padded_shapes=([None], [4], [1])))
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than the padded shape"):
        list(loose.padded_batch(2, padded_shapes=([1], [4])))
    pairs = list(loose.padded_batch(2, padding_values=-1))  # a Python number fits any number type
    assert pairs[0][1].numpy().tolist() == [[0, 1, 2], [0, -1, -1]]


def test_padded_batch_of_text_pads_with_the_given_string():
    ds = tf.data.Dataset.from_generator(
        lambda: iter([np.array([b"a", b"b"]), np.array([b"c"])]),
        output_signature=tf.TensorSpec((None,), tf.string),
    )
    (batch,) = list(ds.padded_batch(2, padding_values="<pad>"))
    assert batch.numpy().tolist() == [[b"a", b"b"], [b"c", b"<pad>"]]


# --- Dataset.save / load ---------------------------------------------------------------------------------


def test_load_keeps_the_spec_of_variable_length_elements(tmp_path):
    def gen():
        for n in (3, 1, 2):
            yield np.arange(n)

    ds = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec((None,), tf.int64))
    ds.save(str(tmp_path / "varlen"))
    loaded = tf.data.Dataset.load(str(tmp_path / "varlen"))
    assert repr(loaded.element_spec) == "TensorSpec(shape=(None,), dtype=tf.int64, name=None)"
    assert [x.numpy().tolist() for x in loaded] == [[0, 1, 2], [0], [0, 1]]
    # Without a declared spec the sizes seen differ, and become None too.
    free = tf.data.Dataset.from_generator(gen)
    free.save(str(tmp_path / "free"))
    assert tf.data.experimental.load(str(tmp_path / "free")).element_spec.shape.as_list() == [None]
    given = tf.data.Dataset.load(str(tmp_path / "free"), element_spec=tf.TensorSpec((None,), tf.int64))
    assert given.element_spec == tf.TensorSpec((None,), tf.int64)


def test_loaded_ragged_rows_batch_back_into_ragged_tensors(tmp_path):
    rows = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1, 2, 3], [4], [5, 6]], dtype=tf.int64))
    rows.save(str(tmp_path / "rows"))
    loaded = tf.data.Dataset.load(str(tmp_path / "rows"))
    assert repr(loaded.element_spec) == "RaggedTensorSpec(TensorShape([None]), tf.int64, 0, tf.int64)"
    assert [b.to_list() for b in loaded.batch(2)] == [[[1, 2, 3], [4]], [[5, 6]]]


def test_load_refuses_an_element_spec_of_another_structure(tmp_path):
    tf.data.Dataset.from_tensor_slices((np.arange(3), np.arange(3))).save(str(tmp_path / "pairs"))
    with pytest.raises(ValueError, match="components"):
        tf.data.Dataset.load(str(tmp_path / "pairs"), element_spec=tf.TensorSpec((), tf.int64))
    assert len(list(tf.data.Dataset.load(str(tmp_path / "pairs")))) == 3
