"""``keras.config``: Keras 3's global settings beside TensorFlow's ``tf.config`` (one namespace)."""

import os

import numpy as np
import pytest

import learnet as keras
from learnet.callbacks import progress_bar


@pytest.fixture(autouse=True)
def _restore_settings():
    yield
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)
    keras.config.enable_interactive_logging()
    keras.config.set_floatx("float32")
    keras.config.set_epsilon(1e-7)
    keras.config.set_image_data_format("channels_last")


def test_every_name_of_keras_config_is_there():
    os.environ.setdefault("KERAS_BACKEND", "jax")
    real = pytest.importorskip("keras")
    missing = [name for name in dir(real.config) if not name.startswith("_") and not hasattr(keras.config, name)]
    assert missing == []
    assert keras.config.list_physical_devices("CPU")  # tf.config's names stay


def test_settings_read_and_write():
    assert (keras.config.floatx(), keras.config.epsilon(), keras.config.image_data_format()) == (
        "float32",
        1e-7,
        "channels_last",
    )
    keras.config.set_floatx("float64")
    keras.config.set_epsilon(1e-5)
    assert keras.backend.floatx() == "float64" and keras.config.epsilon() == 1e-5
    assert keras.config.backend() == keras.backend.backend() == "tensorflow"
    assert keras.config.dtype_policy().name == "float64"
    assert keras.config.is_nnx_enabled() is False
    keras.config.disable_traceback_filtering()
    assert keras.config.is_traceback_filtering_enabled() is False
    keras.config.enable_traceback_filtering()
    keras.config.enable_flash_attention()
    assert keras.config.is_flash_attention_enabled() is True
    keras.config.disable_flash_attention()
    keras.config.enable_unsafe_deserialization()


def _model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


class _CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_max_epochs_and_steps_cap_fit_as_keras_does():
    x, y = np.zeros((40, 3), "float32"), np.zeros((40, 1), "float32")
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    counter = _CountBatches()
    with pytest.warns(UserWarning, match="Limiting epochs to 2"):
        history = _model().fit(x, y, epochs=5, batch_size=4, verbose=0, callbacks=[counter])
    assert len(history.history["loss"]) == 2 and counter.batches == 6
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)
    counter = _CountBatches()
    assert len(_model().fit(x, y, epochs=3, batch_size=4, verbose=0, callbacks=[counter]).history["loss"]) == 3
    assert counter.batches == 30


def test_interactive_logging_off_means_plain_lines():
    class Terminal:
        def isatty(self):
            return True

    assert progress_bar._interactive(Terminal())
    keras.config.disable_interactive_logging()
    assert not keras.config.is_interactive_logging_enabled() and not progress_bar._interactive(Terminal())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: keras.config.set_backend("jax"), "no 'jax' backend"),
        (lambda: keras.config.set_max_epochs(0), "positive int or None"),
        (lambda: keras.config.set_max_steps_per_epoch(2.5), "positive int or None"),
        (lambda: keras.config.set_image_data_format("channels_middle"), "channels_last"),
    ],
)
def test_bad_settings_get_a_clear_error_and_change_nothing(call, message):
    with pytest.raises(ValueError, match=message):
        call()
    assert keras.config.max_epochs() is None and keras.config.max_steps_per_epoch() is None
    assert keras.config.image_data_format() == "channels_last"
