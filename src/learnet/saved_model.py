"""``tf.saved_model.save`` / ``load`` for learnet models.

The directory written here is **learnet's**, not TensorFlow's SavedModel: it holds one
learnet model file (``model.learnet``: architecture as JSON, weights, optimizer state)
and a small ``saved_model.json`` that says so. TensorFlow Serving and ``tf.saved_model``
of real TensorFlow cannot read it, and learnet cannot read TensorFlow's. Loading never
runs code from the directory.

Examples
--------
>>> import learnet as tf                                     # doctest: +SKIP
>>> tf.saved_model.save(model, "exported")                   # doctest: +SKIP
>>> restored = tf.saved_model.load("exported")               # doctest: +SKIP
>>> restored(x)  # or restored.predict(x), restored.signatures["serving_default"](x)  # doctest: +SKIP
"""

import json
import os

__all__ = ["contains_saved_model", "load", "save", "SaveOptions", "LoadOptions"]

MODEL_FILE = "model.learnet"
MARKER_FILE = "saved_model.json"


class SaveOptions:
    """Accepted for TensorFlow compatibility; no option changes what learnet writes."""

    def __init__(self, **options):
        self.options = options


LoadOptions = SaveOptions


def save(obj, export_dir, signatures=None, options=None):
    """Save a learnet ``Model`` (Sequential, functional or subclassed) into ``export_dir``.

    Raises ``TypeError`` for anything else (a ``tf.Module`` holds Python code that
    learnet cannot store without pickling it).
    """
    from learnet.models import Model
    from learnet.saving import save_model

    if not isinstance(obj, Model):
        raise TypeError(
            f"tf.saved_model.save in learnet saves Keras models only, got {type(obj).__name__}; "
            "for a tf.Module, save its variables' values with numpy.savez"
        )
    export_dir = os.fspath(export_dir)
    if os.path.isfile(export_dir):
        raise FileExistsError(f"saved_model.save: {export_dir!r} is a file; give a directory")
    os.makedirs(export_dir, exist_ok=True)
    save_model(obj, os.path.join(export_dir, MODEL_FILE))
    with open(os.path.join(export_dir, MARKER_FILE), "w", encoding="utf-8") as stream:
        json.dump(
            {
                "format": "learnet saved_model",
                "model": MODEL_FILE,
                "note": "a learnet model directory; not a TensorFlow SavedModel",
            },
            stream,
            indent=1,
        )


def contains_saved_model(export_dir):
    """Whether ``export_dir`` holds a model saved by ``save``."""
    export_dir = os.fspath(export_dir)
    return os.path.isfile(os.path.join(export_dir, MARKER_FILE)) and os.path.isfile(
        os.path.join(export_dir, MODEL_FILE)
    )


def load(export_dir, tags=None, options=None, custom_objects=None):
    """Load the model saved in ``export_dir``; it is called like the original.

    The model also has ``signatures["serving_default"]``, a function of the inputs that
    returns ``{"output_0": predictions}`` as TensorFlow's loaded signatures do.
    """
    from learnet.saving import load_model

    export_dir = os.fspath(export_dir)
    if not contains_saved_model(export_dir):
        raise OSError(
            f"saved_model.load: {export_dir!r} is not a directory written by learnet's tf.saved_model.save "
            f"(it needs {MARKER_FILE} and {MODEL_FILE}); TensorFlow SavedModels cannot be read by learnet"
        )
    model = load_model(os.path.join(export_dir, MODEL_FILE), custom_objects=custom_objects)
    model.signatures = {"serving_default": lambda *args, **kwargs: {"output_0": model(*args, **kwargs)}}
    return model
