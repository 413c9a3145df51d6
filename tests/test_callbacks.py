"""Callbacks: the progress bar, History, EarlyStopping, ModelCheckpoint, the learning-rate
callbacks, TerminateOnNaN, CSVLogger and LambdaCallback, as fit drives them."""

import csv
import io

import numpy as np
import pytest

import learnet
from learnet import callbacks, layers
from learnet.models import Sequential, load_model


def regression_data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    y = x @ np.array([1.0, -2.0, 0.5], dtype="float32") + 0.3
    return x, y


def small_model(learning_rate=0.05, optimizer="sgd"):
    model = Sequential([layers.Dense(1, input_shape=(3,))])
    opt = learnet.optimizers.get(optimizer)
    opt.learning_rate = learning_rate
    model.compile(optimizer=opt, loss="mse", metrics=["mae"])
    return model


# --- the progress bar ------------------------------------------------------------------------


def test_verbose_1_prints_epoch_headers_and_one_final_line_per_epoch(capsys):
    x, y = regression_data()
    small_model().fit(x, y, epochs=2, batch_size=16, verbose=1)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert out[1].startswith("4/4 [==============================] - ")
    assert "step - loss: " in out[1] and " - mae: " in out[1]
    assert len(out) == 4  # nothing but the headers and the final lines: no flood


def test_a_script_that_imported_ipykernel_is_still_not_a_notebook(capsys):
    import ipykernel  # noqa: F401 - imported, as notebook tooling does, but no kernel runs

    x, y = regression_data()
    small_model().fit(x, y, epochs=2, batch_size=16, verbose=1)
    assert len(capsys.readouterr().out.splitlines()) == 4  # no bar redraws in a captured stream


def test_verbose_auto_is_the_bar_and_single_epoch_has_no_header(capsys):
    x, y = regression_data()
    small_model().fit(x, y, epochs=1, batch_size=32)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("2/2 [====")


def test_verbose_2_prints_one_line_per_epoch_with_validation(capsys):
    x, y = regression_data()
    small_model().fit(x, y, epochs=2, batch_size=16, verbose=2, validation_split=0.25)
    out = [line for line in capsys.readouterr().out.splitlines() if not line.startswith("Epoch")]
    assert len(out) == 2
    assert out[0].startswith("3/3 - ") and "val_loss: " in out[0] and "[" not in out[0]


def test_verbose_0_is_silent(capsys):
    x, y = regression_data()
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_show_a_bar_by_default(capsys):
    x, y = regression_data()
    model = small_model()
    model.evaluate(x, y, batch_size=32)
    model.predict(x, batch_size=64)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("2/2 [") and "loss: " in out[0]
    assert out[1].startswith("1/1 [")


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_interactive_bar_redraws_at_most_about_ten_times_a_second():
    stream = _Terminal()
    bar = callbacks.Progbar(2000, verbose=1, interval=0.1, stream=stream)
    for step in range(2000):
        bar.update(step + 1, {"loss": 1.0 / (step + 1)})
    bar.finish({"loss": 0.25})
    text = stream.getvalue()
    redraws = text.count("\r")
    assert redraws < 100  # 2000 steps in well under 10 s: far fewer redraws than steps
    assert text.rstrip().endswith("loss: 0.2500")
    assert "2000/2000 [==============================]" in text


def test_format_logs_uses_keras_number_format():
    assert callbacks.format_logs({"loss": 0.123456, "tiny": 1e-5}) == " - loss: 0.1235 - tiny: 1.0000e-05"


def test_bad_verbose_is_rejected_before_training():
    x, y = regression_data()
    model = small_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose="quiet")
    np.testing.assert_array_equal(before[0], model.get_weights()[0])


def test_verbose_may_be_a_bool_as_keras_reads_it(capsys):
    x, y = regression_data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=False)
    model.evaluate(x, y, verbose=False)
    assert capsys.readouterr().out == ""


# --- History and the hooks ---------------------------------------------------------------------------


def test_history_records_every_epoch_and_is_model_history():
    x, y = regression_data()
    model = small_model()
    history = model.fit(x, y, epochs=3, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2] and model.history is history
    assert history.history["loss"][-1] < history.history["loss"][0]


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append(("train_begin", self.params["epochs"], self.params["steps"]))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append(("epoch_begin", epoch))

    def on_train_batch_end(self, batch, logs=None):
        self.events.append(("batch_end", batch, sorted(logs)))

    def on_test_end(self, logs=None):
        self.events.append(("test_end", sorted(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append(("epoch_end", epoch, sorted(logs)))

    def on_train_end(self, logs=None):
        self.events.append(("train_end",))


def test_hooks_are_called_in_keras_order_with_logs():
    x, y = regression_data(40)
    recorder = Recorder()
    small_model().fit(x, y, epochs=2, batch_size=20, validation_data=(x, y), callbacks=[recorder], verbose=0)
    events = recorder.events
    assert events[0] == ("train_begin", 2, 2)
    assert events[1] == ("epoch_begin", 0)
    assert events[2] == ("batch_end", 0, ["loss", "mae"])
    assert events[4] == ("test_end", ["loss", "mae"])
    assert events[5] == ("epoch_end", 0, ["loss", "mae", "val_loss", "val_mae"])
    assert events[-1] == ("train_end",)
    assert model_set(recorder)


def model_set(callback):
    return isinstance(callback.model, Sequential)


def test_setting_stop_training_in_a_batch_stops_at_once():
    x, y = regression_data()
    steps = []

    def stop(batch, logs):
        steps.append(batch)
        if batch == 1:
            model.stop_training = True

    model = small_model()
    history = model.fit(
        x, y, epochs=5, batch_size=8, verbose=0, callbacks=[callbacks.LambdaCallback(on_train_batch_end=stop)]
    )
    assert steps == [0, 1] and len(history.history["loss"]) == 1


def test_lambda_callback_calls_the_functions_it_was_given():
    x, y = regression_data()
    seen = {"begin": 0, "epochs": [], "end": 0}
    callback = callbacks.LambdaCallback(
        on_train_begin=lambda logs: seen.__setitem__("begin", seen["begin"] + 1),
        on_epoch_end=lambda epoch, logs: seen["epochs"].append((epoch, round(logs["loss"], 6))),
        on_train_end=lambda logs: seen.__setitem__("end", seen["end"] + 1),
    )
    history = small_model().fit(x, y, epochs=2, callbacks=[callback], verbose=0)
    assert seen["begin"] == 1 and seen["end"] == 1
    assert seen["epochs"] == [(0, round(history.history["loss"][0], 6)), (1, round(history.history["loss"][1], 6))]


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(TypeError, match="on_epoch_middle"):
        callbacks.LambdaCallback(on_epoch_middle=print)


def test_callbacks_must_be_callback_objects():
    x, y = regression_data()
    with pytest.raises(TypeError, match="Callback"):
        small_model().fit(x, y, callbacks=[print], verbose=0)


# --- EarlyStopping -----------------------------------------------------------------------------------


def test_early_stopping_stops_when_the_loss_stops_improving():
    x, y = regression_data()
    model = small_model(learning_rate=0.0)  # the loss never changes
    stop = callbacks.EarlyStopping(monitor="loss", patience=2)
    history = model.fit(x, y, epochs=20, callbacks=[stop], verbose=0)
    assert len(history.history["loss"]) == 3
    assert stop.stopped_epoch == 2


def test_early_stopping_restores_the_best_weights():
    x, y = regression_data()
    model = small_model(learning_rate=0.05)
    best = {}

    class Diverge(callbacks.Callback):
        # From epoch 3 on, make things worse: the learning rate explodes.
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 3:
                self.model.optimizer.learning_rate = 5.0

        def on_epoch_end(self, epoch, logs=None):
            if not best or logs["val_loss"] < best["val_loss"]:
                best.update(val_loss=logs["val_loss"], weights=self.model.get_weights())

    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    history = model.fit(x, y, epochs=30, validation_data=(x, y), callbacks=[Diverge(), stop], verbose=0)
    assert len(history.history["loss"]) < 30
    for restored, expected in zip(model.get_weights(), best["weights"]):
        np.testing.assert_array_equal(restored, expected)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(best["val_loss"], rel=1e-5)


def test_early_stopping_mode_auto_maximizes_accuracy_and_warns_on_missing_monitor():
    stop = callbacks.EarlyStopping(monitor="val_accuracy")
    stop.set_model(small_model())
    stop.on_train_begin()
    stop.on_epoch_end(0, {"val_accuracy": 0.5})
    stop.on_epoch_end(1, {"val_accuracy": 0.6})
    assert stop.best == 0.6 and stop.wait == 0
    with pytest.warns(UserWarning, match="not available"):
        stop.on_epoch_end(2, {"loss": 1.0})


# --- ModelCheckpoint ----------------------------------------------------------------------------------


def test_model_checkpoint_formats_names_and_saves_every_epoch(tmp_path):
    x, y = regression_data()
    pattern = str(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.learnet")
    small_model().fit(x, y, epochs=2, callbacks=[callbacks.ModelCheckpoint(pattern, monitor="loss")], verbose=0)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and names[0].startswith("ckpt-01-") and names[1].startswith("ckpt-02-")
    assert not any(name.endswith(".tmp") for name in names)


def test_model_checkpoint_save_best_only_keeps_the_best_model(tmp_path):
    x, y = regression_data()
    path = tmp_path / "best.learnet"
    model = small_model(learning_rate=0.05)
    saved = []

    class Watch(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if path.exists():
                saved.append(path.stat().st_mtime_ns)

    class Diverge(callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            if epoch == 2:
                self.model.optimizer.learning_rate = 10.0

    checkpoint = callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True)
    history = model.fit(x, y, epochs=5, validation_data=(x, y), verbose=0, callbacks=[Diverge(), checkpoint, Watch()])
    best = min(history.history["val_loss"])
    assert checkpoint.best == pytest.approx(best)
    restored = load_model(path)
    assert restored.evaluate(x, y, verbose=0)[0] == pytest.approx(best, rel=1e-5)


def test_model_checkpoint_weights_only_every_n_batches(tmp_path):
    x, y = regression_data()
    pattern = str(tmp_path / "w-{epoch}-{batch}.weights.npz")
    checkpoint = callbacks.ModelCheckpoint(pattern, save_weights_only=True, save_freq=2)
    model = small_model()
    model.fit(x, y, epochs=1, batch_size=16, callbacks=[checkpoint], verbose=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-1-2.weights.npz", "w-1-4.weights.npz"]
    other = small_model()
    other.load_weights(tmp_path / "w-1-4.weights.npz")
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


def test_model_checkpoint_names_a_missing_log_key(tmp_path):
    x, y = regression_data()
    checkpoint = callbacks.ModelCheckpoint(str(tmp_path / "{val_accuracy:.2f}.learnet"))
    with pytest.raises(KeyError, match="val_accuracy"):
        small_model().fit(x, y, callbacks=[checkpoint], verbose=0)


@pytest.mark.parametrize(
    "name, weights_only, message",
    [
        ("ckpt-{epoch:02d}.weights.npz", False, "'ckpt-.weights.npz' names a weights file"),
        ("ckpt-{epoch:02d}.learnet", True, "'ckpt-.learnet' names a whole-model file"),
        ("ckpt.pt", False, "cannot tell the file format from the name 'ckpt.pt'"),
        ("ckpt.h5", True, r"must end in \.weights\.h5"),
    ],
)
def test_model_checkpoint_refuses_a_name_before_training(tmp_path, name, weights_only, message):
    with pytest.raises(ValueError, match=f"^ModelCheckpoint: .*{message}"):
        callbacks.ModelCheckpoint(str(tmp_path / name), save_weights_only=weights_only)


def test_model_checkpoint_writes_keras_weights_h5(tmp_path):
    pytest.importorskip("h5py")
    x, y = regression_data()
    model = small_model()
    model.fit(
        x,
        y,
        epochs=2,
        verbose=0,
        callbacks=[callbacks.ModelCheckpoint(str(tmp_path / "w-{epoch}.weights.h5"), save_weights_only=True)],
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w-1.weights.h5", "w-2.weights.h5"]
    other = small_model()
    other.load_weights(tmp_path / "w-2.weights.h5")
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


# --- learning rates -------------------------------------------------------------------------------


def test_learning_rate_scheduler_sets_the_rate_each_epoch():
    x, y = regression_data()
    model = small_model(learning_rate=0.1)
    seen = []
    recorder = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(float(model.optimizer.learning_rate))
    )
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    history = model.fit(x, y, epochs=3, callbacks=[scheduler, recorder], verbose=0)
    assert seen == pytest.approx([0.05, 0.025, 0.0125])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])


def test_learning_rate_scheduler_accepts_a_function_of_the_epoch_alone():
    x, y = regression_data()
    model = small_model()
    model.fit(x, y, epochs=2, callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))], verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.02)


def test_reduce_lr_on_plateau_lowers_the_rate_when_stuck():
    x, y = regression_data()
    model = small_model(learning_rate=1e-9)  # so small that the loss is stuck
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_lr=2.5e-10)
    history = model.fit(x, y, epochs=5, callbacks=[reduce], verbose=0)
    # Each epoch logs the rate it trained with; the reduction applies from the next one.
    assert history.history["learning_rate"] == pytest.approx([1e-9, 1e-9, 5e-10, 2.5e-10, 2.5e-10], rel=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(2.5e-10, rel=1e-6)


def test_reduce_lr_on_plateau_waits_while_the_loss_improves():
    x, y = regression_data()
    model = small_model(learning_rate=0.05)
    reduce = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1)
    model.fit(x, y, epochs=4, callbacks=[reduce], verbose=0)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


def test_reduce_lr_on_plateau_rejects_a_factor_of_one():
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.0)


# --- TerminateOnNaN and CSVLogger ----------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_a_diverging_run(capsys):
    x, y = regression_data(256)
    model = small_model(learning_rate=1e3)
    history = model.fit(x, y * 1e3, epochs=50, batch_size=8, callbacks=[callbacks.TerminateOnNaN()], verbose=0)
    out = capsys.readouterr().out
    assert "Invalid loss, terminating training" in out
    assert len(history.history["loss"]) == 1
    assert not np.isfinite(history.history["loss"][-1])


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = regression_data()
    path = tmp_path / "log.csv"
    history = small_model().fit(x, y, epochs=3, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)], verbose=0)
    rows = list(csv.DictReader(path.open()))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert float(rows[2]["val_loss"]) == pytest.approx(history.history["val_loss"][2])


def test_csv_logger_appends_without_a_second_header(tmp_path):
    x, y = regression_data()
    path = tmp_path / "log.csv"
    model = small_model()
    model.fit(x, y, epochs=1, callbacks=[callbacks.CSVLogger(path, separator=";")], verbose=0)
    model.fit(
        x, y, epochs=2, initial_epoch=1, callbacks=[callbacks.CSVLogger(path, separator=";", append=True)], verbose=0
    )
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch;loss;mae" and len(lines) == 3 and lines[2].startswith("1;")


# --- the package: one file per kind of callback, every name at learnet.callbacks ---------------------


def test_every_public_name_of_the_callback_files_is_at_learnet_callbacks():
    import importlib
    import inspect
    import pkgutil

    import learnet as keras

    defined = {}
    for info in pkgutil.iter_modules(callbacks.__path__):
        module = importlib.import_module(f"learnet.callbacks.{info.name}")
        for name, value in vars(module).items():
            if (
                not name.startswith("_")
                and (inspect.isclass(value) or inspect.isfunction(value))
                and value.__module__ == module.__name__
            ):
                defined[name] = value
    assert {"Callback", "CallbackList", "Progbar", "ProgbarLogger", "TensorBoard", "History"} <= set(defined)
    for name, value in defined.items():
        assert getattr(callbacks, name) is value and getattr(keras.callbacks, name) is value
        if inspect.isclass(value) and issubclass(value, callbacks.Callback):
            assert name in callbacks.__all__
    assert all(getattr(callbacks, name) for name in callbacks.__all__)


def test_only_the_callbacks_that_draw_or_write_run_on_the_chief_alone():
    chief_only = {name for name in callbacks.__all__ if getattr(getattr(callbacks, name), "_chief_only", False)}
    assert chief_only == {"ProgbarLogger", "CSVLogger", "TensorBoard"}


def _backup_run(tmp_path, crash_at=None, **options):
    """A small regression fitted for 6 epochs with BackupAndRestore; `crash_at` kills the run there."""
    learnet.utils.set_random_seed(0)
    model = learnet.Sequential(
        [learnet.Input((4,)), learnet.layers.Dense(8, activation="relu"), learnet.layers.Dense(1)]
    )
    model.compile("adam", "mse")

    class Crash(learnet.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == crash_at:
                raise RuntimeError("the job was killed")

    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    backup = learnet.callbacks.BackupAndRestore(tmp_path / "backup", **options)
    history = model.fit(
        x, x.sum(1, keepdims=True), epochs=6, batch_size=16, shuffle=False, verbose=0, callbacks=[backup, Crash()]
    )
    return model, history, x


def test_backup_and_restore_goes_on_where_a_killed_run_stopped(tmp_path):
    # TensorFlow's multi-worker tutorial: the same fit, run again after a crash, resumes.
    reference, _, x = _backup_run(tmp_path / "reference")
    with pytest.raises(RuntimeError, match="killed"):
        _backup_run(tmp_path, crash_at=2)
    assert (tmp_path / "backup" / "state.json").exists()
    resumed, history, _ = _backup_run(tmp_path)
    assert history.epoch == [3, 4, 5]  # epochs 0-2 were backed up; the optimizer's state too
    np.testing.assert_allclose(resumed.predict(x, verbose=0), reference.predict(x, verbose=0), rtol=1e-6)
    assert not (tmp_path / "backup").exists()  # a run that ends deletes its backup


def test_backup_and_restore_options(tmp_path):
    _backup_run(tmp_path / "kept", delete_checkpoint=False, double_checkpoint=True)
    names = sorted(p.name for p in (tmp_path / "kept" / "backup").iterdir())
    assert names.count("state.json") == 1 and len([n for n in names if n.endswith(".index")]) == 2
    with pytest.raises(RuntimeError, match="killed"):
        _backup_run(tmp_path / "steps", crash_at=1, save_freq=3)
    _, history, _ = _backup_run(tmp_path / "steps", save_freq=3)
    assert history.epoch[0] == 1  # backed up in the middle of epoch 1: that epoch starts again
    for bad in (0, -2, "batch", True):
        with pytest.raises(ValueError, match="save_freq"):
            learnet.callbacks.BackupAndRestore(tmp_path, save_freq=bad)
    with pytest.raises(ValueError, match="backup_dir"):
        learnet.callbacks.BackupAndRestore("")


def test_predict_tells_callbacks_where_each_batch_begins_and_ends():
    events = []

    class Recorder(callbacks.Callback):
        def on_predict_batch_begin(self, batch, logs=None):
            events.append(("begin", batch))

        def on_predict_batch_end(self, batch, logs=None):
            events.append(("end", batch))

    model = learnet.Sequential([learnet.Input((8,)), learnet.layers.Dense(3)])
    model.predict(np.zeros((64, 8), "float32"), batch_size=32, verbose=0, callbacks=[Recorder()])
    assert events == [("begin", 0), ("end", 0), ("begin", 1), ("end", 1)]  # as Keras 3


def test_fit_on_a_dataset_ignores_batch_size_as_keras_does():
    x = np.random.default_rng(0).random((64, 8)).astype("float32")
    y = np.random.default_rng(1).integers(0, 3, 64)
    model = learnet.Sequential([learnet.Input((8,)), learnet.layers.Dense(3, activation="softmax")])
    model.compile("rmsprop", "sparse_categorical_crossentropy")
    dataset = learnet.data.Dataset.from_tensor_slices((x, y)).batch(16)
    history = model.fit(dataset, batch_size=64, epochs=1, verbose=0, validation_data=dataset)
    assert len(history.history["loss"]) == 1 and "val_loss" in history.history
