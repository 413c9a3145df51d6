"""tf.data.experimental.CsvDataset and make_csv_dataset (TensorFlow's tf.data guide, titanic-like rows)."""

import collections

import numpy as np
import pytest

import learnet as tf

ROWS = [
    "survived,sex,age,n_siblings_spouses,fare,class",
    "0,male,22.0,1,7.25,Third",
    "1,female,38.0,1,71.2833,First",
    "1,female,,0,7.925,Third",
    "0,male,35.0,0,8.05,Third",
]


@pytest.fixture
def titanic(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("\n".join(ROWS) + "\n")
    return str(path)


def test_csv_dataset_types_each_column_by_its_default(titanic):
    types = [tf.int32, tf.string, tf.float32, tf.int32, tf.float32, tf.string]
    rows = list(tf.data.experimental.CsvDataset(titanic, types, header=True).take(2))
    first = [np.asarray(v.numpy()).tolist() for v in rows[0]]
    assert first == [0, b"male", 22.0, 1, 7.25, b"Third"]
    with_default = [0, "", 30.0, 0, 0.0, ""]
    ages = [float(r[2]) for r in tf.data.experimental.CsvDataset(titanic, with_default, header=True)]
    assert ages == [22.0, 38.0, 30.0, 35.0]  # the empty age takes its default
    picked = list(tf.data.experimental.CsvDataset(titanic, [0.0, ""], header=True, select_cols=[2, 5]))
    assert [np.asarray(v.numpy()).tolist() for v in picked[1]] == [38.0, b"First"]
    excluded = list(tf.data.experimental.CsvDataset(titanic, [0, "", 0.0, 0, 0.0], header=True, exclude_cols=[5]))
    assert len(excluded[0]) == 5


def test_a_required_column_without_a_value_is_an_error(titanic):
    types = [tf.int32, tf.string, tf.float32, tf.int32, tf.float32, tf.string]
    with pytest.raises(tf.errors.InvalidArgumentError, match="field 2 is required"):
        list(tf.data.experimental.CsvDataset(titanic, types, header=True))


def test_make_csv_dataset_batches_named_columns_and_labels(titanic):
    batches = tf.data.experimental.make_csv_dataset(
        titanic, batch_size=2, label_name="survived", num_epochs=1, shuffle=False
    )
    features, labels = next(iter(batches))
    assert list(features) == ["sex", "age", "n_siblings_spouses", "fare", "class"]
    assert features["sex"].numpy().tolist() == [b"male", b"female"] and labels.numpy().tolist() == [0, 1]
    assert features["age"].dtype == tf.float32 and features["n_siblings_spouses"].dtype == tf.int32
    assert sum(int(b[1].shape[0]) for b in batches) == 4
    forever = tf.data.experimental.make_csv_dataset(titanic, batch_size=3, label_name="survived", shuffle_seed=1)
    assert len(list(forever.take(5))) == 5  # num_epochs=None repeats, as in TensorFlow
    only = tf.data.experimental.make_csv_dataset(titanic, batch_size=4, select_columns=["age", "fare"], num_epochs=1)
    assert isinstance(next(iter(only)), (dict, collections.OrderedDict)) and set(next(iter(only))) == {"age", "fare"}
    with pytest.raises(ValueError, match="label_name 'alive'"):
        tf.data.experimental.make_csv_dataset(titanic, batch_size=2, label_name="alive")
    with pytest.raises(ValueError, match="no files match"):
        tf.data.experimental.make_csv_dataset(titanic + ".missing", batch_size=2)


def test_py_function_as_a_decorator():
    @tf.py_function(Tout=tf.float32)
    def twice(x):
        return x * 2

    assert twice(tf.constant([1.5])).numpy().tolist() == [3.0]
    assert tf.numpy_function(lambda a: a + 1, [np.array([1.0])], tf.float32).numpy().tolist() == [2.0]
