"""``tf.data`` iterators saved and restored by ``tf.train.Checkpoint``, and ``tf.data.experimental``,
against real TensorFlow 2.21 (fixture made by fixtures/make_data_iterator_fixture.py)."""

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pytest

import learnet as tf

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REFERENCE = np.load(FIXTURES / "data_iterator_reference.npz")


def _fixture_module():
    spec = importlib.util.spec_from_file_location(
        "make_data_iterator_fixture", FIXTURES / "make_data_iterator_fixture.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CASES = _fixture_module()


def _expected(key):
    return json.loads(str(REFERENCE[key]))


def _as_json(value):
    return json.loads(json.dumps(value))


# --- against TensorFlow -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CASES.iterator_cases(tf, "").keys()))
def test_restored_iterator_continues_as_tensorflow(name, tmp_path):
    result = CASES.iterator_cases(tf, str(tmp_path))[name]()
    assert _as_json(result) == _expected(f"iterator/{name}")


@pytest.mark.parametrize("name", sorted(CASES.random_cases(tf, "").keys()))
def test_restored_random_pipeline_continues_in_the_same_order_as_tensorflow(name, tmp_path):
    result = CASES.random_cases(tf, str(tmp_path))[name]()
    assert result == _expected(f"random/{name}")
    assert result["continues"]


@pytest.mark.filterwarnings("ignore:divide by zero")  # ignore_errors' case divides by zero on purpose
@pytest.mark.parametrize("name", sorted(CASES.experimental_cases(tf).keys()))
def test_data_experimental_as_tensorflow(name):
    assert _as_json(CASES.experimental_cases(tf)[name]()) == _expected(f"experimental/{name}")


# --- the position and the randomness a restore brings back ------------------------------------


def test_the_guide_example_restores_the_position_through_a_manager(tmp_path):
    iterator = iter(tf.data.Dataset.range(20))
    checkpoint = tf.train.Checkpoint(step=tf.Variable(0), iterator=iterator)
    manager = tf.train.CheckpointManager(checkpoint, str(tmp_path), max_to_keep=3)
    assert [int(next(iterator)) for _ in range(5)] == [0, 1, 2, 3, 4]
    manager.save()
    assert [int(next(iterator)) for _ in range(5)] == [5, 6, 7, 8, 9]
    checkpoint.restore(manager.latest_checkpoint).assert_consumed()
    assert [int(next(iterator)) for _ in range(5)] == [5, 6, 7, 8, 9]


def test_unseeded_shuffle_restored_in_a_new_program_goes_on_in_the_saved_order(tmp_path):
    def pipeline():
        return tf.data.Dataset.range(40).shuffle(8).map(lambda x: x * 3).repeat().batch(5)

    tf.random.set_seed(1)
    iterator = iter(pipeline())
    [next(iterator) for _ in range(10)]  # two epochs and a half
    path = tf.train.Checkpoint(iterator=iterator).save(str(tmp_path / "ckpt"))
    expected = [next(iterator).numpy().tolist() for _ in range(20)]  # into the next epochs
    tf.random.set_seed(2)  # another program: other random numbers, the pipeline built again
    restored = iter(pipeline())
    tf.train.Checkpoint(iterator=restored).restore(path).assert_consumed()
    assert [next(restored).numpy().tolist() for _ in range(20)] == expected


def test_random_dataset_and_rejection_resample_restore_their_draws(tmp_path):
    labels = tf.data.Dataset.from_tensor_slices([0] * 9 + [1]).repeat()
    pipeline = tf.data.Dataset.zip((tf.data.Dataset.random(), labels.rejection_resample(lambda y: y, [0.5, 0.5])))
    iterator = iter(pipeline)
    [next(iterator) for _ in range(6)]
    checkpoint = tf.train.Checkpoint(iterator=iterator)
    path = checkpoint.save(str(tmp_path / "ckpt"))
    expected = [[int(r), int(c)] for r, (c, _) in (next(iterator) for _ in range(6))]
    checkpoint.restore(path)
    assert [[int(r), int(c)] for r, (c, _) in (next(iterator) for _ in range(6))] == expected


def test_a_restore_reads_the_elements_before_the_position_again(tmp_path):
    calls = []

    def counted(x):
        calls.append(int(x))
        return x

    iterator = iter(tf.data.Dataset.range(10).map(counted))
    [next(iterator) for _ in range(4)]
    checkpoint = tf.train.Checkpoint(iterator=iterator)
    path = checkpoint.save(str(tmp_path / "ckpt"))
    calls.clear()
    checkpoint.restore(path)
    assert calls == [0, 1, 2, 3]  # the documented cost: the pipeline runs up to the position again
    assert int(next(iterator)) == 4


def test_an_iterator_attached_after_the_restore_gets_its_position_then(tmp_path):
    iterator = iter(tf.data.Dataset.range(6))
    next(iterator), next(iterator)
    path = tf.train.Checkpoint(iterator=iterator).save(str(tmp_path / "ckpt"))
    later = tf.train.Checkpoint()
    status = later.restore(path)
    fresh = iter(tf.data.Dataset.range(6))
    later.iterator = fresh
    status.assert_consumed()
    assert int(next(fresh)) == 2


def test_a_numpy_iterator_and_an_iterator_in_a_module_are_checkpointed(tmp_path):
    class Reader(tf.Module):
        def __init__(self):
            super().__init__()
            self.rows = iter(tf.data.Dataset.range(5))
            self.count = tf.Variable(0)

    reader = Reader()
    numbers = tf.data.Dataset.range(3).as_numpy_iterator()
    next(reader.rows), next(numbers)
    checkpoint = tf.train.Checkpoint(reader=reader, numbers=numbers)
    path = checkpoint.save(str(tmp_path / "ckpt"))
    assert "reader/rows/.ATTRIBUTES/ITERATOR_STATE" in dict(tf.train.list_variables(path))
    next(reader.rows), next(numbers)
    checkpoint.restore(path).assert_consumed()
    assert int(next(reader.rows)) == 1 and int(next(numbers)) == 1


def test_status_reports_an_iterator_the_checkpoint_does_not_hold(tmp_path):
    path = tf.train.Checkpoint(step=tf.Variable(1)).save(str(tmp_path / "ckpt"))
    status = tf.train.Checkpoint(step=tf.Variable(0), iterator=iter(tf.data.Dataset.range(3))).restore(path)
    with pytest.raises(AssertionError, match="iterator"):
        status.assert_existing_objects_matched()


# --- bad input: a clear error, nothing changed -------------------------------------------------


def _saved_after(tmp_path, dataset, count, step_value=7):
    iterator = iter(dataset)
    [next(iterator) for _ in range(count)]
    return tf.train.Checkpoint(step=tf.Variable(step_value), iterator=iterator).save(str(tmp_path / "ckpt"))


@pytest.mark.parametrize(
    "other, message",
    [
        (tf.data.Dataset.range(5), "saved over a dataset of 10 elements, but this one has 5"),
        (tf.data.Dataset.range(10).filter(lambda x: x < 3), "had read 6 elements, but this dataset has only 3"),
    ],
)
def test_restoring_into_another_dataset_raises_and_changes_nothing(tmp_path, other, message):
    path = _saved_after(tmp_path, tf.data.Dataset.range(10), 6)
    step = tf.Variable(0)
    iterator = iter(other)
    next(iterator)
    with pytest.raises(tf.errors.InvalidArgumentError, match=message):
        tf.train.Checkpoint(step=step, iterator=iterator).restore(path)
    assert int(step) == 0  # checked before anything changed
    assert int(next(iterator)) == 1


def test_a_damaged_iterator_state_raises_data_loss_and_changes_nothing(tmp_path):
    path = _saved_after(tmp_path, tf.data.Dataset.range(10), 3)
    data_file = path + ".data-00000-of-00001"
    with np.load(data_file) as stored:
        arrays = {key: stored[key] for key in stored.files}
    key = next(k for k, v in arrays.items() if v.dtype == np.uint8)
    arrays[key] = np.full_like(arrays[key], ord("x"))
    with open(data_file, "wb") as stream:
        np.savez(stream, **arrays)
    step, iterator = tf.Variable(0), iter(tf.data.Dataset.range(10))
    with pytest.raises(tf.errors.DataLossError, match="iterator: its saved state is damaged"):
        tf.train.Checkpoint(step=step, iterator=iterator).restore(path)
    assert int(step) == 0 and int(next(iterator)) == 0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: tf.data.experimental.ignore_errors()([1, 2]), TypeError, "ignore_errors: expected a Dataset"),
        (lambda: tf.data.experimental.group_by_reducer(lambda x: x, "sum"), TypeError, "must be a tf.data"),
        (lambda: tf.data.experimental.Reducer(lambda k: 0, None, lambda s: s), TypeError, "reduce_func must be"),
        (lambda: tf.data.experimental.at(tf.data.Dataset.range(3), 3), tf.errors.OutOfRangeError, "past the end"),
        (lambda: tf.data.experimental.at(tf.data.Dataset.range(3), -1), tf.errors.InvalidArgumentError, "negative"),
        (lambda: tf.data.experimental.at([1, 2], 0), TypeError, "expected a Dataset"),
        (lambda: tf.data.experimental.from_list([]), ValueError, "non-empty list"),
        (lambda: tf.data.experimental.get_structure([1]), TypeError, "Dataset or its iterator"),
        (lambda: tf.data.experimental.get_next_as_optional([1]), TypeError, "iterator of a Dataset"),
        (lambda: tf.data.experimental.get_single_element([1]), TypeError, "expected a Dataset"),
        (lambda: tf.data.experimental.TFRecordWriter("unused.tfrecord").write([b"a"]), TypeError, "a Dataset"),
    ],
)
def test_data_experimental_refuses_bad_input(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_dataset_is_unchanged_by_a_refused_transformation():
    dataset = tf.data.Dataset.range(3)
    with pytest.raises(TypeError):
        dataset.apply(lambda d: [d])
    assert [int(x) for x in dataset] == [0, 1, 2]


# --- the rest of tf.data.experimental -----------------------------------------------------------


def test_experimental_tfrecord_writer_and_save_load(tmp_path):
    path = str(tmp_path / "lines.tfrecord")
    tf.data.experimental.TFRecordWriter(path).write(tf.data.Dataset.from_tensor_slices([b"one", b"two"]))
    assert [r.numpy() for r in tf.data.TFRecordDataset(path)] == [b"one", b"two"]
    tf.data.experimental.save(tf.data.Dataset.range(3), str(tmp_path / "saved"))
    assert [int(x) for x in tf.data.experimental.load(str(tmp_path / "saved"))] == [0, 1, 2]


def test_experimental_names_cover_those_courses_use():
    wanted = {
        "assert_cardinality", "at", "bucket_by_sequence_length", "cardinality", "choose_from_datasets",
        "copy_to_device", "dense_to_ragged_batch", "dense_to_sparse_batch", "enable_debug_mode",
        "enumerate_dataset", "from_list", "get_next_as_optional", "get_single_element", "get_structure",
        "group_by_reducer", "group_by_window", "ignore_errors", "load", "make_csv_dataset", "map_and_batch",
        "parallel_interleave", "parse_example_dataset", "prefetch_to_device", "rejection_resample",
        "sample_from_datasets", "save", "scan", "shuffle_and_repeat", "snapshot", "take_while", "unbatch",
        "unique", "AUTOTUNE", "AutoShardPolicy", "Counter", "CsvDataset", "ExternalStatePolicy",
        "INFINITE_CARDINALITY", "Optional", "RandomDataset", "Reducer", "SHARD_HINT", "TFRecordWriter",
        "UNKNOWN_CARDINALITY",
    }  # fmt: skip
    assert wanted <= set(dir(tf.data.experimental))


def test_parse_example_dataset_parses_batches_of_examples():
    pytest.importorskip("google.protobuf")
    examples = [
        tf.train.Example(
            features=tf.train.Features(feature={"x": tf.train.Feature(int64_list=tf.train.Int64List(value=[v]))})
        ).SerializeToString()
        for v in (3, 4, 5)
    ]
    spec = {"x": tf.io.FixedLenFeature([], tf.int64)}
    parsed = (
        tf.data.Dataset.from_tensor_slices(examples).batch(2).apply(tf.data.experimental.parse_example_dataset(spec))
    )
    assert [batch["x"].numpy().tolist() for batch in parsed] == [[3, 4], [5]]


def test_iterator_state_file_holds_no_code(tmp_path):
    path = _saved_after(tmp_path, tf.data.Dataset.range(4).shuffle(4, seed=0), 2)
    reader = tf.train.load_checkpoint(path)
    state = json.loads(bytes(reader.get_tensor("iterator/.ATTRIBUTES/ITERATOR_STATE")).decode("utf-8"))
    assert state["consumed"] == 2 and state["cardinality"] == 4 and len(state["draws"]) == 1
    assert os.path.getsize(path + ".index") < 10_000
