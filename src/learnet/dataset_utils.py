"""``keras.utils`` helpers that make datasets and fetch files.

* :func:`timeseries_dataset_from_array`: sliding windows over a series (and their targets);
* :func:`text_dataset_from_directory`: a folder of ``.txt`` files, one subfolder per class;
* :func:`image_dataset_from_directory`: a folder of images, one subfolder per class (or none);
* :func:`split_dataset`: cut arrays or a dataset in two;
* :func:`get_file`: download (or copy) a file once into the cache, check it, extract archives;
* :func:`pack_x_y_sample_weight`, :func:`unpack_x_y_sample_weight`, :func:`is_keras_tensor`,
  :func:`get_source_inputs`: the small helpers of custom ``train_step`` and functional code.

The names, arguments and results follow Keras 3; the datasets are ``learnet.data.Dataset``.
All of them are re-exported by :mod:`learnet.utils`.

Examples
--------
>>> import numpy as np
>>> from learnet.dataset_utils import timeseries_dataset_from_array
>>> ds = timeseries_dataset_from_array(np.arange(6), None, sequence_length=3, batch_size=2)
>>> [batch.numpy().tolist() for batch in ds]
[[[0, 1, 2], [1, 2, 3]], [[2, 3, 4], [3, 4, 5]]]
"""

import os
import random as _python_random
from pathlib import Path

import numpy as np

from learnet import backend
from learnet.control import TensorSpec
from learnet.data import Dataset
from learnet.tree import flatten, map_structure

__all__ = [
    "timeseries_dataset_from_array",
    "text_dataset_from_directory",
    "image_dataset_from_directory",
    "split_dataset",
    "get_file",
    "pack_x_y_sample_weight",
    "unpack_x_y_sample_weight",
    "is_keras_tensor",
    "get_source_inputs",
]


def _check_count(value, name, who, smallest=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < smallest:
        kind = "a positive integer" if smallest == 1 else f"an integer >= {smallest}"
        raise ValueError(f"{who}: {name} must be {kind}, got {value!r}")
    return int(value)


def _as_numbers(values):
    """An array of the user's data; float64 becomes learnet's float type, as at ``from_tensor_slices``."""
    array = np.asarray(values.numpy() if hasattr(values, "numpy") else values)
    if array.dtype == np.float64:
        array = array.astype(backend.floatx())
    return array


# --- timeseries_dataset_from_array ----------------------------------------------------------------------
def timeseries_dataset_from_array(
    data,
    targets,
    sequence_length,
    sequence_stride=1,
    sampling_rate=1,
    batch_size=128,
    shuffle=False,
    seed=None,
    start_index=None,
    end_index=None,
):
    """A dataset of sliding windows over a time series (``keras.utils.timeseries_dataset_from_array``).

    Window ``i`` starts at time step ``start_index + i * sequence_stride`` and takes
    ``sequence_length`` steps, ``sampling_rate`` apart. Its target is ``targets[start]``,
    the target of the window's first step, as in Keras: to predict the step after a
    window, pass ``targets=data[sequence_length:]``.

    Parameters
    ----------
    data : array_like
        The series, time along the first axis (a NumPy array, a list, a DataFrame).
    targets : array_like or None
        One target per time step; ``None`` gives windows only.
    sequence_length : int
        Steps per window.
    sequence_stride : int, default 1
        Steps between the starts of two windows.
    sampling_rate : int, default 1
        Steps between two rows of a window (6 takes every sixth step).
    batch_size : int or None, default 128
        Windows per batch; ``None`` gives one window per element.
    shuffle : bool, default False
        Shuffle the windows (a new order at every pass; the sequence of orders repeats with ``seed``).
    seed : int, optional
    start_index, end_index : int, optional
        Only the steps ``start_index <= t < end_index`` are used (the whole series by default),
        e.g. to keep a validation period apart.

    Returns
    -------
    learnet.data.Dataset
        Batches of ``windows`` of shape ``(batch, sequence_length, *data.shape[1:])``, or
        ``(windows, targets)`` when ``targets`` is given. float64 data becomes float32.

    Raises
    ------
    ValueError
        If a size is not a positive integer or an index is out of range. A series shorter than
        one window gives an empty dataset, as in Keras.

    Examples
    --------
    >>> ds = timeseries_dataset_from_array(np.arange(10), np.arange(10) * 10, sequence_length=3,
    ...                                    sequence_stride=3, batch_size=None)
    >>> [(x.numpy().tolist(), int(y)) for x, y in ds]
    [([0, 1, 2], 0), ([3, 4, 5], 30), ([6, 7, 8], 60)]
    """
    who = "timeseries_dataset_from_array"
    data = _as_numbers(data)
    if data.ndim == 0:
        raise ValueError(f"{who}: data must have a time axis, got a scalar")
    steps = len(data)
    sequence_length = _check_count(sequence_length, "sequence_length", who)
    sequence_stride = _check_count(sequence_stride, "sequence_stride", who)
    sampling_rate = _check_count(sampling_rate, "sampling_rate", who)
    if batch_size is not None:
        batch_size = _check_count(batch_size, "batch_size", who)
    # Keras' checks, with its messages' meaning (an index of 0 counts as not given).
    if start_index:
        start_index = _check_count(start_index, "start_index", who, smallest=0)
        if start_index >= steps:
            raise ValueError(
                f"{who}: start_index must be lower than the length of the data ({steps}), got {start_index}"
            )
    if end_index:
        end_index = _check_count(end_index, "end_index", who)
        if start_index and end_index <= start_index:
            raise ValueError(f"{who}: end_index ({end_index}) must be higher than start_index ({start_index})")
        if end_index >= steps:
            raise ValueError(f"{who}: end_index must be lower than the length of the data ({steps}), got {end_index}")
    if sampling_rate >= steps:
        raise ValueError(
            f"{who}: sampling_rate must be lower than the length of the data ({steps}), got {sampling_rate}"
        )
    if sequence_stride >= steps:
        raise ValueError(
            f"{who}: sequence_stride must be lower than the length of the data ({steps}), got {sequence_stride}"
        )
    start_index = start_index or 0
    end_index = end_index or steps

    span = (sequence_length - 1) * sampling_rate + 1  # time steps one window covers
    count = end_index - start_index - span + 1  # possible first steps, before the stride
    if targets is not None:
        targets = _as_numbers(targets)
        if targets.ndim == 0:
            raise ValueError(f"{who}: targets must have one entry per time step, got a scalar")
        count = min(count, len(targets) - start_index)
    # No window fits (a series shorter than one window): an empty dataset, as in Keras.
    starts = start_index + np.arange(0, max(count, 0), sequence_stride)
    offsets = np.arange(sequence_length) * sampling_rate
    generator = np.random.default_rng(seed) if seed is not None else None
    size = 1 if batch_size is None else batch_size

    def make():
        order = starts
        if shuffle:
            order = starts[(generator or backend.host_rng()).permutation(len(starts))]
        for first in range(0, len(order), size):
            chosen = order[first : first + size]
            windows = data[chosen[:, None] + offsets]  # one fancy index builds the whole batch
            element = windows if targets is None else (windows, targets[chosen])
            if batch_size is None:
                element = map_structure(lambda a: a[0], element)
            yield element

    batch = () if batch_size is None else (None,)

    def spec():
        windows = TensorSpec(batch + (sequence_length,) + data.shape[1:], data.dtype)
        return windows if targets is None else (windows, TensorSpec(batch + targets.shape[1:], targets.dtype))

    return Dataset(make, -(-len(starts) // size), spec)


# --- text_dataset_from_directory -----------------------------------------------------------------
def _index_directory(directory, labels, formats, class_names, follow_links, who):
    """The files under ``directory`` ending in ``formats``, their class ids and the class names.

    Keras' order: class subfolders in alphabetical order (hidden ones skipped) or as
    ``class_names`` lists them; inside each, the folders in sorted order and their files sorted.
    ``labels`` other than ``"inferred"`` index the whole tree, without class ids.
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{who}: {directory!r} is not a folder")
    if labels == "inferred":
        found = sorted(
            name
            for name in os.listdir(directory)
            if not name.startswith(".") and os.path.isdir(os.path.join(directory, name))
        )
        if class_names is not None:
            missing = [name for name in class_names if name not in found]
            if missing:
                raise ValueError(f"{who}: class_names {missing} have no subfolder in {directory!r} (found {found})")
            found = list(class_names)
        folders = [os.path.join(directory, name) for name in found]
    else:
        folders, found = [directory], []
    paths, ids = [], []
    for class_id, folder in enumerate(folders):
        for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    ids.append(class_id)
    return paths, ids, found


def _check_validation_split(validation_split, subset, shuffle, seed, who):
    if validation_split is not None and not 0 < float(validation_split) < 1:
        raise ValueError(f"{who}: validation_split must be between 0 and 1, got {validation_split!r}")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'{who}: subset must be "training", "validation" or "both", got {subset!r}')
    if bool(validation_split) != (subset is not None):
        raise ValueError(f"{who}: give validation_split and subset together (got {validation_split!r} and {subset!r})")
    if validation_split and shuffle and seed is None:
        raise ValueError(
            f"{who}: with validation_split and shuffle, give a seed so that the training and "
            "validation files do not overlap"
        )


def _checked_labels(labels, label_mode, class_names, who):
    """``labels`` of a directory-of-classes dataset as a list (or "inferred", or None), after
    checking it, ``label_mode`` and ``class_names`` as Keras does."""
    if isinstance(labels, (tuple, np.ndarray)):
        labels = list(labels)
    if not (labels is None or labels == "inferred"):
        if not isinstance(labels, list):
            raise ValueError(
                f'{who}: labels must be "inferred", None, or a list of integer labels (one per file), got {labels!r}'
            )
        if class_names:
            raise ValueError(f'{who}: class_names can only be given with labels="inferred"')
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f'{who}: label_mode must be "int", "categorical", "binary" or None, got {label_mode!r}')
    return labels


def _labelled_files(
    directory, labels, label_mode, class_names, follow_links, extensions, kind, shuffle, seed, verbose, who
):
    """The files of a directory-of-classes dataset (``text_dataset_from_directory``,
    ``audio_dataset_from_directory``): their paths and class ids, shuffled as Keras shuffles
    them, the class names, a function making labels of class ids in ``label_mode``, and the
    label mode in force (None when there are no labels)."""
    if labels is None or label_mode is None:
        labels = label_mode = None

    paths, ids, names = _index_directory(directory, labels, extensions, class_names, follow_links, who)
    if labels is None:
        names = None
    elif labels != "inferred":
        ids = [int(label) for label in labels]
        if len(ids) != len(paths):
            raise ValueError(f"{who}: {len(ids)} labels given for the {len(paths)} {kind} in {os.fspath(directory)!r}")
        names = [str(label) for label in sorted(set(ids))]
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {len(names)} classes." if names is not None else "."))
    if label_mode == "binary" and len(names) != 2:
        raise ValueError(f'{who}: label_mode="binary" needs exactly 2 classes, found {len(names)}: {names}')
    if not paths:
        raise ValueError(f"{who}: no {kind} ({', '.join(extensions)}) in {os.fspath(directory)!r}")

    paths = np.asarray(paths)
    ids = np.asarray(ids if labels is not None else np.zeros(len(paths)), dtype=np.int32)
    if shuffle:
        # Keras' global shuffle: the same seed puts the same files into training and validation.
        file_seed = seed if seed is not None else np.random.randint(1_000_000)
        np.random.RandomState(file_seed).shuffle(paths)
        np.random.RandomState(file_seed).shuffle(ids)

    def labels_of(class_ids):
        if label_mode == "int":
            return class_ids
        if label_mode == "binary":
            return class_ids.astype("float32")[:, None]
        one_hot = np.zeros((len(class_ids), len(names)), dtype="float32")
        one_hot[np.arange(len(class_ids)), class_ids] = 1
        return one_hot

    return paths, ids, names, labels_of, label_mode


def _datasets_of_subsets(paths, ids, validation_split, subset, shuffle, make_dataset, who):
    """The dataset(s) ``subset`` asks for ("training", "validation", "both" or None), the last
    ``validation_split`` of the (shuffled) files held out, each made by ``make_dataset(files,
    class_ids, shuffled)``; as in Keras, the validation half of ``subset="both"`` is not shuffled."""
    held_out = int(float(validation_split or 0) * len(paths))
    parts = {
        None: (paths, ids),
        "training": (paths[: len(paths) - held_out], ids[: len(paths) - held_out]),
        "validation": (paths[len(paths) - held_out :], ids[len(paths) - held_out :]),
    }
    wanted = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for part in wanted:
        files, class_ids = parts[part]
        if part is not None:  # as Keras, whatever verbose says
            print(f"Using {len(files)} files for {part}.")
        if not len(files):
            raise ValueError(
                f"{who}: validation_split={validation_split} leaves no {part} files of the {len(paths)} found"
            )
        datasets.append(make_dataset(files, class_ids, shuffle and not (subset == "both" and part == "validation")))
    return tuple(datasets) if subset == "both" else datasets[0]


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """A dataset of ``(texts, labels)`` batches from a folder of ``.txt`` files (``keras.utils.text_dataset_from_directory``).

    ``main_directory/neg/*.txt`` and ``main_directory/pos/*.txt`` give labels 0 and 1
    (classes in alphabetical order, in ``dataset.class_names``); files in subfolders of a
    class folder count too. Texts are string tensors holding the files' bytes, read batch by
    batch. The files are shuffled once with ``seed`` exactly as Keras does, so a
    ``validation_split`` puts the same files in each part as Keras.

    Parameters
    ----------
    directory : str or path-like
    labels : "inferred", None, or a list of integer labels
        ``None`` gives texts only; a list gives one label per file, in the sorted order of the paths.
    label_mode : {"int", "categorical", "binary", None}, default "int"
        int32 class ids, float32 one-hot rows, float32 0/1 of shape ``(batch, 1)`` (two classes),
        or no labels.
    class_names : list of str, optional
        The class subfolders to use, in this order (only with ``labels="inferred"``).
    batch_size : int or None, default 32
        ``None`` gives one text per element.
    max_length : int, optional
        Keep at most this many bytes of each text.
    shuffle : bool, default True
        Shuffle the files (again at every pass); ``False`` keeps them in sorted order.
    seed : int, optional
        Needed with ``validation_split`` and ``shuffle``.
    validation_split : float, optional
        The share of the files kept for validation.
    subset : {"training", "validation", "both"}, optional
        Which part to return (``"both"`` returns the two datasets).
    follow_links : bool, default False
        Also walk into subfolders that are symbolic links.
    verbose : bool, default True
        Print how many files and classes were found.

    Returns
    -------
    learnet.data.Dataset, or a tuple of two with ``subset="both"``
        With attributes ``class_names`` (``None`` without labels) and ``file_paths``.

    Examples
    --------
    >>> import os, tempfile
    >>> root = tempfile.mkdtemp()
    >>> for label, text in [("neg", "dull"), ("pos", "great fun")]:
    ...     os.mkdir(os.path.join(root, label))
    ...     _ = open(os.path.join(root, label, "1.txt"), "w").write(text)
    >>> ds = text_dataset_from_directory(root, shuffle=False)
    Found 2 files belonging to 2 classes.
    >>> texts, labels = next(iter(ds))
    >>> texts.numpy().tolist(), labels.numpy().tolist(), ds.class_names
    ([b'dull', b'great fun'], [0, 1], ['neg', 'pos'])
    """
    who = "text_dataset_from_directory"
    labels = _checked_labels(labels, label_mode, class_names, who)
    if batch_size is not None:
        batch_size = _check_count(batch_size, "batch_size", who)
    if max_length is not None:
        max_length = _check_count(max_length, "max_length", who)
    _check_validation_split(validation_split, subset, shuffle, seed, who)
    paths, ids, names, labels_of, label_mode = _labelled_files(
        directory, labels, label_mode, class_names, follow_links, (".txt",), "text files", shuffle, seed, verbose, who
    )

    def read(path):
        with open(path, "rb") as stream:
            return stream.read() if max_length is None else stream.read(max_length)

    def make_dataset(files, class_ids, shuffled):
        generator = np.random.default_rng(seed) if seed is not None else None
        size = 1 if batch_size is None else batch_size

        def make():
            order = np.arange(len(files))
            if shuffled:
                order = (generator or backend.host_rng()).permutation(len(files))
            for first in range(0, len(files), size):
                chosen = order[first : first + size]
                texts = np.empty(len(chosen), dtype=object)
                texts[:] = [read(path) for path in files[chosen]]
                element = texts if label_mode is None else (texts, labels_of(class_ids[chosen]))
                if batch_size is None:
                    element = map_structure(lambda a: np.asarray(a[0], dtype=a.dtype), element)
                yield element

        batch = () if batch_size is None else (None,)

        def spec():
            texts = TensorSpec(batch, np.object_)
            if label_mode is None:
                return texts
            label_shape = {"int": (), "binary": (1,), "categorical": (len(names),)}[label_mode]
            return texts, TensorSpec(batch + label_shape, "int32" if label_mode == "int" else "float32")

        dataset = Dataset(make, -(-len(files) // size), spec)
        dataset.class_names = None if names is None else list(names)
        dataset.file_paths = [str(path) for path in files]
        return dataset

    return _datasets_of_subsets(paths, ids, validation_split, subset, shuffle, make_dataset, who)


# --- image_dataset_from_directory ----------------------------------------------------------------
_IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    verbose=True,
):
    """A dataset of ``(images, labels)`` batches from a folder of images (``keras.utils.image_dataset_from_directory``).

    ``main_directory/class_a/*.jpg`` and ``main_directory/class_b/*.jpg`` give labels 0 and 1
    (classes in alphabetical order, in ``dataset.class_names``). Images are read batch by batch,
    resized to ``image_size`` and given as float32 arrays of shape ``(batch, height, width,
    channels)`` with values 0..255, as in Keras. The files are listed and shuffled as Keras
    does, so a ``validation_split`` puts the same files in each part.

    Parameters
    ----------
    directory : str or path-like
    labels : "inferred", None, or a list of integer labels
        ``None`` gives images only (every image under ``directory``, subfolders included); a
        list gives one label per file, in the sorted order of the paths.
    label_mode : {"int", "categorical", "binary", None}, default "int"
        int32 class ids, float32 one-hot rows, float32 0/1 of shape ``(batch, 1)`` (two classes),
        or no labels (images only).
    class_names : list of str, optional
        The class subfolders to use, in this order (only with ``labels="inferred"``).
    color_mode : {"rgb", "grayscale", "rgba"}, default "rgb"
    batch_size : int or None, default 32
        ``None`` gives one image per element.
    image_size : (height, width), default (256, 256)
    shuffle : bool, default True
        Shuffle the files (again at every pass); ``False`` keeps them in sorted order.
    seed : int, optional
        Needed with ``validation_split`` and ``shuffle``.
    validation_split : float, optional
        The share of the files kept for validation.
    subset : {"training", "validation", "both"}, optional
        Which part to return (``"both"`` returns the two datasets).
    interpolation : str, default "bilinear"
    follow_links : bool, default False
    crop_to_aspect_ratio : bool, default False
        Crop the middle of each image to the target's aspect ratio before resizing.
    data_format : "channels_last" (default) or "channels_first"
    verbose : bool, default True
        Print how many files and classes were found.

    Returns
    -------
    learnet.data.Dataset, or a tuple of two with ``subset="both"``
        With attributes ``class_names`` (``None`` without labels) and ``file_paths``.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> root = tempfile.mkdtemp()
    >>> for name in ("cats", "dogs"):
    ...     os.mkdir(os.path.join(root, name))
    ...     Image.new("RGB", (4, 4)).save(os.path.join(root, name, "1.png"))
    >>> images = image_dataset_from_directory(root, labels=None, image_size=(2, 2))
    Found 2 files.
    >>> [tuple(batch.shape) for batch in images]
    [(2, 2, 2, 3)]
    """
    from learnet.utils import img_to_array, load_img

    who = "image_dataset_from_directory"
    labels = _checked_labels(labels, label_mode, class_names, who)
    channels = {"rgb": 3, "grayscale": 1, "rgba": 4}.get(color_mode)
    if channels is None:
        raise ValueError(f'{who}: color_mode must be "rgb", "grayscale" or "rgba", got {color_mode!r}')
    if batch_size is not None:
        batch_size = _check_count(batch_size, "batch_size", who)
    if len(tuple(image_size)) != 2:
        raise ValueError(f"{who}: image_size must be (height, width), got {image_size!r}")
    height, width = (_check_count(v, "image_size", who) for v in image_size)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{who}: crop_to_aspect_ratio and pad_to_aspect_ratio cannot both be True")
    if pad_to_aspect_ratio:
        raise NotImplementedError(f"{who}: pad_to_aspect_ratio is not supported; use crop_to_aspect_ratio")
    if data_format not in (None, "channels_last", "channels_first"):
        raise ValueError(f'{who}: data_format must be "channels_last" or "channels_first", got {data_format!r}')
    _check_validation_split(validation_split, subset, shuffle, seed, who)
    paths, ids, names, labels_of, label_mode = _labelled_files(
        directory,
        labels,
        label_mode,
        class_names,
        follow_links,
        _IMAGE_EXTENSIONS,
        "images",
        shuffle,
        seed,
        verbose,
        who,
    )

    def read(path):
        image = load_img(
            path,
            color_mode=color_mode,
            target_size=(height, width),
            interpolation=interpolation,
            keep_aspect_ratio=crop_to_aspect_ratio,
        )
        return img_to_array(image, data_format=data_format, dtype="float32")

    def make_dataset(files, class_ids, shuffled):
        generator = np.random.default_rng(seed) if seed is not None else None
        size = 1 if batch_size is None else batch_size

        def make():
            order = np.arange(len(files))
            if shuffled:
                order = (generator or backend.host_rng()).permutation(len(files))
            for first in range(0, len(files), size):
                chosen = order[first : first + size]
                images = np.stack([read(path) for path in files[chosen]])
                element = images if label_mode is None else (images, labels_of(class_ids[chosen]))
                if batch_size is None:
                    element = map_structure(lambda a: a[0], element)
                yield element

        batch = () if batch_size is None else (None,)
        image_shape = (channels, height, width) if data_format == "channels_first" else (height, width, channels)

        def spec():
            images = TensorSpec(batch + image_shape, "float32")
            if label_mode is None:
                return images
            label_shape = {"int": (), "binary": (1,), "categorical": (len(names),)}[label_mode]
            return images, TensorSpec(batch + label_shape, "int32" if label_mode == "int" else "float32")

        dataset = Dataset(make, -(-len(files) // size), spec)
        dataset.class_names = None if names is None else list(names)
        dataset.file_paths = [str(path) for path in files]
        return dataset

    return _datasets_of_subsets(paths, ids, validation_split, subset, shuffle, make_dataset, who)


# --- split_dataset -------------------------------------------------------------------------------
def _split_sizes(left_size, right_size, total, who="split_dataset"):
    """Keras' rule: fractions of ``total`` are rounded, a missing size is the rest."""
    sizes = {"left_size": left_size, "right_size": right_size}
    for name, size in sizes.items():
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (int, float, np.integer, np.floating)):
            raise TypeError(f"{who}: {name} must be an int, a float or None, got {type(size).__name__} {size!r}")
        if isinstance(size, (int, np.integer)) and not 0 < size < total:
            raise ValueError(f"{who}: {name} must be a whole number of samples between 1 and {total - 1}, got {size}")
        if isinstance(size, (float, np.floating)) and not 0 < size < 1:
            raise ValueError(f"{who}: {name} must be a fraction between 0 and 1 (exclusive), got {size}")
    if left_size is None and right_size is None:
        raise ValueError(f"{who}: give left_size, right_size or both")
    if isinstance(left_size, (float, np.floating)) and isinstance(right_size, (float, np.floating)):
        if left_size + right_size > 1:
            raise ValueError(f"{who}: left_size + right_size must be at most 1, got {left_size} + {right_size}")

    def count(size):
        return round(size * total) if isinstance(size, (float, np.floating)) else size

    left = total - count(right_size) if left_size is None else count(left_size)
    right = total - count(left_size) if right_size is None else count(right_size)
    if left + right > total:
        raise ValueError(f"{who}: left_size + right_size = {left + right} samples, but the dataset has only {total}")
    for side, size in (("left", left), ("right", right)):
        if size == 0:
            raise ValueError(
                f"{who}: with {total} samples, left_size={left_size} and right_size={right_size} "
                f"leave the {side} part empty"
            )
    return int(left), int(right)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None):
    """Cut a dataset in two, e.g. into training and test parts (``keras.utils.split_dataset``).

    The left part takes the first ``left_size`` samples, the right part the last
    ``right_size`` (samples in neither are dropped). A float is a share of the samples,
    rounded; an int a number of samples; ``None`` is the rest.

    Parameters
    ----------
    dataset : array, tuple/list/dict of arrays, or learnet.data.Dataset
        Arrays are split along their first axis; a Dataset element by element (so a batched
        dataset is split by batches: call ``.unbatch()`` first to split samples).
    left_size, right_size : int, float or None
        At least one of them.
    shuffle : bool, default False
        Shuffle the samples first, as Keras does (Python's ``random`` with ``seed``: the same
        seed gives the same split as in Keras).
    seed : int, optional

    Returns
    -------
    (learnet.data.Dataset, learnet.data.Dataset)

    Raises
    ------
    TypeError
        If a size is not an int, float or None, or ``dataset`` is of an unsupported kind.
    ValueError
        If the sizes are out of range, leave a part empty or add up to more than the data.

    Examples
    --------
    >>> left, right = split_dataset(np.arange(10), left_size=0.8)
    >>> len(left), len(right)
    (8, 2)
    """
    who = "split_dataset"
    if isinstance(dataset, Dataset):
        elements = list(dataset.as_numpy_iterator())
        total = len(elements)
    else:
        if isinstance(dataset, list):
            # Keras reads a list of arrays as several arrays, like a tuple; a list of numbers is one array.
            several = dataset and all(hasattr(item, "__len__") for item in dataset)
            dataset = tuple(dataset) if several else np.asarray(dataset)
        if not isinstance(dataset, (tuple, dict)) and not hasattr(dataset, "__len__"):
            raise TypeError(
                f"{who} expects an array, a tuple or dict of arrays, or a learnet.data.Dataset, "
                f"got {type(dataset).__name__}"
            )
        arrays = map_structure(_as_numbers, dataset)
        leaves = flatten(arrays)
        if not leaves or any(leaf.ndim == 0 for leaf in leaves):
            raise ValueError(f"{who}: every array needs a first axis to split along")
        lengths = sorted({len(leaf) for leaf in leaves})
        if len(lengths) > 1:
            raise ValueError(f"{who}: the arrays have different numbers of samples {lengths}")
        total = lengths[0]
    if total < 2:
        raise ValueError(f"{who}: a dataset of {total} sample(s) cannot be split in two")
    left, right = _split_sizes(left_size, right_size, total, who)

    order = list(range(total))
    if shuffle:
        # Keras seeds Python's random module and shuffles the samples with it; a Random
        # instance gives the same order without changing the global generator.
        _python_random.Random(seed if seed is not None else _python_random.randint(0, 1_000_000)).shuffle(order)
    order = np.asarray(order, dtype=np.int64)
    parts = order[:left], order[total - right :]

    if isinstance(dataset, Dataset):

        def part_of(indices):
            chosen = [elements[i] for i in indices]
            return Dataset(lambda: iter(chosen), len(chosen), lambda: dataset.element_spec)

        return part_of(parts[0]), part_of(parts[1])
    return tuple(Dataset.from_tensor_slices(map_structure(lambda a, i=i: a[i], arrays)) for i in parts)


# --- get_file ------------------------------------------------------------------------------------
def _hash_algorithm(file_hash, hash_algorithm, who="get_file"):
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(f'{who}: hash_algorithm must be "auto", "sha256" or "md5", got {hash_algorithm!r}')
    if file_hash is None:
        return None
    if not isinstance(file_hash, str) or not file_hash or any(c not in "0123456789abcdefABCDEF" for c in file_hash):
        raise ValueError(f"{who}: file_hash must be a hexadecimal digest, got {file_hash!r}")
    if hash_algorithm == "auto":
        # Keras' rule: 64 hex digits are SHA-256, anything else MD5.
        return "sha256" if len(file_hash) == 64 else "md5"
    return hash_algorithm


def _digest(path, algorithm):
    import hashlib

    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _as_url(origin, who="get_file"):
    """``origin`` as a URL: web and ``file://`` URLs as they are, a local path as a ``file://`` URL."""
    from urllib.parse import urlsplit

    origin = os.fspath(origin)
    scheme = urlsplit(origin).scheme.lower()
    if scheme in ("http", "https", "ftp", "file"):
        return origin
    if scheme and len(scheme) > 1:  # one letter is a Windows drive
        raise ValueError(f"{who}: origin {origin!r} has the unsupported scheme {scheme!r} (use http, https or file)")
    path = Path(origin).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"{who}: origin {origin!r} is neither a URL (http://, https://, file://) nor a file")
    return path.resolve().as_uri()


def _download(url, destination, file_hash, algorithm, timeout):
    """Fetch ``url`` into ``destination``; only a complete (and, with a hash, correct) file lands there."""
    import tempfile
    import urllib.request

    from learnet.datasets.sources import _download_once

    if file_hash is not None and algorithm == ("md5" if len(file_hash) == 32 else "sha256"):
        # The datasets' downloader checks the digest while the bytes stream in.
        _download_once(url, destination, file_hash.lower(), None, True, timeout)
        return
    from tqdm import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": "learnet"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        handle, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
        try:
            with (
                os.fdopen(handle, "wb") as out,
                tqdm(total=int(length) if length and length.isdigit() else None, unit="B", unit_scale=True) as bar,
            ):
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    bar.update(len(chunk))
            if file_hash is not None and _digest(temporary, algorithm) != file_hash.lower():
                raise ValueError(f"corrupt download: its {algorithm} digest does not match {file_hash}")
            os.replace(temporary, destination)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def _unsafe_member(name, is_plain, destination):
    """Why an archive member may not be extracted, or None when it is a plain file or folder inside."""
    if not is_plain:
        return "is a link or a special file"
    parts = Path(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or (parts and ":" in parts[0]) or ".." in parts:
        return "points outside the extraction folder"
    inside = (destination / name).resolve()
    if not inside.is_relative_to(destination.resolve()):
        return "points outside the extraction folder"
    return None


def _extract_archive(archive, destination, archive_format, who="get_file"):
    """Extract a tar or zip archive into ``destination`` after checking every member; True when extracted."""
    import shutil
    import stat
    import tarfile
    import tempfile
    import zipfile

    if archive_format is None:
        return False
    if archive_format == "auto":
        formats = ["tar", "zip"]
    else:
        formats = [archive_format] if isinstance(archive_format, str) else list(archive_format)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(f'{who}: archive_format must be "auto", "tar", "zip" or None, got {archive_format!r}')
        if kind == "tar" and tarfile.is_tarfile(archive):
            opened = tarfile.open(archive)
        elif kind == "zip" and zipfile.is_zipfile(archive):
            opened = zipfile.ZipFile(archive)
        else:
            continue
        with opened:
            if kind == "tar":
                members = [(m.name, m.isfile() or m.isdir()) for m in opened.getmembers()]
            else:
                members = [(i.filename, not stat.S_ISLNK(i.external_attr >> 16)) for i in opened.infolist()]
            # Every member is checked before anything is written: a bad archive changes nothing.
            for name, is_plain in members:
                why = _unsafe_member(name, is_plain, destination)
                if why is not None:
                    raise ValueError(f"{who}: refusing to extract {archive}: its member {name!r} {why}")
            destination.parent.mkdir(parents=True, exist_ok=True)
            temporary = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}."))
            try:
                if kind == "tar" and hasattr(tarfile, "data_filter"):
                    opened.extractall(temporary, filter="data")  # a second guard, where Python has it
                else:
                    opened.extractall(temporary)
                if destination.exists():
                    shutil.rmtree(destination)
                os.replace(temporary, destination)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
        return True
    return False


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Download a file once into the cache and return its path (``keras.utils.get_file``).

    The file goes to ``<cache_dir>/<cache_subdir>/<fname>``: by default
    ``$LEARNET_HOME/datasets`` (``~/.learnet/datasets``), where learnet's datasets are cached
    too. A file already there is used again, unless its hash does not match ``file_hash``
    (then it is downloaded again) or ``force_download``. Downloads land under their name
    only when complete and, with a hash, correct.

    Parameters
    ----------
    fname : str, optional
        Name of the file in the cache; the last part of ``origin`` by default.
    origin : str
        An ``http(s)://`` or ``file://`` URL, or the path of a local file.
    untar : bool, default False
        Old name of ``extract=True`` for tar archives.
    md5_hash : str, optional
        Old name of ``file_hash`` with an MD5 digest.
    file_hash : str, optional
        The expected SHA-256 (64 hex digits) or MD5 digest of the file.
    cache_subdir : str, default "datasets"
        Subfolder of the cache (an absolute path is used as it is).
    hash_algorithm : {"auto", "sha256", "md5"}, default "auto"
    extract : bool, default False
        Extract a tar or zip archive into a folder beside it and return that folder:
        ``<fname>`` when ``fname`` has no extension, ``<stem>_extracted`` when it has one.
        Members that are links or point outside the folder are refused, before anything is
        written.
    archive_format : {"auto", "tar", "zip", None}, default "auto"
    cache_dir : str, optional
        The cache's root instead of ``$LEARNET_HOME``.
    force_download : bool, default False

    Returns
    -------
    str
        The path of the file, or of the extracted folder.

    Raises
    ------
    FileNotFoundError
        If the file cannot be downloaded (no network connection, a wrong URL); the message
        says where to put the file by hand.
    ValueError
        If the file does not match ``file_hash``, or an archive holds an unsafe member.

    Examples
    --------
    >>> import os, tempfile
    >>> source = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> _ = open(source, "w").write("hello")
    >>> path = get_file(origin=source, cache_dir=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Downloading data from ...notes.txt
    >>> open(path).read()
    'hello'
    """
    from urllib.parse import unquote, urlsplit

    from learnet.datasets.errors import DatasetCorruptError, DatasetNotFoundError
    from learnet.datasets.sources import DEFAULT_TIMEOUT, cache_dir as datasets_cache

    who = "get_file"
    if origin is None:
        raise ValueError(f"{who}: give origin, the URL (or the local path) of the file")
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    algorithm = _hash_algorithm(file_hash, hash_algorithm, who)
    url = _as_url(origin, who)

    root = Path(cache_dir).expanduser() if cache_dir is not None else datasets_cache().parent
    try:
        root.mkdir(parents=True, exist_ok=True)
        writable = os.access(root, os.W_OK)
    except OSError:
        writable = False
    if not writable:
        import tempfile

        root = Path(tempfile.gettempdir()) / ".learnet"
    folder = root / cache_subdir
    folder.mkdir(parents=True, exist_ok=True)

    given_name = os.fspath(fname) if fname is not None else None
    name = given_name or unquote(os.path.basename(urlsplit(url).path))
    if not name:
        raise ValueError(f"{who}: cannot read a file name from origin {origin!r}; give fname")
    if "/" in name or os.sep in name or name in (".", ".."):
        raise ValueError(f"{who}: fname must be a plain file name, got {name!r} (use cache_dir for the folder)")
    if extract or untar:
        if given_name and "." in name:
            target = folder / name
            extraction_folder = folder / f"{name[: name.find('.')]}_extracted"
        else:
            target = folder / f"{name}_archive"
            extraction_folder = folder / name
    else:
        target = folder / name

    download = force_download or not target.exists()
    if not download and file_hash is not None and _digest(target, algorithm) != file_hash.lower():
        print(
            f"A local file was found at {target}, but its {algorithm} digest does not match {file_hash}: "
            "downloading it again."
        )
        download = True
    if download:
        import http.client
        import urllib.error

        print(f"Downloading data from {origin}")
        try:
            _download(url, target, file_hash, algorithm, DEFAULT_TIMEOUT)
        except ValueError as err:
            raise DatasetCorruptError(
                f"{who}: the file downloaded from {origin} is incomplete or corrupted ({err}); nothing was saved"
            ) from None
        except (OSError, http.client.HTTPException) as err:
            reason = err if isinstance(err, urllib.error.HTTPError) else getattr(err, "reason", None) or err
            raise DatasetNotFoundError(
                f"{who}: could not download {origin}: {reason}.\n"
                f"Without a network connection, put the file at {target} yourself"
                + (" (it is checked against file_hash)" if file_hash else "")
                + ", or pass origin the path of a local copy."
            ) from None

    if extract or untar:
        if download or not extraction_folder.is_dir():
            if not _extract_archive(target, extraction_folder, "tar" if untar else archive_format, who):
                from learnet.warn import warn

                warn(
                    f"{who}: {target} is not a {archive_format if not untar else 'tar'} archive; nothing was extracted"
                )
        return str(extraction_folder)
    return str(target)


# --- small helpers of custom training steps and functional models --------------------------------------
def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Put ``x``, ``y`` and ``sample_weight`` in the tuple a ``train_step`` receives (``keras.utils``).

    As in Keras, ``sample_weight`` is dropped when ``y`` is None, and a single tuple ``x``
    is wrapped so that it stays one input.

    Examples
    --------
    >>> pack_x_y_sample_weight(1), pack_x_y_sample_weight(1, 2), pack_x_y_sample_weight(1, 2, 3)
    (1, (1, 2), (1, 2, 3))
    """
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Split the data a ``train_step`` receives into ``(x, y, sample_weight)``, ``None`` for the missing ones.

    Examples
    --------
    >>> unpack_x_y_sample_weight((1, 2))
    (1, 2, None)
    >>> unpack_x_y_sample_weight(1)
    (1, None, None)
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError(
        f"unpack_x_y_sample_weight: data must be x, (x,), (x, y) or (x, y, sample_weight), got a tuple of {len(data)}"
    )


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic ``KerasTensor`` (what ``Input`` and layers called on it return).

    Examples
    --------
    >>> from learnet import layers
    >>> is_keras_tensor(layers.Input(shape=(3,))), is_keras_tensor(np.zeros(3))
    (True, False)
    """
    from learnet.layers.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` was computed from, in the order they are first met.

    A tensor that is itself an input gives ``[tensor]``; something that is not a symbolic
    tensor is returned as it is (as in Keras).

    Examples
    --------
    >>> from learnet import layers
    >>> a, b = layers.Input(shape=(2,)), layers.Input(shape=(3,))
    >>> out = layers.Dense(1)(layers.Concatenate()([a, b]))
    >>> [found is given for found, given in zip(get_source_inputs(out), [a, b])]
    [True, True]
    """
    if not hasattr(tensor, "_keras_history"):
        return tensor
    sources, seen = [], set()
    pending = [tensor]  # depth first, left to right, each tensor once (models share branches)
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        history = getattr(current, "_keras_history", None)
        parents = [] if history is None else [t for t in flatten(history.inputs) if hasattr(t, "_keras_history")]
        if not parents:
            sources.append(current)
        else:
            pending.extend(reversed(parents))
    return sources
