"""Strategy.make_dataset_iterator and experimental_run, TensorFlow 1's names that TensorFlow 2.21
still runs (Hands-On ML's custom distributed loop): deprecated, and giving TF's results."""

import numpy as np
import pytest

import learnet as tf
from learnet.warn import LearnetDeprecationWarning


def test_the_hands_on_ml_loop_gives_tensorflows_sum():
    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
        w = tf.Variable(1.0)
        dataset = tf.data.Dataset.from_tensor_slices(np.arange(8, dtype=np.float32)).batch(4)
        with pytest.warns(LearnetDeprecationWarning, match="experimental_distribute_dataset"):
            iterator = strategy.make_dataset_iterator(dataset)
    with strategy.scope():
        assert iterator.initialize() == []
        with pytest.warns(LearnetDeprecationWarning, match="Strategy.run"):
            per_replica = strategy.experimental_run(lambda x: tf.reduce_sum(x * w), iterator)
        assert float(strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)) == 6.0  # TF 2.21: 6.0
        second = strategy.experimental_run(lambda x: tf.reduce_sum(x), iterator)
        assert float(second) == 22.0
        with pytest.raises(tf.errors.OutOfRangeError):
            iterator.get_next()


def test_experimental_run_without_an_iterator_runs_the_function():
    strategy = tf.distribute.get_strategy()
    with pytest.warns(LearnetDeprecationWarning):
        assert strategy.experimental_run(lambda: 3) == 3
