"""tf.data beyond the basics: files, interleave, windows, padded and bucketed batches, CSV lines.

The expected lists are what TensorFlow 2.21 gives for the same pipelines (run side by side
when these tests were written); the last test is Hands-On's chapter-13 CSV pipeline.
"""

import numpy as np
import pytest

import learnet as tf


def _ints(dataset):
    return [np.asarray(x).tolist() for x in dataset.as_numpy_iterator()]


@pytest.mark.parametrize(
    "start, stop, repeats, cycle, block, expected",
    [
        (1, 4, 3, 2, 2, [1, 1, 2, 2, 1, 2, 3, 3, 3]),
        (1, 6, 6, 2, 4, [1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 3, 3, 4, 4, 5, 5, 5, 5, 5, 5]),
        (1, 6, 3, 3, 1, [1, 2, 3, 1, 2, 3, 1, 2, 3, 4, 5, 4, 5, 4, 5]),
        (0, 7, None, 2, 1, [1, 2, 2, 4, 5, 5]),  # x % 3 repeats: some inputs give nothing
        (1, 9, 2, 3, 2, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]),
    ],
)
def test_interleave_reads_in_tensorflows_order(start, stop, repeats, cycle, block, expected):
    dataset = tf.data.Dataset.range(start, stop).interleave(
        lambda x: tf.data.Dataset.from_tensors(x).repeat(repeats if repeats else x % 3),
        cycle_length=cycle,
        block_length=block,
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    assert _ints(dataset) == expected


@pytest.mark.parametrize(
    "size, shift, stride, expected, dropped",
    [
        (4, 1, 1, [[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [3, 4, 5, 6], [4, 5, 6, 7], [5, 6, 7], [6, 7], [7]], 5),
        (3, 2, 1, [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6, 7]], 3),
        (3, 1, 2, [[0, 2, 4], [1, 3, 5], [2, 4, 6], [3, 5, 7], [4, 6], [5, 7], [6], [7]], 4),
        (2, 5, 1, [[0, 1], [5, 6]], 2),
        (3, 2, 2, [[0, 2, 4], [2, 4, 6], [4, 6], [6]], 2),
    ],
)
def test_windows_as_tensorflow_cuts_them(size, shift, stride, expected, dropped):
    windows = tf.data.Dataset.range(8).window(size, shift=shift, stride=stride)
    assert [_ints(w) for w in windows] == expected
    kept = tf.data.Dataset.range(8).window(size, shift=shift, stride=stride, drop_remainder=True)
    assert [_ints(w) for w in kept] == expected[:dropped]
    assert len(windows) == len(expected) and len(kept) == dropped


def test_windows_flattened_into_batches_make_training_sequences():
    # Hands-On chapters 15 and 16: windows of a series or of text, then batched.
    series = tf.data.Dataset.range(6).window(4, shift=1, drop_remainder=True).flat_map(lambda w: w.batch(4))
    assert _ints(series) == [[0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5]]
    pairs = (
        tf.data.Dataset.from_tensor_slices((np.arange(5), np.arange(5) * 10))
        .window(2, drop_remainder=True)
        .flat_map(lambda a, b: tf.data.Dataset.zip((a.batch(2), b.batch(2))))
    )
    assert [[t.tolist() for t in e] for e in pairs.as_numpy_iterator()] == [[[0, 1], [0, 10]], [[2, 3], [20, 30]]]
    with pytest.raises(TypeError, match="must return a Dataset"):
        list(tf.data.Dataset.range(3).flat_map(lambda x: x))


def test_padded_batch_pads_to_the_longest_or_to_the_shape_given():
    ragged = tf.data.Dataset.range(1, 6).map(lambda x: tf.fill([x], x))
    assert _ints(ragged.padded_batch(2)) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]], [[5, 5, 5, 5, 5]]]
    fixed = ragged.padded_batch(2, padded_shapes=[6], padding_values=tf.constant(-1, tf.int64), drop_remainder=True)
    assert _ints(fixed) == [
        [[1, -1, -1, -1, -1, -1], [2, 2, -1, -1, -1, -1]],
        [[3, 3, 3, -1, -1, -1], [4, 4, 4, 4, -1, -1]],
    ]
    pairs = tf.data.Dataset.range(1, 5).map(lambda x: (tf.fill([x], x), tf.fill([x, 2], tf.cast(x, tf.float32))))
    first = next(iter(pairs.padded_batch(3, padded_shapes=([None], [5, None]))))
    assert first[0].numpy().tolist() == [[1, 0, 0], [2, 2, 0], [3, 3, 3]]
    assert first[1].shape == (3, 5, 2) and first[1].numpy()[2].tolist() == [[3, 3], [3, 3], [3, 3], [0, 0], [0, 0]]
    with pytest.raises(tf.errors.InvalidArgumentError, match="larger than the padded shape"):
        list(ragged.padded_batch(2, padded_shapes=[3]))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        ragged.padded_batch(0)


def test_grouping_and_bucketing_by_length_as_tensorflow():
    grouped = tf.data.Dataset.range(12).group_by_window(
        key_func=lambda x: x % 3, reduce_func=lambda key, window: window.batch(2), window_size=2
    )
    assert _ints(grouped) == [[0, 3], [1, 4], [2, 5], [6, 9], [7, 10], [8, 11]]
    sequences = tf.data.Dataset.range(1, 10).map(lambda x: tf.fill([x], x))
    buckets = sequences.bucket_by_sequence_length(lambda s: tf.shape(s)[0], [3, 6], [2, 2, 3])
    assert _ints(buckets) == [
        [[1, 0], [2, 2]],
        [[3, 3, 3, 0], [4, 4, 4, 4]],
        [[6, 6, 6, 6, 6, 6, 0, 0], [7, 7, 7, 7, 7, 7, 7, 0], [8, 8, 8, 8, 8, 8, 8, 8]],
        [[5, 5, 5, 5, 5]],
        [[9, 9, 9, 9, 9, 9, 9, 9, 9]],
    ]
    kept = sequences.bucket_by_sequence_length(lambda s: tf.shape(s)[0], [3, 6], [2, 2, 3], drop_remainder=True)
    assert len(_ints(kept)) == 3
    with pytest.raises(ValueError, match="needs 3 entries"):
        sequences.bucket_by_sequence_length(lambda s: tf.shape(s)[0], [3, 6], [2, 2])


def test_folding_scanning_sharding_and_choosing():
    assert int(tf.data.Dataset.range(5).reduce(np.int64(0), lambda total, x: total + x)) == 10
    assert _ints(tf.data.Dataset.range(5).scan(np.int64(0), lambda s, x: (s + x, s * 10))) == [0, 0, 10, 30, 60]
    shard = tf.data.Dataset.range(10).shard(3, 1)
    assert _ints(shard) == [1, 4, 7] and len(shard) == 3
    assert _ints(tf.data.Dataset.from_tensor_slices([1, 2, 1, 3, 2]).unique()) == [1, 2, 3]
    assert _ints(tf.data.Dataset.range(10).take_while(lambda x: x < 4)) == [0, 1, 2, 3]
    chosen = tf.data.Dataset.choose_from_datasets(
        [tf.data.Dataset.range(3), tf.data.Dataset.range(10, 13)],
        tf.data.Dataset.from_tensor_slices(np.array([0, 1, 1, 0, 0], "int64")),
    )
    assert _ints(chosen) == [0, 10, 11, 1, 2]
    assert _ints(tf.data.Dataset.range(4).apply(lambda ds: ds.map(lambda x: x * 2))) == [0, 2, 4, 6]
    assert int(tf.data.Dataset.from_tensors(7).get_single_element()) == 7
    with pytest.raises(tf.errors.InvalidArgumentError, match="more than one element"):
        tf.data.Dataset.range(2).get_single_element()
    with pytest.raises(tf.errors.InvalidArgumentError, match="index must be in"):
        tf.data.Dataset.range(4).shard(2, 2)


def test_sampling_follows_the_weights_and_drains_every_dataset():
    zeros, ones = tf.data.Dataset.from_tensors(0).repeat(300), tf.data.Dataset.from_tensors(1).repeat(100)
    drawn = _ints(tf.data.Dataset.sample_from_datasets([zeros, ones], weights=[0.75, 0.25], seed=3))
    assert sorted(drawn) == [0] * 300 + [1] * 100  # nothing lost, nothing repeated
    assert 0.6 < np.mean(np.array(drawn[:200]) == 0) < 0.9
    same = _ints(tf.data.experimental.sample_from_datasets([zeros, ones], weights=[0.75, 0.25], seed=3))
    assert same == drawn
    stopped = _ints(tf.data.Dataset.sample_from_datasets([zeros.take(5), ones], seed=1, stop_on_empty_dataset=True))
    assert stopped.count(0) == 5 and len(stopped) < 105
    with pytest.raises(ValueError, match="weights must be 2 non-negative numbers"):
        tf.data.Dataset.sample_from_datasets([zeros, ones], weights=[1.0])


def test_options_cardinality_checks_and_skipped_errors():
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = tf.data.Dataset.range(3).with_options(options)
    assert dataset.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.DATA
    assert _ints(dataset.batch(2)) == [[0, 1], [2]]
    assert _ints(tf.data.Dataset.range(3).assert_cardinality(3)) == [0, 1, 2]
    with pytest.raises(tf.errors.FailedPreconditionError, match="3 elements, 4 were expected"):
        list(tf.data.Dataset.range(3).filter(lambda x: x >= 0).assert_cardinality(4))

    def check(x):
        if int(x) == 0:
            raise ValueError("no inverse of 0")
        return 1.0 / tf.cast(x, tf.float32)

    assert [float(v) for v in tf.data.Dataset.range(3).map(check).ignore_errors()] == [1.0, 0.5]
    assert _ints(tf.data.Dataset.counter(5, 2).take(3)) == [5, 7, 9]
    assert _ints(tf.data.Dataset.random(seed=4).take(3)) == _ints(tf.data.Dataset.random(seed=4).take(3))


def test_list_files_shuffles_by_default_and_refuses_no_match(tmp_path):
    for index in range(6):
        (tmp_path / f"part_{index}.csv").write_text("x\n")
    (tmp_path / "notes.txt").write_text("")
    listed = [f.numpy() for f in tf.data.Dataset.list_files(str(tmp_path / "*.csv"), shuffle=False)]
    assert listed == [str(tmp_path / f"part_{i}.csv").encode() for i in range(6)]
    shuffled = [f.numpy() for f in tf.data.Dataset.list_files(str(tmp_path / "*.csv"), seed=42)]
    assert sorted(shuffled) == listed
    several = tf.data.Dataset.list_files([str(tmp_path / "part_1.csv"), str(tmp_path / "*.txt")], shuffle=False)
    assert len(list(several)) == 2
    with pytest.raises(tf.errors.InvalidArgumentError, match="no files match"):
        tf.data.Dataset.list_files(str(tmp_path / "*.json"))


def test_decode_csv_reads_columns_as_tensorflow():
    defaults = [0.0] * 3 + [tf.constant([], dtype=tf.float32)]
    columns = tf.io.decode_csv(tf.constant(["1,2,3,4", "5,,7,8", "9,1,1,1"]), record_defaults=defaults)
    assert [c.numpy().tolist() for c in columns] == [[1.0, 5.0, 9.0], [2.0, 0.0, 1.0], [3.0, 7.0, 1.0], [4.0, 8.0, 1.0]]
    assert all(c.dtype == tf.float32 for c in columns)
    mixed = tf.io.decode_csv('1;x;"a;b";4', record_defaults=[0, "", "", tf.constant(0, tf.int64)], field_delim=";")
    assert [np.asarray(c.numpy()).tolist() for c in mixed] == [1, b"x", b"a;b", 4]
    assert [mixed[0].dtype, mixed[1].dtype, mixed[3].dtype] == [tf.int32, tf.string, tf.int64]
    picked = tf.io.decode_csv(["1,2,NA", "4,5,6"], record_defaults=[0.0, 0.0], select_cols=[0, 2], na_value="NA")
    assert [c.numpy().tolist() for c in picked] == [[1.0, 4.0], [0.0, 6.0]]
    for bad, message in (
        (["1,2"], "expect 4 fields but have 2"),
        (["1,2,3,"], "field 3 is required"),
        (["x,2,3,4"], "not a valid float32"),
    ):
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            tf.io.decode_csv(bad, record_defaults=defaults)
    with pytest.raises(TypeError, match="must be float32, float64, int32, int64 or string"):
        tf.io.decode_csv(["1"], record_defaults=[tf.constant(True)])


def test_shards_of_csv_files_read_side_by_side_train_a_model(tmp_path):
    # The pattern of Hands-On's chapter 13, in this project's own words: several CSV shards with a
    # header, listed, read side by side, parsed into (features, target), shuffled and batched.
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(200, 8)).astype("float32")
    outputs = inputs @ rng.normal(size=8).astype("float32") + 1.0
    for shard, rows in enumerate(np.array_split(np.arange(200), 5)):
        text = ["a,b,c,d,e,f,g,h,value"] + [",".join(f"{v:.6f}" for v in [*inputs[r], outputs[r]]) for r in rows]
        (tmp_path / f"shard_{shard}.csv").write_text("\n".join(text) + "\n")
    required = tf.constant([], dtype=tf.float32)

    def to_pair(row):
        columns = tf.io.decode_csv(row, record_defaults=[0.0] * 8 + [required])
        return tf.stack(columns[:8]), tf.stack(columns[8:])

    rows = tf.data.Dataset.list_files(str(tmp_path / "shard_*.csv"), seed=7).interleave(
        lambda name: tf.data.TextLineDataset(name).skip(1), cycle_length=3, num_parallel_calls=tf.data.AUTOTUNE
    )
    batches = rows.map(to_pair).shuffle(500, seed=7).batch(32).prefetch(1)
    x, y = next(iter(batches))
    assert x.shape == (32, 8) and y.shape == (32, 1)
    assert sum(int(b[0].shape[0]) for b in batches) == 200
    model = tf.keras.Sequential([tf.keras.layers.Input((8,)), tf.keras.layers.Dense(1)])
    model.compile(loss="mse", optimizer=tf.keras.optimizers.SGD(learning_rate=0.05))
    history = model.fit(batches, epochs=5, verbose=0)
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


def test_take_reads_no_element_past_the_last_it_gives():
    def numbers():
        yield from (1, 2)
        raise AssertionError("take(2) read a third element")

    dataset = tf.data.Dataset.from_generator(numbers, output_signature=tf.TensorSpec((), tf.int32))
    assert _ints(dataset.take(2)) == [1, 2]
    assert _ints(dataset.take(0)) == []


def test_zip_keeps_the_nested_structure_it_is_given():
    # TensorFlow 2.21: Dataset.zip((a, (b, b))) gives (a, (b, b)) elements; dicts likewise.
    a, b = tf.data.Dataset.range(3), tf.data.Dataset.range(10, 13)
    nested = tf.data.Dataset.zip((a, (b, b)))
    assert [(int(x), (int(y), int(z))) for x, (y, z) in nested] == [(0, (10, 10)), (1, (11, 11)), (2, (12, 12))]
    assert isinstance(nested.element_spec[1], tuple) and len(nested.element_spec[1]) == 2
    keyed = next(iter(tf.data.Dataset.zip({"x": a, "y": (b, a)})))
    assert int(keyed["x"]) == 0 and [int(v) for v in keyed["y"]] == [10, 0]
    assert [int(v) for v in next(iter(tf.data.Dataset.zip(a, b)))] == [0, 10]
    assert nested.cardinality() == 3
    with pytest.raises(TypeError, match="structures of datasets"):
        tf.data.Dataset.zip((a, 3))


def test_a_list_a_map_returns_is_a_tuple_for_the_next_map():
    def both(x):
        return tf.py_function(lambda v: [v + 1, v * 2], [x], (tf.int64, tf.int64))

    pairs = tf.data.Dataset.range(3).map(both).map(lambda a, b: a + b)
    assert [int(v) for v in pairs] == [1, 4, 7]
    assert isinstance(next(iter(tf.data.Dataset.range(1).map(lambda x: [x, x]))), tuple)


def test_reduce_and_scan_pass_a_tuple_element_as_one_argument():
    # TensorFlow calls reduce_func(state, element) and scan_func(state, element): a
    # (features, labels) element is one argument (TF 2.21: 11, and [3, 5]).
    import learnet as tf

    ds = tf.data.Dataset.from_tensor_slices(([1, 2], [3, 4]))
    assert int(ds.reduce(0, lambda s, e: s + e[0] * e[1])) == 11
    assert [int(v) for v in ds.scan(0, lambda s, e: (s + e[0], e[1] + s))] == [3, 5]
    with pytest.raises(TypeError):
        ds.reduce(0, lambda s, x, y: s + x)  # the unpacked form is TensorFlow's error too
