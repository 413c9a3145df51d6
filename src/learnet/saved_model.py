"""``tf.saved_model.save`` / ``load`` for learnet models and ``tf.Module``s.

The directory written here is **learnet's**, not TensorFlow's SavedModel; TensorFlow
Serving and real TensorFlow cannot read it, and learnet cannot read TensorFlow's. Loading
never runs code from the directory. ``saved_model.json`` says what it holds:

* a Keras model: one learnet model file (``model.learnet``: architecture as JSON, weights,
  optimizer state). It loads back as the model, with ``signatures["serving_default"]``.
  A model whose config is not plain data (a subclass taking another model in ``__init__``,
  as the text-generation tutorial's ``OneStep``), or that holds variables set on itself rather
  than on its layers, is saved as any other object, below. The ``signatures=`` given to
  ``save`` are traced as graphs of learnet ops (as below) that read the loaded model's weights;
  without them, ``serving_default`` calls the model, its inputs named ``inputs``,
  ``inputs_1``... as TensorFlow names a Keras model's.
* any other object, typically a ``tf.Module``: its tree of attributes (submodules, lists,
  dicts), its variables (``variables.npz``) and its ``tf.function``s, each stored as the
  graph of learnet ops it runs (:mod:`learnet.saved_function`), once per input signature:
  the ``input_signature`` when it has one, else the signatures of the calls made before
  saving. It loads back as an object with the same attributes, whose functions run those
  ops on the restored variables (gradients flow through them), and whose
  ``signatures`` hold the ``signatures=`` given to ``save`` (by default the object's one
  ``tf.function`` with an input_signature, if there is exactly one).

Examples
--------
>>> import learnet as tf                                     # doctest: +SKIP
>>> tf.saved_model.save(model, "exported")                   # doctest: +SKIP
>>> restored = tf.saved_model.load("exported")               # doctest: +SKIP
>>> restored(x)  # or restored.predict(x), restored.signatures["serving_default"](x)  # doctest: +SKIP
"""

import json
import os
import sys

__all__ = [
    "contains_saved_model",
    "load",
    "save",
    "SaveOptions",
    "LoadOptions",
    "DEFAULT_SERVING_SIGNATURE_DEF_KEY",
    "SERVING",
    "TRAINING",
]

# TensorFlow's names for a signature, the tags and the serving methods.
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"
SERVING = "serve"
TRAINING = "train"
GPU = "gpu"
TPU = "tpu"
PREDICT_INPUTS = "inputs"
PREDICT_OUTPUTS = "outputs"
PREDICT_METHOD_NAME = "tensorflow/serving/predict"
CLASSIFY_INPUTS = "inputs"
CLASSIFY_OUTPUT_CLASSES = "classes"
CLASSIFY_OUTPUT_SCORES = "scores"
CLASSIFY_METHOD_NAME = "tensorflow/serving/classify"
REGRESS_INPUTS = "inputs"
REGRESS_OUTPUTS = "outputs"
REGRESS_METHOD_NAME = "tensorflow/serving/regress"

MODEL_FILE = "model.learnet"
MARKER_FILE = "saved_model.json"
VARIABLES_FILE = "variables.npz"
CONSTANTS_FILE = "constants.npz"
SIGNATURES_FILE = "signatures.npz"


class SaveOptions:
    """Options of ``save``, TensorFlow's names accepted.

    ``experimental_custom_gradients`` (default True, as in TensorFlow): store the gradient
    functions of the ``tf.custom_gradient``s a saved function calls, so gradients through the
    loaded function are the custom ones. With False only their forward ops are stored, and
    asking for a gradient through them raises ``LookupError``. The other options change
    nothing in what learnet writes.

    Examples
    --------
    >>> import learnet as tf
    >>> tf.saved_model.SaveOptions(experimental_custom_gradients=False).experimental_custom_gradients
    False
    """

    def __init__(self, **options):
        self.options = options
        self.experimental_custom_gradients = bool(options.get("experimental_custom_gradients", True))


class LoadOptions:
    """Accepted for TensorFlow compatibility; no option changes how learnet loads."""

    def __init__(self, **options):
        self.options = options


def save(obj, export_dir, signatures=None, options=None, *, _endpoints=()):
    """Save a learnet ``Model`` (Sequential, functional or subclassed), or a ``tf.Module`` (or
    another object holding variables and ``tf.function``s), into the directory ``export_dir``.

    Parameters
    ----------
    obj : Model or tf.Module
        What is saved.
    export_dir : str or path
        The directory written.
    signatures : optional
        A ``tf.function`` with an ``input_signature``, a concrete function
        (``f.get_concrete_function(tf.TensorSpec(...))``), or a dict of them by name; one function
        is ``"serving_default"``. They come back in ``load(...).signatures``, called by their
        inputs' names and returning dicts. Without it, a model's ``serving_default`` calls the
        model, and a module's is its one ``tf.function`` with an input_signature, if it has one.
    options : SaveOptions, optional

    Raises
    ------
    ValueError
        A signature that is not a ``tf.function`` with an input_signature nor a concrete function,
        or whose outputs are not a tensor, a list of tensors or a dict of them (TensorFlow's
        errors); a function that learnet cannot store as a graph of ops
        (``saved_function.GraphError`` says which op and why), or an object with nothing to save.
        Nothing is written then.

    Examples
    --------
    >>> import learnet as tf, tempfile, os
    >>> model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    >>> folder = os.path.join(tempfile.mkdtemp(), "model")
    >>> tf.saved_model.save(model, folder)
    >>> serve = tf.saved_model.load(folder).signatures["serving_default"]
    >>> serve.structured_input_signature
    ((), {'inputs': TensorSpec(shape=(None, 4), dtype=tf.float32, name='inputs')})
    >>> serve(inputs=tf.ones((2, 4)))["output_0"].shape
    TensorShape([2, 3])
    """
    from learnet.saving import save_model

    export_dir = os.fspath(export_dir)
    if os.path.isfile(export_dir):
        raise FileExistsError(f"saved_model.save: {export_dir!r} is a file; give a directory")
    # A Keras model, found without importing the models floor (saving reaches this module,
    # and the models import saving): if learnet.models.model is not loaded, obj is no model.
    models = sys.modules.get("learnet.models.model")
    if models is None or not isinstance(obj, models.Model) or not _config_is_plain(obj) or _has_own_variables(obj):
        from learnet import saved_objects

        custom_gradients = getattr(options, "experimental_custom_gradients", True)
        # everything is traced before anything is written
        saved = saved_objects.describe(obj, signatures, custom_gradients=custom_gradients)
        os.makedirs(export_dir, exist_ok=True)
        saved_objects.write(saved, export_dir, MARKER_FILE, VARIABLES_FILE, CONSTANTS_FILE)
        return
    described = None
    if signatures is not None:  # traced and checked before anything is written
        from learnet import saved_objects

        custom_gradients = getattr(options, "experimental_custom_gradients", True)
        described = saved_objects.describe_signatures(obj, signatures, custom_gradients=custom_gradients)
    os.makedirs(export_dir, exist_ok=True)
    save_model(obj, os.path.join(export_dir, MODEL_FILE))
    marker = {
        "format": "learnet saved_model",
        "model": MODEL_FILE,
        "note": "a learnet model directory; not a TensorFlow SavedModel",
    }
    if _endpoints:  # model.export: the loaded model has these as methods (``serve``)
        marker["endpoints"] = list(_endpoints)
    if described is not None:
        marker["signatures_of_model"] = saved_objects.write_signatures(described, export_dir, SIGNATURES_FILE)
    with open(os.path.join(export_dir, MARKER_FILE), "w", encoding="utf-8") as stream:
        json.dump(marker, stream, indent=1)


def _config_is_plain(model):
    """Whether the model's architecture becomes plain data (its ``get_config``).

    A model whose config holds other objects (a ``keras.Model`` subclass taking a model and
    lookup layers in ``__init__``, as TensorFlow's text-generation ``OneStep``) is saved as
    TensorFlow saves every object: its variables and traced ``tf.function``s."""
    from learnet.saving import serialize_model

    try:
        serialize_model(model)
    except (ValueError, TypeError, NotImplementedError):
        return False
    return True


def _has_own_variables(model):
    """Whether variables were set on a Sequential or functional model itself
    (``model.offset = tf.Variable(...)``): its config does not make them again, so such a model
    is saved as any other object. (A subclass's ``__init__`` makes its own again.)"""
    if not type(model).__module__.startswith("learnet."):
        return False
    made = {id(v) for v in model._trainable_variables + model._non_trainable_variables}
    return any(id(v) not in made for v in model._attribute_variables())


def contains_saved_model(export_dir):
    """Whether ``export_dir`` holds a model saved by ``save``."""
    export_dir = os.fspath(export_dir)
    if not os.path.isfile(os.path.join(export_dir, MARKER_FILE)):
        return False
    return os.path.isfile(os.path.join(export_dir, MODEL_FILE)) or os.path.isfile(
        os.path.join(export_dir, VARIABLES_FILE)
    )


def load(export_dir, tags=None, options=None, custom_objects=None):
    """Load what ``save`` wrote in ``export_dir``; it is called like the original.

    A model also has ``signatures``: the ``signatures=`` given to ``save``, else
    ``"serving_default"``, which calls the model. Each is called as TensorFlow's loaded
    signatures are: inputs by name (one input also by position), a dict of outputs
    (``{"output_0": predictions}`` for a model), with ``structured_input_signature`` and
    ``structured_outputs`` (see ``saved_objects.SignatureFunction``). Another object comes
    back with its attributes, variables, ``tf.function``s and ``signatures``.
    """
    from learnet.saving import load_model

    export_dir = os.fspath(export_dir)
    if not contains_saved_model(export_dir):
        raise OSError(
            f"saved_model.load: {export_dir!r} is not a directory written by learnet's tf.saved_model.save "
            f"(it needs {MARKER_FILE}, and {MODEL_FILE} or {VARIABLES_FILE}); TensorFlow SavedModels cannot be read "
            "by learnet"
        )
    if not os.path.isfile(os.path.join(export_dir, MODEL_FILE)):
        from learnet import saved_objects

        return saved_objects.read(export_dir, MARKER_FILE, VARIABLES_FILE, CONSTANTS_FILE)
    from learnet import saved_objects

    model = _load_model_file(load_model, os.path.join(export_dir, MODEL_FILE), custom_objects)
    try:
        with open(os.path.join(export_dir, MARKER_FILE), encoding="utf-8") as stream:
            marker = json.load(stream)
    except (OSError, ValueError):
        marker = {}
    stored = marker.get("signatures_of_model") if isinstance(marker, dict) else None
    if stored is None:
        model.signatures = saved_objects.model_signatures(model)
    else:
        model.signatures = saved_objects.read_signatures(export_dir, stored, SIGNATURES_FILE, model)
    if isinstance(marker, dict) and "serve" in marker.get("endpoints", ()):
        # model.export's endpoint: the model's inference call, a tensor in, a tensor out.
        model.serve = lambda *args, **kwargs: model(*args, training=False, **kwargs)
    return model


def _load_model_file(load_model, path, custom_objects):
    """``load_model(path)``; a class of the user's that the file names (a subclassed model
    saved in this same program, as TensorFlow's guides do) is looked up among the classes
    defined in this process, as ``tf.saved_model.load`` needs no ``custom_objects``."""
    from learnet.layers.serialization import InvalidModelFileError

    try:
        return load_model(path, custom_objects=custom_objects)
    except InvalidModelFileError as error:
        defined = _user_layer_classes()
        if "unknown" not in str(error) or not defined:
            raise
        return load_model(path, custom_objects={**defined, **(custom_objects or {})})


def _user_layer_classes():
    """``{name: class}`` of the Layer subclasses defined outside learnet, where the name is unique."""
    from learnet.layers.base import Layer

    found, seen, stack = {}, set(), [Layer]
    while stack:
        for subclass in stack.pop().__subclasses__():
            if subclass in seen:
                continue
            seen.add(subclass)
            stack.append(subclass)
            if not subclass.__module__.startswith("learnet"):
                found.setdefault(subclass.__name__, []).append(subclass)
    return {name: classes[0] for name, classes in found.items() if len(classes) == 1}
