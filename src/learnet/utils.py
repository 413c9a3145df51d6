"""Small helpers around training: one-hot labels, normalizing rows, seeding.

The names and behaviour follow ``keras.utils``.

Examples
--------
>>> from learnet.utils import to_categorical
>>> to_categorical([0, 2, 1])
array([[1., 0., 0.],
       [0., 0., 1.],
       [0., 1., 0.]], dtype=float32)
"""

import random as _python_random

import numpy as np

from learnet import backend
from learnet.plot.model import plot_model  # keras.utils.plot_model; drawn with the other plots

__all__ = [
    "to_categorical",
    "normalize",
    "set_random_seed",
    "clear_session",
    "pad_sequences",
    "array_to_img",
    "img_to_array",
    "load_img",
    "save_img",
    "plot_model",
    "image_dataset_from_directory",
    "audio_dataset_from_directory",
]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Turn integer class labels into one-hot rows (``keras.utils.to_categorical``).

    Parameters
    ----------
    y : array_like of int
        Class labels, ``0 .. num_classes - 1``. A trailing axis of size 1
        (labels shaped ``(n, 1)``) is dropped first, as in Keras.
    num_classes : int, optional
        Number of classes; ``max(y) + 1`` when not given.
    dtype : str, default "float32"

    Returns
    -------
    numpy.ndarray
        Shape ``y.shape + (num_classes,)``.

    Raises
    ------
    ValueError
        If a label is negative, not a whole number, or not below ``num_classes``.

    Examples
    --------
    >>> to_categorical([1, 0], num_classes=3)
    array([[0., 1., 0.],
           [1., 0., 0.]], dtype=float32)
    """
    labels = np.asarray(y)
    if labels.dtype.kind not in "iub":
        if labels.dtype.kind != "f":
            raise ValueError(f"to_categorical expects integer class labels, got an array of dtype {labels.dtype}")
        if labels.size and (not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels))):
            raise ValueError(
                "to_categorical expects whole-number class labels, got values such as "
                f"{labels[(~np.isfinite(labels)) | (labels != np.round(labels))].ravel()[0]!r}"
            )
    labels = labels.astype(np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0, got {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    num_classes = int(num_classes)
    if labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical got label {labels.max()}, but num_classes={num_classes} allows labels 0..{num_classes - 1}"
        )
    categorical = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(categorical, labels[..., None], 1, axis=-1)
    return categorical


def normalize(x, axis=-1, order=2):
    """Scale ``x`` so that its vectors along ``axis`` have norm 1 (``keras.utils.normalize``).

    Vectors of norm 0 are left as they are.

    Parameters
    ----------
    x : array_like
    axis : int, default -1
    order : int, default 2
        The norm's order (2 for Euclidean length, 1 for the sum of absolute values).

    Examples
    --------
    >>> normalize([[3.0, 4.0], [0.0, 0.0]])
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise ValueError(f"normalize expects numbers, got an array of dtype {array.dtype}")
    if array.dtype.kind != "f":
        array = array.astype(backend.floatx())
    norm = np.atleast_1d(np.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / np.expand_dims(norm, axis).astype(array.dtype, copy=False)


def set_random_seed(seed):
    """Seed every random generator a training run draws from, so it repeats exactly.

    Seeds learnet's own generator (weight initializers, dropout, shuffling),
    Python's ``random`` module and NumPy's legacy global generator
    (``np.random.rand`` and friends), as ``keras.utils.set_random_seed`` does.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Examples
    --------
    >>> import numpy as np
    >>> set_random_seed(1); a = np.random.rand()
    >>> set_random_seed(1); a == np.random.rand()
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"set_random_seed expects a non-negative integer, got {seed!r}")
    seed = int(seed)
    backend.set_seed(seed)
    _python_random.seed(seed)
    np.random.seed(seed % 2**32)


def clear_session():
    """Forget the automatic layer names used so far, as ``keras.backend.clear_session``.

    After it, the next ``Dense`` layer is called ``dense`` again. Models and layers
    that already exist keep working.
    """
    from learnet.layers import reset_names  # utils sits above layers; imported when used

    reset_names()


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Make sequences of different lengths one array of equal rows (``keras.utils.pad_sequences``).

    Parameters
    ----------
    sequences : list of lists of int (or of arrays)
    maxlen : int, optional
        The length of every row; the longest sequence's length when not given.
    dtype : str, default "int32"
    padding : {"pre", "post"}, default "pre"
        Fill with ``value`` before the sequence or after it.
    truncating : {"pre", "post"}, default "pre"
        Drop values from the start or the end of sequences longer than ``maxlen``.
    value : float, default 0

    Returns
    -------
    numpy.ndarray
        Shape ``(len(sequences), maxlen)`` (plus any trailing shape of the elements).

    Examples
    --------
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
    >>> pad_sequences([[1], [2, 3]], padding="post")
    array([[1, 0],
           [2, 3]], dtype=int32)
    """
    if padding not in ("pre", "post"):
        raise ValueError(f'pad_sequences: padding must be "pre" or "post", got {padding!r}')
    if truncating not in ("pre", "post"):
        raise ValueError(f'pad_sequences: truncating must be "pre" or "post", got {truncating!r}')
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences expects a list of sequences, got {type(sequences).__name__}")
    rows = []
    for index, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise ValueError(
                f"pad_sequences expects a list of sequences, but element {index} is "
                f"{type(sequence).__name__} {sequence!r}"
            )
        rows.append(np.asarray(sequence))
    if maxlen is None:
        maxlen = max((len(row) for row in rows), default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)) or maxlen < 0:
        raise ValueError(f"pad_sequences: maxlen must be a non-negative integer, got {maxlen!r}")
    maxlen = int(maxlen)
    trailing = next((row.shape[1:] for row in rows if len(row)), ())
    result = np.full((len(rows), maxlen) + tuple(trailing), value, dtype=dtype)
    for index, row in enumerate(rows):
        if not len(row) or not maxlen:
            continue
        kept = row[-maxlen:] if truncating == "pre" else row[:maxlen]
        if kept.shape[1:] != tuple(trailing):
            raise ValueError(
                f"pad_sequences: element {index} has items of shape {kept.shape[1:]}, others {tuple(trailing)}"
            )
        if padding == "post":
            result[index, : len(kept)] = kept
        else:
            result[index, maxlen - len(kept) :] = kept
    return result


# --- images: Keras' keras.utils image helpers, on Pillow ------------------------------------------
def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('learnet\'s image helpers need Pillow: pip install "learnet[image]"') from None
    return Image


def _as_numpy(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A PIL image from an array of shape ``(height, width, channels)`` (1, 3 or 4 channels).

    Parameters
    ----------
    x : array_like or Tensor
    data_format : {"channels_last", "channels_first"}, optional
        ``channels_last`` (learnet's layout) by default.
    scale : bool, default True
        Stretch the values to 0..255 first (from their minimum and maximum); with
        ``scale=False`` they must already be in 0..255.

    Examples
    --------
    >>> img = array_to_img(np.zeros((4, 6, 1)))
    >>> img.size, img.mode                      # PIL gives (width, height)
    ((6, 4), 'L')
    """
    Image = _pil()
    array = _as_numpy(x).astype("float32")
    if array.ndim != 3:
        raise ValueError(f"array_to_img expects an array of shape (height, width, channels), got {array.shape}")
    if data_format == "channels_first":
        array = np.transpose(array, (1, 2, 0))
    elif data_format not in (None, "channels_last"):
        raise ValueError(f"array_to_img: unknown data_format {data_format!r}")
    if scale:
        array = array - np.min(array)
        top = np.max(array)
        if top != 0:
            array = array / top
        array = array * 255
    channels = array.shape[2]
    pixels = np.clip(np.round(array), 0, 255).astype("uint8")
    if channels == 1:
        return Image.fromarray(pixels[:, :, 0], "L")
    if channels == 3:
        return Image.fromarray(pixels, "RGB")
    if channels == 4:
        return Image.fromarray(pixels, "RGBA")
    raise ValueError(f"array_to_img expects 1, 3 or 4 channels, got {channels}")


def img_to_array(img, data_format=None, dtype=None):
    """A float array of shape ``(height, width, channels)`` from a PIL image (values 0..255)."""
    array = np.asarray(img, dtype=dtype or backend.floatx())
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.ndim != 3:
        raise ValueError(f"img_to_array expects a 2-D or 3-D image, got an array of shape {array.shape}")
    if data_format == "channels_first":
        array = np.transpose(array, (2, 0, 1))
    elif data_format not in (None, "channels_last"):
        raise ValueError(f"img_to_array: unknown data_format {data_format!r}")
    return array


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """Read an image file as a PIL image (``keras.utils.load_img``).

    Parameters
    ----------
    path : str or path-like
    color_mode : {"rgb", "grayscale", "rgba"}, default "rgb"
    target_size : (height, width), optional
        Resize to this size.
    interpolation : {"nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"}
    keep_aspect_ratio : bool, default False
        Crop the middle of the image to the target's aspect ratio before resizing.
    """
    Image = _pil()
    modes = {"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError(f'load_img: color_mode must be "rgb", "grayscale" or "rgba", got {color_mode!r}')
    filters = {
        "nearest": Image.NEAREST,
        "bilinear": Image.BILINEAR,
        "bicubic": Image.BICUBIC,
        "lanczos": Image.LANCZOS,
        "box": Image.BOX,
        "hamming": Image.HAMMING,
    }
    if interpolation not in filters:
        raise ValueError(f"load_img: interpolation must be one of {sorted(filters)}, got {interpolation!r}")
    with Image.open(path) as opened:
        img = opened.convert(modes[color_mode])
    if target_size is not None:
        height, width = (int(v) for v in target_size)
        if keep_aspect_ratio:
            crop_width = min(img.width, img.height * width // height)
            crop_height = min(img.height, img.width * height // width)
            left, top = (img.width - crop_width) // 2, (img.height - crop_height) // 2
            img = img.crop((left, top, left + crop_width, top + crop_height))
        if img.size != (width, height):
            img = img.resize((width, height), filters[interpolation])
    return img


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Save an array of shape ``(height, width, channels)`` as an image file."""
    array_to_img(x, data_format=data_format, scale=scale).save(path, format=file_format, **kwargs)


# keras.utils.PyDataset / keras.utils.Sequence: datasets written as Python classes.
from learnet.py_dataset import PyDataset, Sequence  # noqa: E402,F401

# Keras keeps these in keras.utils too (older code registers its custom objects from here).
from learnet.registry import (  # noqa: E402,F401
    custom_object_scope,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)

CustomObjectScope = custom_object_scope

# keras.utils' names for keras.saving's serialization helpers.
from learnet.object_serialization import (  # noqa: E402,F401
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)

# keras.utils' dataset makers, get_file and the train_step helpers (learnet.dataset_utils), and
# keras.utils.Progbar (drawn by fit's own tqdm bar).
from learnet.callbacks.keras_progbar import Progbar  # noqa: E402,F401
from learnet.dataset_utils import (  # noqa: E402,F401
    get_file,
    image_dataset_from_directory,
    get_source_inputs,
    is_keras_tensor,
    pack_x_y_sample_weight,
    split_dataset,
    text_dataset_from_directory,
    timeseries_dataset_from_array,
    unpack_x_y_sample_weight,
)

# keras.utils.audio_dataset_from_directory: folders of WAV files, one per class.
from learnet.audio_dataset import audio_dataset_from_directory  # noqa: E402,F401

# keras.utils.FeatureSpace: structured data's columns encoded by lookups, bins and crosses.
from learnet.feature_space import FeatureSpace  # noqa: E402,F401
