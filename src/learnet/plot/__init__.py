"""Pictures of learning: training curves, images and guesses, weights, gradient descent.

Every function draws one Matplotlib figure and returns it, so a notebook shows it and
a script can keep working on it; ``save_path="file.png"`` also writes it to a file.
Matplotlib is an optional extra: ``pip install "learnet[plot]"``.

Where the parts live:

==================  ==============================================================
``history``         ``plot_history``: the loss and metrics per epoch
``live``            ``PlotLosses``: the same curves redrawn during ``fit``
``images``          ``show_images``, ``confusion_matrix``, ``plot_confusion_matrix``
``network``         ``show_weights``, ``show_feature_maps``: inside the network
``activations``     ``plot_activations``: activation functions and their derivatives
``descent``         ``plot_descent_1d``, ``plot_descent_2d``, ``plot_learning_rates``
``tape``            ``plot_tape``, ``animate_backprop``, ``trace_tape``, ``trace_train_step``
``model``           ``plot_model`` (also ``learnet.utils.plot_model``, as in Keras)
``_helpers``        what they share: pyplot on demand, saving, arrays, image grids
==================  ==============================================================

Examples
--------
>>> import learnet as tf
>>> from learnet import plot
>>> history = {"loss": [0.9, 0.5, 0.3], "val_loss": [1.0, 0.6, 0.45]}
>>> fig = plot.plot_history(history)            # doctest: +SKIP
>>> fig = plot.plot_descent_1d(lambda x: x ** 2, start=3.0, learning_rate=0.2, steps=8)  # doctest: +SKIP
"""

from learnet.plot.activations import plot_activations
from learnet.plot.descent import plot_descent_1d, plot_descent_2d, plot_learning_rates
from learnet.plot.history import plot_history
from learnet.plot.images import confusion_matrix, plot_confusion_matrix, show_images
from learnet.plot.live import PlotLosses
from learnet.plot.model import plot_model
from learnet.plot.network import show_feature_maps, show_weights
from learnet.plot.tape import animate_backprop, plot_tape, trace_tape, trace_train_step

__all__ = [
    "plot_history",
    "show_images",
    "plot_confusion_matrix",
    "confusion_matrix",
    "show_weights",
    "show_feature_maps",
    "plot_activations",
    "plot_descent_1d",
    "plot_descent_2d",
    "plot_learning_rates",
    "PlotLosses",
    "plot_tape",
    "animate_backprop",
    "trace_tape",
    "trace_train_step",
    "plot_model",
]
