"""What every ImageNet network of ``keras.applications`` shares.

* :func:`preprocess_input`: pixels in ``[0, 255]`` to what a network was trained on, in one
  of three ways (``mode``): ``"caffe"`` (RGB to BGR, minus ImageNet's mean pixel), ``"tf"``
  (scaled to ``[-1, 1]``) or ``"torch"`` (scaled to ``[0, 1]``, then standardised per channel);
* :func:`decode_predictions`: a batch of 1000 class scores to the top ``(wordnet id, name,
  score)`` triples, with ImageNet's class index fetched once through ``keras.utils.get_file``;
* :func:`obtain_input_shape`, :func:`correct_pad`, :func:`validate_activation`: the checks and
  the padding arithmetic the networks are built with.

Examples
--------
>>> import numpy as np
>>> from learnet.applications import imagenet_utils
>>> imagenet_utils.preprocess_input(np.full((1, 2, 2, 3), 255.0), mode="tf")[0, 0, 0]
array([1., 1., 1.])
"""

import json

import numpy as np

from learnet import activations
from learnet.backend import floatx
from learnet.warn import warn

__all__ = ["preprocess_input", "decode_predictions"]

CLASS_INDEX_PATH = "https://storage.googleapis.com/download.tensorflow.org/data/imagenet_class_index.json"
#: MD5 digest of ImageNet's class index, as Keras checks it.
CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

# ImageNet's mean pixel (in BGR order for "caffe", RGB for "torch") and, for "torch", its
# standard deviation per channel.
_CAFFE_MEAN = (103.939, 116.779, 123.68)
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)

_class_index_cache = {}


def _channel_axis(ndim, data_format):
    if data_format == "channels_first":
        return 0 if ndim == 3 else 1
    return ndim - 1


def _check_data_format(data_format):
    if data_format is None:
        from learnet.keras_backend import image_data_format

        return image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError(
            f"preprocess_input: data_format must be 'channels_first' or 'channels_last', got {data_format!r}"
        )
    return data_format


def _is_tensor(x):
    from learnet.layers.keras_tensor import KerasTensor
    from learnet.tensor import Tensor

    return isinstance(x, (Tensor, KerasTensor))


def preprocess_input(x, data_format=None, mode="caffe"):
    """Prepare a batch of images (pixel values in ``[0, 255]``) for an ImageNet network.

    A float NumPy array is changed in place and returned (as Keras does; pass ``x.copy()``
    to keep it); an integer array is converted to ``float32`` first. A learnet tensor, or the
    symbolic tensor of a functional model (``keras.Input``), gives a new tensor.

    Parameters
    ----------
    x : array or tensor
        Images, 3-D (one image) or 4-D (a batch), with 3 colour channels.
    data_format : {None, "channels_last", "channels_first"}, optional
        Where the channels are; ``None`` means ``keras.backend.image_data_format()``.
    mode : {"caffe", "tf", "torch"}, default "caffe"
        ``"caffe"``: RGB to BGR, then ImageNet's mean pixel subtracted (no scaling);
        ``"tf"``: scaled to ``[-1, 1]``; ``"torch"``: scaled to ``[0, 1]``, then each channel
        standardised with ImageNet's mean and standard deviation.

    Returns
    -------
    array or tensor
        The preprocessed images.

    Raises
    ------
    ValueError
        If ``mode`` or ``data_format`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> preprocess_input(np.zeros((2, 2, 3)), mode="caffe")[0, 0]
    array([-103.939, -116.779, -123.68 ])
    """
    if mode not in ("caffe", "tf", "torch"):
        raise ValueError(f"preprocess_input: mode must be one of 'caffe', 'tf' or 'torch', got {mode!r}")
    data_format = _check_data_format(data_format)
    if _is_tensor(x):
        return _preprocess_tensor(x, data_format, mode)
    if not isinstance(x, np.ndarray):
        x = np.asarray(x, dtype=floatx())  # a list of pixels: a new array of the default float type
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(floatx())
    return _preprocess_array(x, data_format, mode)


def _statistics(mode):
    if mode == "tf":
        return None, None
    if mode == "torch":
        return _TORCH_MEAN, _TORCH_STD
    return _CAFFE_MEAN, None


def _preprocess_array(x, data_format, mode):
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    axis = _channel_axis(x.ndim, data_format)
    if mode == "torch":
        x /= 255.0
    else:
        x = np.flip(x, axis=axis)  # RGB -> BGR: a view, so the subtraction below still writes into x
    mean, std = _statistics(mode)
    shape = [1] * x.ndim
    shape[axis] = 3
    x -= np.reshape(np.asarray(mean, x.dtype), shape)
    if std is not None:
        x /= np.reshape(np.asarray(std, x.dtype), shape)
    return x


def _preprocess_tensor(x, data_format, mode):
    from learnet import keras_ops as ops

    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    axis = _channel_axis(ndim, data_format)
    if mode == "torch":
        x = x / 255.0
    else:
        x = ops.flip(x, axis=axis)
    dtype = x.dtype if np.issubdtype(np.dtype(str(x.dtype)), np.floating) else floatx()
    mean, std = _statistics(mode)
    shape = [1] * ndim
    shape[axis] = 3
    x = x - np.reshape(np.asarray(mean, dtype), shape)
    if std is not None:
        x = x / np.reshape(np.asarray(std, dtype), shape)
    return x


def _class_index():
    from learnet.dataset_utils import get_file

    path = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models", file_hash=CLASS_INDEX_HASH)
    if path not in _class_index_cache:
        with open(path, encoding="utf-8") as stream:
            _class_index_cache[path] = json.load(stream)
    return _class_index_cache[path]


def decode_predictions(preds, top=5):
    """The ``top`` most likely ImageNet classes of each row of ``preds``.

    ImageNet's class index (``imagenet_class_index.json``) is fetched once through
    ``keras.utils.get_file`` into the cache's ``models`` folder, as Keras does.

    Parameters
    ----------
    preds : array or tensor of shape ``(samples, 1000)``
        The scores of a network trained on ImageNet.
    top : int, default 5
        How many classes to return for each sample.

    Returns
    -------
    list of lists of tuples
        For each sample, ``(class_name, class_description, score)`` triples, the most likely first.

    Raises
    ------
    ValueError
        If ``preds`` is not a batch of 1000 scores.

    Examples
    --------
    >>> import numpy as np
    >>> decode_predictions(np.eye(1, 1000), top=1)  # doctest: +SKIP
    [[('n01440764', 'tench', 1.0)]]
    """
    values = preds.numpy() if hasattr(preds, "numpy") else np.asarray(preds)
    if values.ndim != 2 or values.shape[1] != 1000:
        raise ValueError(
            "decode_predictions expects a batch of predictions, a 2-D array of shape (samples, 1000); "
            f"got an array of shape {tuple(values.shape)}"
        )
    index = _class_index()
    results = []
    for row in values:
        best = np.argsort(row, kind="stable")[-top:][::-1] if top > 0 else []
        entries = [(*index[str(i)], row[i]) for i in best]
        entries.sort(key=lambda entry: entry[2], reverse=True)
        results.append(entries)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten, weights=None):
    """The input shape of a network: ``input_shape`` checked, or its default.

    Parameters
    ----------
    input_shape : tuple or None
        The shape of one image the user asked for.
    default_size : int
        The side the network was trained at (224 for most).
    min_size : int
        The smallest side the network accepts.
    data_format : {"channels_last", "channels_first"}
    require_flatten : bool
        Whether the classifier on top needs a fixed size (``include_top=True``).
    weights : str or None
        ``"imagenet"`` asks for 3 channels, and the default size with the classifier on top.

    Returns
    -------
    tuple
        The shape of one image, ``None`` where any size goes.

    Raises
    ------
    ValueError
        If the shape does not fit the network or its weights.

    Examples
    --------
    >>> obtain_input_shape(None, 224, 32, "channels_last", require_flatten=False)
    (None, None, 3)
    """
    channels_first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if channels_first else input_shape[-1]
        if channels not in (1, 3):
            warn(
                f"This model usually expects 1 or 3 input channels. However, it was passed an input_shape "
                f"with {channels} input channels."
            )
        default_shape = (
            (channels, default_size, default_size) if channels_first else (default_size, default_size, channels)
        )
    else:
        default_shape = (3, default_size, default_size) if channels_first else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError(
                "When setting include_top=True and loading 'imagenet' weights, input_shape should be "
                f"{default_shape}; got input_shape={input_shape}"
            )
        return default_shape
    if input_shape:
        input_shape = tuple(input_shape)
        if len(input_shape) != 3:
            raise ValueError(f"input_shape must be a tuple of three integers; got input_shape={input_shape}")
        channels = input_shape[0] if channels_first else input_shape[-1]
        rows, cols = input_shape[1:] if channels_first else input_shape[:2]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels for 'imagenet' weights; got input_shape={input_shape}")
        if (rows is not None and rows < min_size) or (cols is not None and cols < min_size):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; got input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if channels_first else (None, None, 3)
    if require_flatten and None in input_shape:
        raise ValueError(
            f"If include_top is True, you should specify a static input_shape; got input_shape={input_shape}"
        )
    return input_shape


def correct_pad(inputs, kernel_size):
    """The ``ZeroPadding2D`` padding that lets a strided ``"valid"`` convolution see every pixel.

    Parameters
    ----------
    inputs : tensor
        Channels-last images ``(batch, height, width, channels)``.
    kernel_size : int or tuple of 2 ints

    Returns
    -------
    tuple
        ``((top, bottom), (left, right))``.

    Examples
    --------
    >>> from learnet import layers
    >>> correct_pad(layers.Input(shape=(32, 32, 3)), 3)
    ((0, 1), (0, 1))
    """
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    rows, cols = tuple(inputs.shape)[1:3]
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Refuse a classifier activation other than softmax or none with pretrained weights.

    Raises
    ------
    ValueError
        If ``weights`` is given and ``classifier_activation`` is neither ``None`` nor ``"softmax"``.

    Examples
    --------
    >>> validate_activation("softmax", "imagenet")
    """
    if weights is None:
        return
    function = activations.get(classifier_activation)
    if function not in (activations.get("softmax"), activations.get(None)):
        raise ValueError(
            "Only None and 'softmax' activations are allowed for the classifier_activation argument when "
            f"using pretrained weights, with include_top=True; got classifier_activation={classifier_activation!r}"
        )
