"""``BackupAndRestore``: a training run that is stopped (a crash, a killed job) goes on from its
last backup when the same ``fit`` is run again.

At the end of each epoch (or every ``save_freq`` steps) the callback writes the model's
weights, the optimizer's state and how far training got into ``backup_dir``; the next
``fit`` with the same callback restores them and starts at the epoch after the last one
finished. A run that ends normally deletes its backup (``delete_checkpoint=True``), so the
next run starts afresh. In a multi-process run (``MultiWorkerMirroredStrategy``) only the
first process writes; every process reads the backup.

Examples
--------
>>> import learnet as keras
>>> backup = keras.callbacks.BackupAndRestore(backup_dir="backup")   # doctest: +SKIP
>>> model.fit(x, y, epochs=10, callbacks=[backup])                    # doctest: +SKIP
"""

import json
import os
import shutil

from learnet.callbacks.callback import Callback
from learnet.saving import atomic_write
from learnet.tensor import Variable

_STATE = "state.json"  # names the newest complete backup: written last, in one step


class BackupAndRestore(Callback):
    """Back up a training run, and restore it when ``fit`` runs again after an interruption.

    Parameters
    ----------
    backup_dir : str or path
        The folder for the backup (made when needed). Use one folder per training run.
    save_freq : ``"epoch"`` (default), int or False
        Back up at the end of every epoch, every ``save_freq`` training steps, or never
        (only restore).
    double_checkpoint : bool, default False
        Keep the backup before the newest too, to fall back on if the newest is damaged.
    delete_checkpoint : bool, default True
        Delete the backup when training ends without interruption.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir must be the folder to keep the backup in")
        if save_freq != "epoch" and save_freq is not False:
            if isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq <= 0:
                raise ValueError(
                    f"BackupAndRestore: save_freq must be 'epoch', a positive number of steps or False, got {save_freq!r}"
                )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self._steps_done = 0
        self._epoch = 0
        self._backups = 0

    # --- the backup on disk -----------------------------------------------------------------------
    def _checkpoint(self, epoch_variable, step_variable):
        from learnet.train import Checkpoint

        return Checkpoint(model=self.model, optimizer=self.model.optimizer, epoch=epoch_variable, step=step_variable)

    def _state_path(self):
        return os.path.join(self.backup_dir, _STATE)

    def _is_writer(self):
        strategy = getattr(self.model, "distribute_strategy", None)
        return strategy is None or not strategy.distributed or strategy.rank == 0

    def _write(self, epoch, step):
        """Write a numbered backup, then (in one step) the state naming it: a crash while writing
        leaves the previous backup in charge."""
        if not self._is_writer():
            return
        self._backups += 1
        prefix = os.path.join(self.backup_dir, f"backup-{self._backups}")
        self._checkpoint(Variable(epoch, dtype="int64"), Variable(step, dtype="int64")).write(prefix)
        state = {"latest": os.path.basename(prefix), "epoch": int(epoch), "step": int(step)}
        previous = self._read_state()
        atomic_write(self._state_path(), lambda stream: stream.write(json.dumps(state).encode("utf-8")))
        keep = {state["latest"]} | ({previous["latest"]} if previous and self.double_checkpoint else set())
        for name in os.listdir(self.backup_dir):
            if name.startswith("backup-") and name.split(".")[0] not in keep:
                os.remove(os.path.join(self.backup_dir, name))

    def _read_state(self):
        try:
            with open(self._state_path(), encoding="utf-8") as stream:
                state = json.load(stream)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise ValueError(
                f"BackupAndRestore: the backup state in {self.backup_dir!r} cannot be read: {error}"
            ) from None
        if not isinstance(state, dict) or not isinstance(state.get("latest"), str) or "/" in state["latest"]:
            raise ValueError(f"BackupAndRestore: the backup state in {self.backup_dir!r} is damaged")
        return state

    # --- the callbacks ----------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        self._steps_done = 0
        state = self._read_state()
        if state is None:
            return
        if not self.model.built:
            raise ValueError(
                "BackupAndRestore: the model must be built before fit to restore its backup; "
                "start it with an Input(shape=...) or call model.build(input_shape)"
            )
        epoch, step = Variable(0, dtype="int64"), Variable(0, dtype="int64")
        self.model.optimizer.build(self.model.trainable_weights)
        self._checkpoint(epoch, step).restore(os.path.join(self.backup_dir, state["latest"]))
        self._backups = int(state["latest"].rsplit("-", 1)[-1]) if state["latest"].rsplit("-", 1)[-1].isdigit() else 0
        # A backup made at the end of an epoch goes on with the next one; one made in the middle
        # of an epoch (save_freq steps) starts that epoch again.
        finished = int(step) == 0
        self.model._initial_epoch = int(epoch) + (1 if finished else 0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if isinstance(self.save_freq, int) and not isinstance(self.save_freq, bool):
            self._steps_done += 1
            if self._steps_done % self.save_freq == 0:
                self._write(self._epoch, batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._write(epoch, 0)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and self._is_writer() and os.path.isdir(self.backup_dir):
            shutil.rmtree(self.backup_dir, ignore_errors=True)
