"""The strategy protocol in one process: the default strategy and the pieces fit relies on."""

import sys

import numpy as np
import pytest

import learnet as tf
from learnet import distribute, metrics
from learnet.distribute.strategy import Strategy


class FakeRanks(Strategy):
    """A strategy that believes it is rank ``rank`` of ``size``, with collectives that add ``others``."""

    def __init__(self, rank, size, others=None):
        super().__init__()
        self.rank, self.num_replicas_in_sync = rank, size
        self.others = others

    def _allreduce_sum(self, buffer):
        if self.others is not None:
            buffer += self.others(buffer)
        return buffer


def test_outside_a_scope_the_default_strategy_is_one_process():
    strategy = distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1 and strategy.is_chief and not distribute.has_strategy()
    assert strategy.cluster_resolver is None  # as TensorFlow's default strategy
    assert strategy.run(lambda a, b: a + b, args=(2, 3)) == 5
    assert float(strategy.reduce(tf.distribute.ReduceOp.SUM, 4.0)) == 4.0
    assert float(strategy.reduce("MEAN", tf.constant([1.0, 2.0, 6.0]), axis=0)) == 3.0


def test_scope_nests_and_models_and_optimizers_remember_it():
    strategy = FakeRanks(0, 1)
    with strategy.scope():
        assert distribute.get_strategy() is strategy
        model = tf.keras.Sequential([tf.keras.layers.Dense(2)])
        model.compile("sgd", "mse")
    assert distribute.get_strategy() is not strategy
    assert model.distribute_strategy is strategy and model.optimizer._distribute_strategy is strategy


@pytest.mark.parametrize("size", [2, 3, 4, 7])
@pytest.mark.parametrize("rows", [7, 8, 20, 21])
def test_the_ranks_parts_tile_the_global_batch(size, rows):
    parts = [FakeRanks(rank, size)._local_bounds(rows) for rank in range(size)]
    assert parts[0][0] == 0 and parts[-1][1] == rows
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:]))
    lengths = [stop - start for start, stop in parts]
    assert max(lengths) - min(lengths) <= 1


def test_local_part_cuts_every_array_and_sets_the_gradient_scale():
    strategy = FakeRanks(1, 2)
    x, y = np.arange(10).reshape(5, 2), np.arange(5)
    part = strategy._local_part(({"a": x}, y))
    assert part[0]["a"].tolist() == x[3:].tolist() and part[1].tolist() == [3, 4]
    assert strategy._gradient_scale == pytest.approx(2 / 5)
    with pytest.warns(UserWarning, match="smaller than the 2 processes"):
        assert strategy._local_part((np.zeros((1, 2)), np.zeros(1))) is None


def test_gradients_are_scaled_then_summed_in_one_buffer():
    strategy = FakeRanks(0, 2, others=lambda buffer: np.full_like(buffer, 1.0))  # the other rank sent ones
    strategy._gradient_scale = 0.5
    grads = [tf.constant([[2.0, 4.0]]), None, np.array([6.0], dtype="float32")]
    reduced = strategy.all_reduce_gradients(grads)
    assert reduced[1] is None
    np.testing.assert_allclose(reduced[0].numpy(), [[2.0, 3.0]])
    np.testing.assert_allclose(reduced[2], [4.0])
    assert isinstance(reduced[0], tf.Tensor) and not isinstance(reduced[2], tf.Tensor)


def test_metric_results_come_from_summed_states_and_each_process_keeps_its_own():
    accuracy, auc = metrics.SparseCategoricalAccuracy(), metrics.AUC(num_thresholds=5)
    accuracy.update_state([0, 1], [[0.9, 0.1], [0.8, 0.2]])  # 1 of 2 right here
    auc.update_state([0, 1], [0.2, 0.7])

    # the other process saw 3 right of 3 (total 3, count 3) and the same AUC counts
    def others(buffer):
        other = buffer.copy()
        other[:2] = [3.0, 3.0]
        return other

    results = FakeRanks(0, 2, others=others)._reduced_results([accuracy, auc])
    assert float(results["sparse_categorical_accuracy"]) == pytest.approx(4 / 5)
    assert float(accuracy.result()) == pytest.approx(1 / 2)  # the local state is put back
    assert float(results["auc"]) == pytest.approx(float(auc.result()))  # doubling every count keeps the AUC


def test_a_custom_metric_without_add_weight_state_cannot_be_summed():
    class Loose(metrics.Metric):
        def update_state(self, *args, **kwargs):
            self.n = 1

        def result(self):
            return 1.0

    with pytest.raises(TypeError, match="keeps its state outside add_weight"):
        FakeRanks(0, 2)._reduced_results([Loose()])


def test_compute_average_loss_divides_by_the_global_batch():
    losses = tf.constant([1.0, 2.0, 3.0, 6.0])
    assert float(tf.nn.compute_average_loss(losses)) == 3.0
    assert float(tf.nn.compute_average_loss(losses, global_batch_size=8)) == 1.5
    assert float(tf.nn.compute_average_loss(losses, sample_weight=[1.0, 1.0, 0.0, 0.0])) == 0.75
    with FakeRanks(0, 2).scope():
        assert float(tf.nn.compute_average_loss(losses)) == 1.5  # 4 rows here, 8 in the global batch


def test_launch_checks_name_what_differs():
    strategy = FakeRanks(0, 2)
    strategy._allgather = lambda value: [value, {**value, "batch_size": "64"}]
    with pytest.raises(ValueError, match=r"disagree on batch_size \(rank 0: 32; rank 1: 64\)"):
        strategy._check_same_launch(batch_size=32, epochs=1)


def test_without_mpi4py_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    with pytest.raises(ImportError, match=r"pip install 'learnet\[mpi\]'"):
        distribute.MultiWorkerMirroredStrategy()


def test_workers_option_is_removed_for_the_processes_mpi_starts():
    from learnet.cli import _strip_workers

    assert _strip_workers(["train", "--workers", "4", "--epochs", "2"]) == ["train", "--epochs", "2"]
    assert _strip_workers(["train", "--workers=4"]) == ["train"]
