"""``TensorBoard``: the training curves (and weight histograms) in event files, written by tensorboardX."""

import os

import numpy as np

from learnet.callbacks.callback import Callback


class _EventFileWriter:
    """Scalars and histograms in an ``events.out.tfevents.*`` file, written by tensorboardX."""

    def __init__(self, folder):
        try:
            from tensorboardX import SummaryWriter
        except ImportError:
            raise ImportError(
                "the TensorBoard callback writes its event files with tensorboardX; install it with "
                "pip install 'learnet[tensorboard]' (or pip install tensorboardX)"
            ) from None
        self._writer = SummaryWriter(log_dir=os.fspath(folder), filename_suffix=".learnet")

    def scalars(self, values, step):
        for tag, value in values.items():
            self._writer.add_scalar(tag, float(value), global_step=int(step))

    def histograms(self, arrays, step):
        for tag, array in arrays.items():
            if np.size(array):
                self._writer.add_histogram(tag, np.asarray(array, dtype=np.float64), global_step=int(step), bins=30)

    def flush(self):
        self._writer.flush()

    def close(self):
        self._writer.close()


class TensorBoard(Callback):
    """Write the training curves to event files that TensorBoard shows (``tensorboard --logdir``).

    As in Keras, ``log_dir/train`` receives the training values (``epoch_loss``,
    ``epoch_accuracy``, ...) and ``log_dir/validation`` the validation values, one point
    per epoch; ``update_freq="batch"`` (or a number of batches) adds ``batch_*`` points,
    ``histogram_freq=n`` the distribution of every weight each ``n`` epochs.

    learnet writes scalars and histograms; it has no TensorFlow graph to draw, so
    ``write_graph``, ``write_images`` and ``profile_batch`` change nothing.

    Parameters
    ----------
    log_dir : str or path-like, default "logs"
    histogram_freq : int, default 0
    write_graph, write_images, write_steps_per_second, profile_batch, embeddings_freq,
    embeddings_metadata : accepted for compatibility
    update_freq : "epoch", "batch" or int, default "epoch"

    Examples
    --------
    >>> tensorboard_cb = TensorBoard("my_logs/run_1")
    >>> model.fit(x, y, epochs=10, validation_split=0.1, callbacks=[tensorboard_cb])  # doctest: +SKIP
    """

    _chief_only = True  # under learnet.distribute, only rank 0 draws or writes

    def __init__(
        self,
        log_dir="logs",
        histogram_freq=0,
        write_graph=True,
        write_images=False,
        write_steps_per_second=False,
        update_freq="epoch",
        profile_batch=0,
        embeddings_freq=0,
        embeddings_metadata=None,
        **kwargs,
    ):
        super().__init__()
        self.log_dir = os.fspath(log_dir)
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, (int, np.integer)) or histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be a non-negative integer, got {histogram_freq!r}")
        self.histogram_freq = int(histogram_freq)
        if update_freq == "batch":
            update_freq = 1
        if update_freq != "epoch" and (
            isinstance(update_freq, bool) or not isinstance(update_freq, (int, np.integer)) or update_freq < 1
        ):
            raise ValueError(
                f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive integer, got {update_freq!r}"
            )
        self.update_freq = update_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self._writers = {}
        self._batches_seen = 0

    def _writer(self, name):
        if name not in self._writers:
            self._writers[name] = _EventFileWriter(os.path.join(self.log_dir, name))
        return self._writers[name]

    def on_train_begin(self, logs=None):
        self._batches_seen = 0

    def on_train_batch_end(self, batch, logs=None):
        self._batches_seen += 1
        if self.update_freq != "epoch" and self._batches_seen % self.update_freq == 0:
            values = {f"batch_{k}": v for k, v in (logs or {}).items() if _is_number(v)}
            if values:
                self._writer("train").scalars(values, self._batches_seen)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        train = {f"epoch_{k}": v for k, v in logs.items() if not k.startswith("val_") and _is_number(v)}
        validation = {f"epoch_{k[4:]}": v for k, v in logs.items() if k.startswith("val_") and _is_number(v)}
        if train:
            self._writer("train").scalars(train, epoch)
        if validation:
            self._writer("validation").scalars(validation, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0 and self.model is not None:
            weights = {variable.path: variable.numpy() for variable in self.model.weights}
            self._writer("train").histograms(weights, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return np.size(value) == 1
