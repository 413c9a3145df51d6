"""Callbacks: code that ``fit``, ``evaluate`` and ``predict`` call at fixed moments.

A callback watches training (a progress bar, a CSV log), changes it (a new learning
rate, stopping early) or stores it (checkpoints). The names, arguments and defaults
are those of ``keras.callbacks``.

Where the parts are:

* ``callback``: the base class ``Callback`` and its hooks;
* ``callback_list``: ``CallbackList``, the callbacks of a run called as one;
* ``history``: ``History`` (what ``fit`` returns) and ``HistoryDict``;
* ``progress_bar``: ``Progbar`` (Keras' bar, drawn with tqdm) and ``ProgbarLogger``;
* ``training_control``: ``EarlyStopping``, ``ReduceLROnPlateau``,
  ``LearningRateScheduler``, ``TerminateOnNaN``;
* ``file_writers``: ``ModelCheckpoint``, ``CSVLogger``;
* ``tensorboard``: ``TensorBoard`` and its event-file writer;
* ``lambda_callback``: ``LambdaCallback``;
* ``backup_and_restore``: ``BackupAndRestore`` (a killed run resumed from its backup);
* ``swap_ema_weights``: ``SwapEMAWeights`` (evaluate with the optimizer's moving averages).

Examples
--------
>>> import learnet as keras
>>> stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
...                                      restore_best_weights=True)
>>> model.fit(x, y, validation_split=0.2, epochs=100, callbacks=[stop])  # doctest: +SKIP
"""

from learnet.callbacks.backup_and_restore import BackupAndRestore
from learnet.callbacks.callback import Callback
from learnet.callbacks.callback_list import CallbackList
from learnet.callbacks.file_writers import CSVLogger, ModelCheckpoint
from learnet.callbacks.history import History, HistoryDict
from learnet.callbacks.lambda_callback import LambdaCallback
from learnet.callbacks.progress_bar import Progbar, ProgbarLogger, _resolve_verbose, format_logs
from learnet.callbacks.swap_ema_weights import SwapEMAWeights
from learnet.callbacks.tensorboard import TensorBoard
from learnet.callbacks.training_control import (
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)

__all__ = [
    "BackupAndRestore",
    "Callback",
    "CallbackList",
    "History",
    "HistoryDict",
    "ProgbarLogger",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "CSVLogger",
    "LambdaCallback",
    "TensorBoard",
    "SwapEMAWeights",
]
