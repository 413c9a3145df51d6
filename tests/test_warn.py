"""The one warnings helper: a warning points at the user's line, however deep in learnet it starts."""

import warnings

import numpy as np
import pytest

import learnet as tf
from learnet import layers
from learnet.warn import LearnetDeprecationWarning, deprecated, warn


def test_a_warning_from_deep_inside_fit_points_at_the_users_line():
    model = tf.Sequential([layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    stop = tf.keras.callbacks.EarlyStopping(monitor="val_nothing", mode="min")
    with pytest.warns(UserWarning, match="val_nothing") as record:
        model.fit(np.zeros((4, 2)), np.zeros(4), epochs=1, verbose=0, callbacks=[stop])
    assert record[0].filename == __file__


def test_warn_and_deprecated_called_from_outside_learnet():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warn("plain")
        deprecated("old")
    assert [w.category for w in caught] == [UserWarning, LearnetDeprecationWarning]
    assert issubclass(LearnetDeprecationWarning, DeprecationWarning)
    assert tf.optimizers.LearnetDeprecationWarning is LearnetDeprecationWarning
