"""Callbacks that write files as training goes: ``ModelCheckpoint`` and ``CSVLogger``."""

import csv
import os
import re

import numpy as np

from learnet.callbacks.callback import Callback
from learnet.callbacks.training_control import _check_mode
from learnet.warn import warn


class ModelCheckpoint(Callback):
    """Save the model (or only its weights) during training.

    The file is written to a temporary file beside it and renamed, so an interrupted
    run always leaves the last complete checkpoint.

    Parameters
    ----------
    filepath : str or path-like
        Where to save; may hold ``{epoch:02d}`` and any log key, e.g.
        ``"ckpt-{epoch:02d}-{val_loss:.2f}.learnet"``.
    monitor : str, default "val_loss"
    verbose : int, default 0
    save_best_only : bool, default False
        Save only when ``monitor`` improves on the best value so far.
    save_weights_only : bool, default False
        ``model.save_weights`` instead of ``model.save``.
    mode : {"auto", "min", "max"}, default "auto"
    save_freq : "epoch" or int, default "epoch"
        Save after every epoch, or after every ``save_freq`` training batches.
    initial_value_threshold : float, optional
        With ``save_best_only``, the value the first save must beat.

    Examples
    --------
    >>> checkpoint = ModelCheckpoint("best.learnet", save_best_only=True)
    >>> model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])  # doctest: +SKIP
    """

    def __init__(
        self,
        filepath,
        monitor="val_loss",
        verbose=0,
        save_best_only=False,
        save_weights_only=False,
        mode="auto",
        save_freq="epoch",
        initial_value_threshold=None,
    ):
        super().__init__()
        self.filepath = os.fspath(filepath)
        # A name that does not say what is saved is refused here, before training, rather
        # than after the first epoch's work (the {epoch}-style fields are left out of the check).
        from learnet import saving

        saving._check_save_name(re.sub(r"\{[^}]*\}", "", self.filepath), "ModelCheckpoint", weights=save_weights_only)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        mode = _check_mode(mode, "ModelCheckpoint")
        if mode == "max" or (mode == "auto" and ("acc" in monitor or monitor.startswith("fmeasure"))):
            self._maximize = True
        else:
            self._maximize = False
        self.mode = mode
        if initial_value_threshold is not None:
            self.best = float(initial_value_threshold)
        else:
            self.best = -np.inf if self._maximize else np.inf
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer)) or save_freq < 1
        ):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive integer, got {save_freq!r}")
        self.save_freq = save_freq
        self._current_epoch = 0
        self._batches_seen = 0

    def _improved(self, current):
        return current > self.best if self._maximize else current < self.best

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_seen += 1
        if self._batches_seen % self.save_freq == 0:
            self._save_model(self._current_epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs or {})

    def _get_file_path(self, epoch, batch, logs):
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None and "batch" not in logs:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except KeyError as error:
            raise KeyError(
                f"ModelCheckpoint: the filepath {self.filepath!r} asks for {error}, which is not "
                f"in the logs (available: epoch{', batch' if batch is not None else ''}, {', '.join(logs)})"
            ) from None

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warn(f"Can save best model only with {self.monitor} available, skipping.")
                return
            current = float(current)
            if not self._improved(current):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {filepath}")
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file.

    Parameters
    ----------
    filename : str or path-like
    separator : str, default ","
    append : bool, default False
        Add to an existing file instead of overwriting it (for resumed training).

    Examples
    --------
    >>> logger = CSVLogger("training.csv")
    >>> model.fit(x, y, epochs=3, callbacks=[logger])  # doctest: +SKIP
    >>> print(open("training.csv").read())              # doctest: +SKIP
    epoch,loss
    0,0.52...
    """

    _chief_only = True  # under learnet.distribute, only rank 0 draws or writes

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as existing:
                    self.append_header = not bool(existing.readline())
            mode = "a"
        else:
            mode = "w"
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")  # noqa: SIM115 - open for the whole run
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            # With validation_freq > 1 the first epoch has no validation values yet;
            # their columns are added now and hold "NA" where validation did not run.
            if self.params.get("do_validation") and not any(k.startswith("val_") for k in self.keys):
                self.keys += [f"val_{k}" for k in self.keys if k != "learning_rate"]
        if self.csv_file is None:
            self.on_train_begin()
        if self.writer is None:
            self.writer = csv.DictWriter(
                self.csv_file,
                fieldnames=["epoch"] + self.keys,
                delimiter=self.sep,
                extrasaction="ignore",
            )
            if self.append_header:
                self.writer.writeheader()

        def text(value):
            if isinstance(value, (str, bytes)):
                return value
            if isinstance(value, (list, tuple, np.ndarray)):
                return f"[{', '.join(map(str, np.ravel(value)))}]"
            return value

        row = {"epoch": epoch}
        row.update((key, text(logs[key]) if key in logs else "NA") for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file = None
        self.writer = None
