"""Image augmentation from Keras 2's ``keras.preprocessing.image``: ``ImageDataGenerator`` and its iterators.

Books and courses (Deep Learning with Python, 1st edition, and many notebooks) feed
their networks through an ``ImageDataGenerator``: it rescales and normalises images,
turns, shifts, shears, zooms and flips them at random so that every epoch sees new
variants, and reads them batch by batch from arrays (``flow``), from one folder per
class (``flow_from_directory``) or from a table of file names (``flow_from_dataframe``).
The iterators it returns are ``PyDataset`` objects, so ``fit``, ``evaluate`` and
``predict`` take them directly. New code can use ``image_dataset_from_directory`` and
the augmentation layers (``layers.RandomFlip``, ``layers.RandomRotation``...) instead.

The values follow Keras 3's ``keras.preprocessing.image`` (its legacy module): the
geometric transforms resample the image exactly as ``scipy.ndimage.affine_transform``
does, written here in NumPy so that SciPy is not needed.

As in Keras, ``for batch in iterator`` and ``next(iterator)`` give batch after batch
without end (a loop that shows augmented pictures breaks out itself), while ``fit``,
``evaluate`` and ``predict`` read the iterator by index, one epoch at a time. One thing
differs on purpose: random choices come from learnet's seeded generator
(``learnet.utils.set_random_seed``) or the iterator's own ``seed``, never from NumPy's
global one, so the numbers drawn are not Keras' numbers.

Examples
--------
>>> import numpy as np
>>> from learnet.preprocessing.image import ImageDataGenerator
>>> x = np.arange(2 * 4 * 4 * 1, dtype="float32").reshape(2, 4, 4, 1)
>>> datagen = ImageDataGenerator(rescale=1 / 255, horizontal_flip=True)
>>> batches = datagen.flow(x, np.array([0, 1]), batch_size=2, seed=0)
>>> images, labels = batches[0]
>>> len(batches), images.shape, round(float(images.max()) * 255)
(1, (2, 4, 4, 1), 31)
"""

import math
import os
import threading
import warnings

import numpy as np

from learnet import backend
from learnet.preprocessing.affine import FILL_MODES, affine_transform
from learnet.py_dataset import PyDataset
from learnet.utils import array_to_img, img_to_array, load_img, save_img

__all__ = [
    "DataFrameIterator",
    "DirectoryIterator",
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "apply_affine_transform",
    "apply_brightness_shift",
    "apply_channel_shift",
    "array_to_img",
    "img_to_array",
    "load_img",
    "random_brightness",
    "random_channel_shift",
    "random_rotation",
    "random_shear",
    "random_shift",
    "random_zoom",
    "save_img",
]

_DATA_FORMATS = ("channels_last", "channels_first")
_COLOR_MODES = ("rgb", "rgba", "grayscale")
_RESIZE_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")


def _generator(seed):
    """A NumPy generator: its own when ``seed`` is given, else learnet's seeded one."""
    return backend.host_rng() if seed is None else np.random.default_rng(seed)


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


# --- the transforms of one image ----------------------------------------------------------------------
def transform_matrix_offset_center(matrix, x, y):
    """``matrix`` (3x3, homogeneous) made to turn about the middle of an ``x`` by ``y`` image.

    Examples
    --------
    >>> transform_matrix_offset_center(np.eye(3), 4, 6)[:2, 2].tolist()
    [0.0, 0.0]
    """
    center_x, center_y = float(x) / 2 - 0.5, float(y) / 2 - 0.5
    to_center = np.array([[1, 0, center_x], [0, 1, center_y], [0, 0, 1]])
    from_center = np.array([[1, 0, -center_x], [0, 1, -center_y], [0, 0, 1]])
    return to_center @ matrix @ from_center


def _check_image_axes(x, row_axis, col_axis, channel_axis, who):
    if x.ndim != 3:
        raise ValueError(f"{who} expects one image with 3 axes (rows, cols, channels), got shape {x.shape}")
    if sorted((row_axis, col_axis, channel_axis)) != [0, 1, 2]:
        raise ValueError(
            f"{who}: row_axis, col_axis and channel_axis must be 0, 1 and 2 in some order, "
            f"got {row_axis}, {col_axis}, {channel_axis}"
        )
    if channel_axis not in (0, 2):
        raise ValueError(f"{who}: the channels must be the first or the last axis, got channel_axis={channel_axis}")


def _check_fill_mode(fill_mode, who):
    if fill_mode not in FILL_MODES:
        raise ValueError(f"{who}: unknown fill_mode {fill_mode!r}; expected one of {list(FILL_MODES)}")


def _check_order(order, who, name="order"):
    if isinstance(order, bool) or order not in (0, 1):
        raise ValueError(
            f"{who}: {name} must be 0 (nearest pixel) or 1 (bilinear, the default), got {order!r}; "
            "learnet does not resample with higher-order splines"
        )


def apply_affine_transform(
    x,
    theta=0,
    tx=0,
    ty=0,
    shear=0,
    zx=1,
    zy=1,
    row_axis=1,
    col_axis=2,
    channel_axis=0,
    fill_mode="nearest",
    cval=0.0,
    order=1,
):
    """Rotate, shift, shear and zoom one image about its middle, in one resampling.

    Parameters
    ----------
    x : numpy.ndarray
        One image with 3 axes.
    theta : float
        Rotation angle in degrees.
    tx, ty : float
        Shift in pixels along the rows (``tx``) and the columns (``ty``).
    shear : float
        Shear angle in degrees.
    zx, zy : float
        Zoom along the rows and the columns (above 1 shows a smaller part of the image).
    row_axis, col_axis, channel_axis : int
        Where rows, columns and channels are (by default channels first, as Keras' functions).
    fill_mode : {"nearest", "constant", "reflect", "wrap"}
        How the points outside the image are filled.
    cval : float
        The value outside the image for ``fill_mode="constant"``.
    order : {0, 1}
        0 takes the nearest pixel, 1 blends the four around the point (bilinear).

    Returns
    -------
    numpy.ndarray
        The transformed image, same shape and dtype (``x`` itself when nothing is asked).

    Examples
    --------
    >>> image = np.arange(9, dtype="float32").reshape(3, 3, 1)
    >>> turned = apply_affine_transform(image, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    >>> turned[..., 0].round(4)
    array([[2., 5., 8.],
           [1., 4., 7.],
           [0., 3., 6.]], dtype=float32)
    """
    x = np.asarray(x)
    who = "apply_affine_transform"
    _check_image_axes(x, row_axis, col_axis, channel_axis, who)
    _check_fill_mode(fill_mode, who)
    _check_order(order, who)
    # Each step is a 3x3 matrix on (row, col, 1) coordinates; they are multiplied in turn.
    steps = []
    if theta != 0:
        angle = np.deg2rad(theta)
        steps.append(np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]))
    if tx != 0 or ty != 0:
        steps.append(np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]]))
    if shear != 0:
        angle = np.deg2rad(shear)
        steps.append(np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]]))
    if zx != 1 or zy != 1:
        steps.append(np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]]))
    if not steps:
        return x
    matrix = steps[0]
    for step in steps[1:]:
        matrix = matrix @ step
    matrix = transform_matrix_offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
    if col_axis > row_axis:
        # The matrix speaks of (row, col) the way Keras builds it, which reads the array's
        # two image axes the other way round: swap them (P @ M @ P with P the swap).
        matrix = matrix[[1, 0, 2]][:, [1, 0, 2]]
    channels = np.moveaxis(x, channel_axis, 0)
    out = affine_transform(channels, matrix[:2, :2], matrix[:2, 2], order=order, mode=fill_mode, cval=cval)
    return np.moveaxis(out, 0, channel_axis)


def flip_axis(x, axis):
    """``x`` reversed along ``axis`` (a horizontal flip is the column axis).

    >>> flip_axis(np.array([[1, 2, 3]]), 1).tolist()
    [[3, 2, 1]]
    """
    return np.flip(np.asarray(x), axis)


def apply_channel_shift(x, intensity, channel_axis=0):
    """Add ``intensity`` to every channel, kept within the image's own minimum and maximum.

    ``channel_axis`` is accepted as in Keras; the same amount is added to every channel.

    >>> apply_channel_shift(np.array([[[0.0, 10.0]]]), 4.0, channel_axis=2).tolist()
    [[[4.0, 10.0]]]
    """
    x = np.asarray(x)
    lowest, highest = np.min(x), np.max(x)
    shifted = np.clip(x + intensity, lowest, highest)
    return shifted.astype(x.dtype) if x.dtype.kind == "f" else shifted


def random_channel_shift(x, intensity_range, channel_axis=0):
    """``apply_channel_shift`` by an amount drawn from ``[-intensity_range, intensity_range]``."""
    intensity = backend.host_rng().uniform(-intensity_range, intensity_range)
    return apply_channel_shift(x, intensity, channel_axis=channel_axis)


def _to_pil(x, scale):
    """A Pillow image from a channels-last array, cut to 8 bits as Keras does (truncation, not rounding)."""
    from PIL import Image

    array = np.asarray(x, dtype=backend.floatx())
    if scale:
        array = array - np.min(array)
        top = np.max(array)
        if top != 0:
            array = array / top
        array = array * 255
    pixels = np.clip(array, 0, 255).astype("uint8")
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if array.shape[-1] not in modes:
        raise ValueError(f"an image needs 1, 3 or 4 channels, got shape {array.shape}")
    return Image.fromarray(pixels[..., 0] if array.shape[-1] == 1 else pixels, modes[array.shape[-1]])


def apply_brightness_shift(x, brightness, scale=True):
    """Brighten (``brightness`` above 1) or darken (below 1) one channels-last image, with Pillow.

    Parameters
    ----------
    x : numpy.ndarray
        One image ``(rows, cols, channels)``.
    brightness : float
        1 leaves it as it is, 0 makes it black.
    scale : bool
        Stretch the result to 0..255. With ``scale=False`` an image whose values lie
        outside 0..255 gets back its own range.

    Examples
    --------
    >>> image = np.full((2, 2, 1), 100.0)
    >>> apply_brightness_shift(image, 0.5, scale=False)[0, 0].tolist()
    [50.0]
    """
    from PIL import ImageEnhance

    x = np.asarray(x)
    lowest, highest = np.min(x), np.max(x)
    outside_bytes = lowest < 0 or highest > 255
    image = ImageEnhance.Brightness(_to_pil(x, scale=outside_bytes or scale)).enhance(brightness)
    result = img_to_array(image)
    if outside_bytes and not scale:
        result = result / 255 * (highest - lowest) + lowest
    return result


def random_brightness(x, brightness_range, scale=True):
    """``apply_brightness_shift`` by a factor drawn from ``brightness_range`` (two numbers)."""
    if len(brightness_range) != 2:
        raise ValueError(f"random_brightness: brightness_range must be two numbers (low, high), got {brightness_range}")
    factor = backend.host_rng().uniform(brightness_range[0], brightness_range[1])
    return apply_brightness_shift(x, factor, scale)


def random_rotation(
    x, rg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0, interpolation_order=1
):
    """Rotate one image by an angle drawn from ``[-rg, rg]`` degrees."""
    theta = backend.host_rng().uniform(-rg, rg)
    return apply_affine_transform(
        x,
        theta=theta,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_shift(
    x, wrg, hrg, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0, interpolation_order=1
):
    """Shift one image by fractions of its size drawn from ``[-wrg, wrg]`` (width) and ``[-hrg, hrg]`` (height)."""
    rng = backend.host_rng()
    tx = rng.uniform(-hrg, hrg) * x.shape[row_axis]
    ty = rng.uniform(-wrg, wrg) * x.shape[col_axis]
    return apply_affine_transform(
        x,
        tx=tx,
        ty=ty,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_shear(
    x, intensity, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0, interpolation_order=1
):
    """Shear one image by an angle drawn from ``[-intensity, intensity]`` degrees."""
    shear = backend.host_rng().uniform(-intensity, intensity)
    return apply_affine_transform(
        x,
        shear=shear,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


def random_zoom(
    x, zoom_range, row_axis=1, col_axis=2, channel_axis=0, fill_mode="nearest", cval=0.0, interpolation_order=1
):
    """Zoom one image by factors (rows, cols) drawn from ``zoom_range = (low, high)``."""
    if len(zoom_range) != 2:
        raise ValueError(f"random_zoom: zoom_range must be two numbers (low, high), got {zoom_range}")
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        zx, zy = 1, 1
    else:
        zx, zy = backend.host_rng().uniform(zoom_range[0], zoom_range[1], 2)
    return apply_affine_transform(
        x,
        zx=zx,
        zy=zy,
        row_axis=row_axis,
        col_axis=col_axis,
        channel_axis=channel_axis,
        fill_mode=fill_mode,
        cval=cval,
        order=interpolation_order,
    )


# --- ImageDataGenerator -------------------------------------------------------------------------------
def _draw_shift(rng, spec, size):
    """A shift in pixels from a ``width_shift_range``/``height_shift_range`` setting, read as Keras reads it:
    a float below 1 is a fraction of ``size``; an int ``n`` gives whole pixels in ``(-n, n)``; a list
    gives one of its values, with a random sign."""
    if isinstance(spec, (int, np.integer)):
        shift = float(rng.integers(0, spec)) * rng.choice([-1, 1])
    elif _is_number(spec):
        shift = rng.uniform(-spec, spec)
    else:
        shift = float(rng.choice(np.asarray(spec))) * rng.choice([-1, 1])
    if np.max(spec) < 1:
        shift *= size
    return shift


def _check_shift_range(value, name):
    if _is_number(value):
        return
    try:
        values = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1 or values.size == 0:
        raise ValueError(
            f"ImageDataGenerator: {name} must be a float (a fraction of the image, or pixels when >= 1), "
            f"an int (pixels) or a list of values, got {value!r}"
        )


class ImageDataGenerator:
    """Batches of images, rescaled, normalised and randomly changed (augmented) on the fly.

    Parameters
    ----------
    featurewise_center, featurewise_std_normalization : bool
        Subtract the data set's mean per channel / divide by its standard deviation
        (learnt by ``fit``).
    samplewise_center, samplewise_std_normalization : bool
        The same, per image.
    zca_whitening : bool
        Decorrelate the pixels with a ZCA whitening matrix learnt by ``fit``.
    zca_epsilon : float
        Added to the singular values before inverting them.
    rotation_range : float
        Random rotations in ``[-rotation_range, rotation_range]`` degrees.
    width_shift_range, height_shift_range : float, int or list
        Random shifts: a float below 1 is a fraction of the width/height, a float of 1 or
        more a number of pixels; an int ``n`` gives whole pixels in ``(-n, n)``; a list
        gives one of its values with a random sign.
    brightness_range : (float, float), optional
        Random brightness factors (1 keeps the image).
    shear_range : float
        Random shear angles in ``[-shear_range, shear_range]`` degrees.
    zoom_range : float or (float, float)
        Random zoom factors in ``[1 - zoom_range, 1 + zoom_range]`` or ``[low, high]``.
    channel_shift_range : float
        Random shifts of the channel values in ``[-channel_shift_range, channel_shift_range]``.
    fill_mode : {"nearest", "constant", "reflect", "wrap"}
        How the points moved in from outside the image are filled.
    cval : float
        The fill value for ``fill_mode="constant"``.
    horizontal_flip, vertical_flip : bool
        Flip half of the images left-right / upside down.
    rescale : float, optional
        Multiply every image by this first (``1 / 255`` turns bytes into 0..1).
    preprocessing_function : callable, optional
        Run on each image (after the augmentation, before the rest of ``standardize``).
    data_format : {"channels_last", "channels_first"}, optional
        ``channels_last`` (learnet's layout) by default.
    validation_split : float
        The fraction of the images kept for ``subset="validation"``, strictly between 0 and 1.
    interpolation_order : {0, 1}
        0 takes the nearest pixel when resampling, 1 (the default) blends bilinearly.
    dtype : str, optional
        The dtype of the batches (``float32``).

    Examples
    --------
    >>> datagen = ImageDataGenerator(rotation_range=40, width_shift_range=0.2, zoom_range=0.2,
    ...                              horizontal_flip=True, fill_mode="nearest")
    >>> datagen.zoom_range
    [0.8, 1.2]
    >>> datagen.random_transform(np.zeros((8, 8, 3), "float32"), seed=1).shape
    (8, 8, 3)
    """

    def __init__(
        self,
        featurewise_center=False,
        samplewise_center=False,
        featurewise_std_normalization=False,
        samplewise_std_normalization=False,
        zca_whitening=False,
        zca_epsilon=1e-6,
        rotation_range=0,
        width_shift_range=0.0,
        height_shift_range=0.0,
        brightness_range=None,
        shear_range=0.0,
        zoom_range=0.0,
        channel_shift_range=0.0,
        fill_mode="nearest",
        cval=0.0,
        horizontal_flip=False,
        vertical_flip=False,
        rescale=None,
        preprocessing_function=None,
        data_format=None,
        validation_split=0.0,
        interpolation_order=1,
        dtype=None,
    ):
        # Everything is checked before anything is kept.
        data_format = data_format or "channels_last"
        if data_format not in _DATA_FORMATS:
            raise ValueError(
                f'ImageDataGenerator: data_format must be "channels_last" (channels after rows and columns) '
                f'or "channels_first", got {data_format!r}'
            )
        if validation_split and not (_is_number(validation_split) and 0 < validation_split < 1):
            raise ValueError(
                f"ImageDataGenerator: validation_split must be strictly between 0 and 1, got {validation_split!r}"
            )
        if _is_number(zoom_range):
            zoom = [1 - zoom_range, 1 + zoom_range]
        elif (
            isinstance(zoom_range, (list, tuple, np.ndarray))
            and len(zoom_range) == 2
            and all(_is_number(value) for value in zoom_range)
        ):
            zoom = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(
                f"ImageDataGenerator: zoom_range must be a float or a tuple or list of two floats, got {zoom_range!r}"
            )
        if brightness_range is not None and (
            not isinstance(brightness_range, (tuple, list, np.ndarray)) or len(brightness_range) != 2
        ):
            raise ValueError(
                f"ImageDataGenerator: brightness_range must be a tuple or list of two floats, got {brightness_range!r}"
            )
        _check_shift_range(width_shift_range, "width_shift_range")
        _check_shift_range(height_shift_range, "height_shift_range")
        _check_fill_mode(fill_mode, "ImageDataGenerator")
        _check_order(interpolation_order, "ImageDataGenerator", "interpolation_order")
        if rescale is not None and not _is_number(rescale):
            raise ValueError(f"ImageDataGenerator: rescale must be a number (such as 1/255), got {rescale!r}")
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError(
                f"ImageDataGenerator: preprocessing_function must be a function, got {type(preprocessing_function)}"
            )

        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.brightness_range = brightness_range
        self.shear_range = shear_range
        self.zoom_range = zoom
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.data_format = data_format
        self.interpolation_order = interpolation_order
        self.dtype = dtype or backend.floatx()
        self._validation_split = validation_split
        # Axes of a batch; one image has the same axes less one.
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None

        # Some settings need others, as in Keras: say so and turn them on.
        if zca_whitening:
            if not featurewise_center:
                self.featurewise_center = True
                warnings.warn("ImageDataGenerator: zca_whitening turns on featurewise_center", stacklevel=2)
            if featurewise_std_normalization:
                self.featurewise_std_normalization = False
                warnings.warn("ImageDataGenerator: zca_whitening turns off featurewise_std_normalization", stacklevel=2)
        if self.featurewise_std_normalization and not self.featurewise_center:
            self.featurewise_center = True
            warnings.warn("ImageDataGenerator: featurewise_std_normalization turns on featurewise_center", stacklevel=2)
        if samplewise_std_normalization and not samplewise_center:
            self.samplewise_center = True
            warnings.warn("ImageDataGenerator: samplewise_std_normalization turns on samplewise_center", stacklevel=2)

    # --- where the images come from ---
    def flow(
        self,
        x,
        y=None,
        batch_size=32,
        shuffle=True,
        sample_weight=None,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        ignore_class_split=False,
        subset=None,
    ):
        """Batches from arrays: ``x`` of shape ``(samples, rows, cols, channels)`` and labels ``y``.

        ``x`` may also be ``(images, other_inputs)`` (an array or a list of arrays with the
        same number of samples), given to the model next to the images.

        Returns
        -------
        NumpyArrayIterator
            ``(x, y)`` batches (``(x, y, sample_weight)`` with weights; ``x`` alone without ``y``).
        """
        return NumpyArrayIterator(
            x,
            y,
            self,
            batch_size=batch_size,
            shuffle=shuffle,
            sample_weight=sample_weight,
            seed=seed,
            data_format=self.data_format,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            ignore_class_split=ignore_class_split,
            subset=subset,
            dtype=self.dtype,
        )

    def flow_from_directory(
        self,
        directory,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        follow_links=False,
        subset=None,
        interpolation="nearest",
        keep_aspect_ratio=False,
    ):
        """Batches of the images in ``directory``, one subfolder per class.

        Parameters
        ----------
        directory : str or path-like
            Holds one subfolder per class (``cats/``, ``dogs/``); the images in each
            (``png``, ``jpg``, ``jpeg``, ``bmp``, ``ppm``, ``tif``, ``tiff``, at any depth) are its class.
        target_size : (int, int)
            Every image is resized to ``(height, width)``.
        color_mode : {"rgb", "rgba", "grayscale"}
            3, 4 or 1 channels.
        classes : list of str, optional
            The subfolders to read, in this order (their index is the label); all, sorted, by default.
        class_mode : {"categorical", "binary", "sparse", "input", None}
            Labels as one-hot rows, 0/1, class numbers, the images themselves
            (autoencoders) or none (``predict``).
        batch_size, shuffle, seed :
            As ``flow``.
        subset : {"training", "validation"}, optional
            One part of each class, cut by ``validation_split``.
        interpolation : {"nearest", "bilinear", "bicubic", "lanczos", "box", "hamming"}
            How images are resized.
        keep_aspect_ratio : bool
            Crop the middle to the target's aspect ratio before resizing.

        Returns
        -------
        DirectoryIterator
        """
        return DirectoryIterator(
            directory,
            self,
            target_size=target_size,
            color_mode=color_mode,
            keep_aspect_ratio=keep_aspect_ratio,
            classes=classes,
            class_mode=class_mode,
            data_format=self.data_format,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            follow_links=follow_links,
            subset=subset,
            interpolation=interpolation,
            dtype=self.dtype,
        )

    def flow_from_dataframe(
        self,
        dataframe,
        directory=None,
        x_col="filename",
        y_col="class",
        weight_col=None,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        subset=None,
        interpolation="nearest",
        validate_filenames=True,
        **kwargs,
    ):
        """Batches of the image files named in a pandas ``DataFrame`` (column ``x_col``), labelled by ``y_col``.

        ``class_mode`` is one of ``"categorical"`` (labels are class names, or lists of
        names for several classes at once), ``"binary"``, ``"sparse"``, ``"raw"`` (the
        values of ``y_col`` as they are), ``"multi_output"`` (``y_col`` a list of columns),
        ``"input"`` or ``None``. Needs pandas.

        Returns
        -------
        DataFrameIterator
        """
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError(
                "ImageDataGenerator.flow_from_dataframe needs pandas: pip install pandas "
                "(or use flow_from_directory, or flow with arrays)"
            ) from None
        for name, message in (
            ("has_ext", "has_ext is deprecated: the file names must match the files on disk"),
            ("sort", "sort is deprecated: with shuffle=False the batches keep the table's order"),
            ("drop_duplicates", "drop_duplicates is deprecated: use DataFrame.drop_duplicates"),
        ):
            if name in kwargs:
                warnings.warn(message, DeprecationWarning, stacklevel=2)
        if class_mode == "other":
            warnings.warn('class_mode="other" is deprecated, use class_mode="raw"', DeprecationWarning, stacklevel=2)
            class_mode = "raw"
        return DataFrameIterator(
            dataframe,
            directory,
            self,
            x_col=x_col,
            y_col=y_col,
            weight_col=weight_col,
            target_size=target_size,
            color_mode=color_mode,
            classes=classes,
            class_mode=class_mode,
            data_format=self.data_format,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            save_to_dir=save_to_dir,
            save_prefix=save_prefix,
            save_format=save_format,
            subset=subset,
            interpolation=interpolation,
            validate_filenames=validate_filenames,
            dtype=self.dtype,
        )

    # --- what is done to each image ---
    def standardize(self, x):
        """Apply the normalisation settings (``preprocessing_function``, ``rescale``, the centring
        and scaling, ZCA whitening) to an image or a batch, in place as in Keras.

        Pass ``np.copy(x)`` to keep ``x``. ``featurewise_*`` and ``zca_whitening`` need
        ``fit`` first; without it they are skipped with a warning.

        Examples
        --------
        >>> ImageDataGenerator(rescale=0.5).standardize(np.full((1, 1, 1), 4.0)).tolist()
        [[[2.0]]]
        """
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        x = np.asarray(x)
        if x.dtype.kind != "f":
            x = x.astype(self.dtype)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is not None:
                x -= self.mean
            else:
                warnings.warn(self._not_fitted("featurewise_center"), stacklevel=2)
        if self.featurewise_std_normalization:
            if self.std is not None:
                x /= self.std + 1e-6
            else:
                warnings.warn(self._not_fitted("featurewise_std_normalization"), stacklevel=2)
        if self.zca_whitening:
            if self.zca_whitening_matrix is not None:
                flat = x.reshape(-1, math.prod(x.shape[-3:]))
                x = np.reshape(flat @ self.zca_whitening_matrix, x.shape)
            else:
                warnings.warn(self._not_fitted("zca_whitening"), stacklevel=2)
        return x

    @staticmethod
    def _not_fitted(setting):
        return (
            f"This ImageDataGenerator specifies {setting}, but it hasn't been fit on any training data: "
            "call .fit(x_train) first"
        )

    def get_random_transform(self, img_shape, seed=None):
        """Draw the parameters of one random transformation of an image of shape ``img_shape``.

        Returns
        -------
        dict
            ``theta``, ``tx``, ``ty``, ``shear``, ``zx``, ``zy``, ``flip_horizontal``,
            ``flip_vertical``, ``channel_shift_intensity``, ``brightness``: what
            ``apply_transform`` takes.

        Examples
        --------
        >>> params = ImageDataGenerator(rotation_range=10).get_random_transform((8, 8, 3), seed=0)
        >>> -10 <= params["theta"] <= 10, params["tx"], params["zx"]
        (True, 0, 1)
        """
        rng = _generator(seed)
        rows, cols = img_shape[self.row_axis - 1], img_shape[self.col_axis - 1]
        theta = rng.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = _draw_shift(rng, self.height_shift_range, rows) if np.any(self.height_shift_range) else 0
        ty = _draw_shift(rng, self.width_shift_range, cols) if np.any(self.width_shift_range) else 0
        shear = rng.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = rng.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = bool(self.horizontal_flip) and rng.random() < 0.5
        flip_vertical = bool(self.vertical_flip) and rng.random() < 0.5
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = rng.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = rng.uniform(self.brightness_range[0], self.brightness_range[1])
        return {
            "theta": theta,
            "tx": tx,
            "ty": ty,
            "shear": shear,
            "zx": zx,
            "zy": zy,
            "flip_horizontal": flip_horizontal,
            "flip_vertical": flip_vertical,
            "channel_shift_intensity": channel_shift_intensity,
            "brightness": brightness,
        }

    def apply_transform(self, x, transform_parameters):
        """Transform one image (3 axes) by the parameters ``get_random_transform`` draws.

        Missing keys mean "no change": ``{"theta": 90}`` only turns the image.

        Examples
        --------
        >>> image = np.arange(4, dtype="float32").reshape(2, 2, 1)
        >>> ImageDataGenerator().apply_transform(image, {"flip_horizontal": True})[..., 0].tolist()
        [[1.0, 0.0], [3.0, 2.0]]
        """
        row_axis, col_axis, channel_axis = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        x = apply_affine_transform(
            x,
            transform_parameters.get("theta", 0),
            transform_parameters.get("tx", 0),
            transform_parameters.get("ty", 0),
            transform_parameters.get("shear", 0),
            transform_parameters.get("zx", 1),
            transform_parameters.get("zy", 1),
            row_axis=row_axis,
            col_axis=col_axis,
            channel_axis=channel_axis,
            fill_mode=self.fill_mode,
            cval=self.cval,
            order=self.interpolation_order,
        )
        if transform_parameters.get("channel_shift_intensity") is not None:
            x = apply_channel_shift(x, transform_parameters["channel_shift_intensity"], channel_axis)
        if transform_parameters.get("flip_horizontal", False):
            x = flip_axis(x, col_axis)
        if transform_parameters.get("flip_vertical", False):
            x = flip_axis(x, row_axis)
        if transform_parameters.get("brightness") is not None:
            channels_last = np.moveaxis(x, channel_axis, -1)
            brightened = apply_brightness_shift(channels_last, transform_parameters["brightness"], False)
            x = np.moveaxis(brightened, -1, channel_axis)
        return x

    def random_transform(self, x, seed=None):
        """One image (3 axes), randomly transformed by the generator's settings.

        The same ``seed`` gives the same transformation.
        """
        return self.apply_transform(x, self.get_random_transform(np.shape(x), seed))

    def fit(self, x, augment=False, rounds=1, seed=None):
        """Learn the statistics ``featurewise_*`` and ``zca_whitening`` need from images ``x``.

        Parameters
        ----------
        x : array_like
            Images ``(samples, rows, cols, channels)``; ``rescale`` is applied first.
        augment : bool
            Learn from randomly transformed copies of the images.
        rounds : int
            With ``augment``, how many transformed copies of each image.
        seed : int, optional
            Seed of the random transformations.

        Examples
        --------
        >>> datagen = ImageDataGenerator(featurewise_center=True)
        >>> datagen.fit(np.ones((4, 2, 2, 3)) * [1.0, 2.0, 3.0])
        >>> datagen.mean.ravel().tolist()
        [1.0, 2.0, 3.0]
        """
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(
                f"ImageDataGenerator.fit expects images with 4 axes (samples, rows, cols, channels), "
                f"got an array of shape {x.shape}"
            )
        if not isinstance(rounds, (int, np.integer)) or rounds < 1:
            raise ValueError(f"ImageDataGenerator.fit: rounds must be a positive int, got {rounds!r}")
        if x.shape[self.channel_axis] not in (1, 3, 4):
            warnings.warn(
                f'ImageDataGenerator.fit: with data_format "{self.data_format}" the channels are axis '
                f"{self.channel_axis}, expected 1, 3 or 4 of them; got shape {x.shape} "
                f"({x.shape[self.channel_axis]} channels)",
                stacklevel=2,
            )
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            rng = _generator(seed)
            augmented = np.zeros((rounds * x.shape[0],) + x.shape[1:], dtype=self.dtype)
            for index in range(rounds * x.shape[0]):
                image_seed = int(rng.integers(2**32))
                augmented[index] = self.random_transform(x[index % x.shape[0]], seed=image_seed)
            x = augmented
        broadcast = [1, 1, 1]
        broadcast[self.channel_axis - 1] = x.shape[self.channel_axis]
        axes = (0, self.row_axis, self.col_axis)
        if self.featurewise_center:
            self.mean = np.reshape(np.mean(x, axis=axes), broadcast)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.reshape(np.std(x, axis=axes), broadcast)
            x /= self.std + 1e-6
        if self.zca_whitening:
            # ZCA: with x = U S V^T (columns of U: the pixels' principal directions), the
            # matrix U diag(sqrt(n) / (S + eps)) U^T makes the pixels' covariance the identity.
            samples = len(x)
            flat = np.reshape(x, (samples, -1))
            u, s, _ = np.linalg.svd(flat.T, full_matrices=False)
            self.zca_whitening_matrix = (u * (np.sqrt(samples) / (s + self.zca_epsilon))) @ u.T


# --- the iterators ------------------------------------------------------------------------------------
class Iterator(PyDataset):
    """The base of the image iterators: ``n`` samples in batches of ``batch_size``.

    A subclass builds the batch of some sample indices in ``_get_batches_of_transformed_samples``.
    ``iterator[i]`` is batch ``i`` of the epoch and ``len(iterator)`` the number of batches,
    so ``fit`` reads it like any ``PyDataset``; ``on_epoch_end`` reshuffles.
    ``next(iterator)`` gives batch after batch without end, as in Keras, starting a new
    (reshuffled) pass over the data when one ends.

    Parameters
    ----------
    n : int
        Number of samples.
    batch_size : int
    shuffle : bool
        A new order of the samples at each epoch.
    seed : int, optional
        Seed of the order and the random transformations (learnet's seeded generator without it).
    """

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n, batch_size, shuffle, seed, **kwargs):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"{type(self).__name__}: batch_size must be a positive int, got {batch_size!r}")
        super().__init__(**kwargs)
        self.n = n
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self._rng = _generator(seed)

    def _set_index_array(self):
        self.index_array = self._rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def __getitem__(self, idx):
        count = len(self)
        if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} indices are batch numbers (int), got {type(idx).__name__}")
        if not -count <= idx < count:
            raise IndexError(f"Asked for batch {idx}, but {type(self).__name__} has {count} batches")
        idx = int(idx) % count
        if self.index_array is None:
            self._set_index_array()
        self.total_batches_seen += 1
        assert self.index_array is not None
        return self._get_batches_of_transformed_samples(
            self.index_array[self.batch_size * idx : self.batch_size * (idx + 1)]
        )

    def on_epoch_end(self):
        """Reshuffle (with ``shuffle=True``) for the next epoch."""
        self._set_index_array()

    def reset(self):
        """Start ``next()`` over from the first batch of a new pass."""
        self.batch_index = 0

    def _next_index_array(self):
        with self.lock:
            if self.batch_index == 0:
                self._set_index_array()
            assert self.index_array is not None
            start = (self.batch_index * self.batch_size) % self.n if self.n else 0
            # The last batch of a pass may be short; the next pass starts again at 0.
            self.batch_index = self.batch_index + 1 if self.n > start + self.batch_size else 0
            self.total_batches_seen += 1
            return self.index_array[start : start + self.batch_size]

    def next(self):
        """The next batch of the endless stream (Keras 2's ``iterator.next()``)."""
        return self._get_batches_of_transformed_samples(self._next_index_array())

    def __next__(self):
        return self.next()

    def __iter__(self):
        """The iterator itself: ``for batch in iterator`` runs without end, as in Keras."""
        return self

    def _get_batches_of_transformed_samples(self, index_array):
        """The batch of the samples ``index_array``; subclasses build it."""
        raise NotImplementedError(f"{type(self).__name__} must define _get_batches_of_transformed_samples")

    # --- shared by the iterators that transform images ---
    def _transform(self, image):
        """``image`` randomly transformed and standardized by the iterator's generator."""
        generator = self.image_data_generator
        if not generator:
            return image
        if self.seed is None:
            params = generator.get_random_transform(image.shape)
        else:
            params = generator.get_random_transform(image.shape, seed=int(self._rng.integers(2**32)))
        image = generator.apply_transform(image, params)
        return generator.standardize(image)

    def _save_batch(self, batch_x, index_array, hash_range):
        for image, index in zip(batch_x, index_array):
            name = f"{self.save_prefix}_{index}_{backend.host_rng().integers(hash_range)}.{self.save_format}"
            array_to_img(image, self.data_format, scale=True).save(os.path.join(self.save_to_dir, name))


def _check_subset(subset, generator, who):
    """The ``(start, stop)`` fractions of each class that ``subset`` keeps (``None``: all)."""
    if subset is None:
        return None
    if subset not in ("training", "validation"):
        raise ValueError(f'{who}: subset must be "training" or "validation", got {subset!r}')
    split = getattr(generator, "_validation_split", 0) if generator else 0
    if not split:
        raise ValueError(
            f"{who}: subset={subset!r} needs a validation split: create the generator with "
            "ImageDataGenerator(validation_split=0.2), say"
        )
    return (0.0, split) if subset == "validation" else (split, 1.0)


class NumpyArrayIterator(Iterator):
    """Batches of images from arrays, made by ``ImageDataGenerator.flow``.

    Parameters
    ----------
    x : array_like or (array_like, array_like or list)
        Images ``(samples, rows, cols, channels)``, or ``(images, other_inputs)``.
    y : array_like, optional
        Labels, one per image.
    image_data_generator : ImageDataGenerator
        The transformations and normalisation.
    batch_size, shuffle, seed :
        As ``Iterator``.
    sample_weight : array_like, optional
        One weight per image, returned as the third item of each batch.
    data_format : {"channels_last", "channels_first"}, optional
    save_to_dir : str, optional
        Save every augmented image there (to look at the augmentation).
    save_prefix, save_format : str
        The saved files' name prefix and format.
    subset : {"training", "validation"}, optional
        The last part of the images (training) or the first (validation), cut by the
        generator's ``validation_split``.
    ignore_class_split : bool
        Allow a split where the two parts do not hold the same classes.
    dtype : str, optional
    """

    def __init__(
        self,
        x,
        y,
        image_data_generator,
        batch_size=32,
        shuffle=False,
        sample_weight=None,
        seed=None,
        data_format=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        subset=None,
        ignore_class_split=False,
        dtype=None,
    ):
        who = type(self).__name__
        data_format = data_format or "channels_last"
        if data_format not in _DATA_FORMATS:
            raise ValueError(f"{who}: data_format must be one of {_DATA_FORMATS}, got {data_format!r}")
        self.dtype = dtype or backend.floatx()
        if isinstance(x, (tuple, list)):
            if len(x) != 2:
                raise ValueError(f"{who}: x must be images, or (images, other_inputs); got {len(x)} items")
            extra = x[1] if isinstance(x[1], list) else [x[1]]
            x_misc = [np.asarray(part) for part in extra]
            x = np.asarray(x[0])
            for part in x_misc:
                if len(part) != len(x):
                    raise ValueError(
                        f"{who}: all the arrays in x need one row per image; found {len(x)} images "
                        f"and an array of {len(part)} rows"
                    )
        else:
            x = np.asarray(x)
            x_misc = []
        if y is not None:
            y = np.asarray(y)
            if len(x) != len(y):
                raise ValueError(
                    f"{who}: x (images) and y (labels) need the same length; got x.shape = {x.shape}, "
                    f"y.shape = {y.shape}"
                )
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)
            if len(x) != len(sample_weight):
                raise ValueError(
                    f"{who}: x (images) and sample_weight need the same length; got x.shape = {x.shape}, "
                    f"sample_weight.shape = {sample_weight.shape}"
                )
        if x.ndim != 4:
            raise ValueError(
                f"{who}: the images need 4 axes (samples, rows, cols, channels); got an array of shape {x.shape}"
            )
        split = _check_subset(subset, image_data_generator, who)
        if split is not None:
            cut = int(len(x) * split[1 if subset == "validation" else 0])
            if y is not None and not ignore_class_split and not np.array_equal(np.unique(y[:cut]), np.unique(y[cut:])):
                raise ValueError(
                    f"{who}: the training and validation subsets hold different classes after the split; "
                    "if the arrays are sorted by label, shuffle them first (or pass ignore_class_split=True)"
                )
            part = slice(0, cut) if subset == "validation" else slice(cut, None)
            x, x_misc = x[part], [extra[part] for extra in x_misc]
            y = None if y is None else y[part]
            sample_weight = None if sample_weight is None else sample_weight[part]
        channel_axis = 3 if data_format == "channels_last" else 1
        if x.shape[channel_axis] not in (1, 3, 4):
            warnings.warn(
                f'{who}: with data_format "{data_format}" the channels are axis {channel_axis}, expected 1, 3 '
                f"or 4 of them; got shape {x.shape} ({x.shape[channel_axis]} channels)",
                stacklevel=2,
            )
        self.x = np.asarray(x, dtype=self.dtype)
        self.x_misc = x_misc
        self.y = y
        self.sample_weight = sample_weight
        self.image_data_generator = image_data_generator
        self.data_format = data_format
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        super().__init__(len(self.x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for position, index in enumerate(index_array):
            batch_x[position] = self._transform(np.array(self.x[index], dtype=self.dtype))
        if self.save_to_dir:
            self._save_batch(batch_x, index_array, 10**4)
        inputs = [batch_x] + [extra[index_array] for extra in self.x_misc] if self.x_misc else batch_x
        if self.y is None:
            return inputs
        if self.sample_weight is None:
            return inputs, self.y[index_array]
        return inputs, self.y[index_array], self.sample_weight[index_array]


class _FileIterator(Iterator):
    """What the directory and the table iterators share: reading image files into batches."""

    allowed_class_modes: tuple = ()

    def _set_processing_attrs(
        self,
        who,
        image_data_generator,
        target_size,
        color_mode,
        class_mode,
        data_format,
        save_to_dir,
        save_prefix,
        save_format,
        subset,
        interpolation,
        keep_aspect_ratio,
        dtype,
    ):
        if color_mode not in _COLOR_MODES:
            raise ValueError(f"{who}: invalid color_mode {color_mode!r}; expected one of {list(_COLOR_MODES)}")
        if class_mode not in self.allowed_class_modes:
            raise ValueError(
                f"{who}: invalid class_mode {class_mode!r}; expected one of {list(self.allowed_class_modes)}"
            )
        if interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(
                f"{who}: invalid interpolation {interpolation!r}; expected one of {list(_RESIZE_INTERPOLATIONS)}"
            )
        data_format = data_format or "channels_last"
        if data_format not in _DATA_FORMATS:
            raise ValueError(f"{who}: data_format must be one of {_DATA_FORMATS}, got {data_format!r}")
        try:
            size = tuple(int(side) for side in target_size)
        except (TypeError, ValueError):
            size = ()
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"{who}: target_size must be (height, width), two positive ints; got {target_size!r}")
        self.split = _check_subset(subset, image_data_generator, who)
        self.image_data_generator = image_data_generator
        self.target_size = size
        self.color_mode = color_mode
        self.class_mode = class_mode
        self.data_format = data_format
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = size + (channels,) if data_format == "channels_last" else (channels,) + size
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format
        self.subset = subset
        self.interpolation = interpolation
        self.keep_aspect_ratio = keep_aspect_ratio
        self.dtype = dtype or backend.floatx()

    @property
    def filepaths(self):
        """The path of every image file, in order."""
        return self._filepaths

    @property
    def labels(self):
        """The label of every image (its class number)."""
        return self.classes

    @property
    def sample_weight(self):
        """The weight of every image, or ``None``."""
        return None

    def _get_batches_of_transformed_samples(self, index_array):
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        paths = self.filepaths
        for position, index in enumerate(index_array):
            image = load_img(
                paths[index],
                color_mode=self.color_mode,
                target_size=self.target_size,
                interpolation=self.interpolation,
                keep_aspect_ratio=self.keep_aspect_ratio,
            )
            batch_x[position] = self._transform(img_to_array(image, data_format=self.data_format))
        if self.save_to_dir:
            self._save_batch(batch_x, index_array, 10**7)
        if self.class_mode is None:
            return batch_x
        if self.class_mode == "input":
            batch_y = batch_x.copy()
        elif self.class_mode in ("binary", "sparse"):
            batch_y = np.asarray([self.classes[index] for index in index_array], dtype=self.dtype)
        elif self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), len(self.class_indices)), dtype=self.dtype)
            for position, index in enumerate(index_array):
                batch_y[position, self.classes[index]] = 1.0
        elif self.class_mode == "multi_output":
            batch_y = [output[index_array] for output in self.labels]
        else:  # "raw"
            batch_y = self.labels[index_array]
        if self.sample_weight is None:
            return batch_x, batch_y
        return batch_x, batch_y, self.sample_weight[index_array]


def _image_files(directory, formats, follow_links):
    """``(folder, file name)`` of the image files under ``directory``, at any depth, in sorted order."""
    for root, _, files in sorted(os.walk(directory, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(".tiff"):
                warnings.warn(".tiff files with several bands may come out distorted: check them", stacklevel=3)
            if name.lower().endswith(formats):
                yield root, name


class DirectoryIterator(_FileIterator):
    """Batches of the images in a folder with one subfolder per class, made by ``flow_from_directory``.

    Attributes
    ----------
    class_indices : dict
        Class name (subfolder) to class number.
    classes : numpy.ndarray
        The class number of every image, in order.
    filenames : list of str
        Every image's path relative to ``directory`` (``"cats/cat.1.png"``).
    samples : int
        The number of images.

    See ``ImageDataGenerator.flow_from_directory`` for the parameters.
    """

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(
        self,
        directory,
        image_data_generator,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        data_format=None,
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        follow_links=False,
        subset=None,
        interpolation="nearest",
        keep_aspect_ratio=False,
        dtype=None,
    ):
        who = "flow_from_directory"
        self._set_processing_attrs(
            who,
            image_data_generator,
            target_size,
            color_mode,
            class_mode,
            data_format,
            save_to_dir,
            save_prefix,
            save_format,
            subset,
            interpolation,
            keep_aspect_ratio,
            dtype,
        )
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{who}: there is no directory {directory!r} (one subfolder per class expected)")
        if not classes:
            classes = sorted(name for name in os.listdir(directory) if os.path.isdir(os.path.join(directory, name)))
        else:
            missing = [name for name in classes if not os.path.isdir(os.path.join(directory, name))]
            if missing:
                raise FileNotFoundError(f"{who}: no subfolder for the classes {missing} in {directory!r}")
        self.directory = directory
        self.num_classes = len(classes)
        self.class_indices = {name: index for index, name in enumerate(classes)}

        filenames, labels = [], []
        for name in classes:
            folder = os.path.join(directory, name)
            found = list(_image_files(folder, self.white_list_formats, follow_links))
            if self.split is not None:
                found = found[int(self.split[0] * len(found)) : int(self.split[1] * len(found))]
            for root, file_name in found:
                filenames.append(os.path.join(name, os.path.relpath(os.path.join(root, file_name), folder)))
                labels.append(self.class_indices[name])
        self.filenames = filenames
        self.samples = len(filenames)
        self.classes = np.asarray(labels, dtype="int32")
        self._filepaths = [os.path.join(directory, name) for name in filenames]
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        super().__init__(self.samples, batch_size, shuffle, seed)


class DataFrameIterator(_FileIterator):
    """Batches of the image files listed in a table, made by ``flow_from_dataframe``.

    ``dataframe`` is a pandas ``DataFrame``, or anything whose ``dataframe[column]`` gives
    a column's values (a dict of lists does). See ``ImageDataGenerator.flow_from_dataframe``
    for the parameters.
    """

    allowed_class_modes = ("binary", "categorical", "input", "multi_output", "raw", "sparse", None)

    def __init__(
        self,
        dataframe,
        directory=None,
        image_data_generator=None,
        x_col="filename",
        y_col="class",
        weight_col=None,
        target_size=(256, 256),
        color_mode="rgb",
        classes=None,
        class_mode="categorical",
        batch_size=32,
        shuffle=True,
        seed=None,
        data_format="channels_last",
        save_to_dir=None,
        save_prefix="",
        save_format="png",
        subset=None,
        interpolation="nearest",
        keep_aspect_ratio=False,
        dtype="float32",
        validate_filenames=True,
    ):
        who = "flow_from_dataframe"
        self._set_processing_attrs(
            who,
            image_data_generator,
            target_size,
            color_mode,
            class_mode,
            data_format,
            save_to_dir,
            save_prefix,
            save_format,
            subset,
            interpolation,
            keep_aspect_ratio,
            dtype,
        )
        self.directory = os.fspath(directory) if directory else ""
        labelled = class_mode not in ("input", "multi_output", "raw", None)
        # The table as plain lists, one per column used.
        names = list(dataframe[x_col])
        y_columns = list(y_col) if isinstance(y_col, (list, tuple)) else [y_col]
        if class_mode == "multi_output" and not isinstance(y_col, list):
            raise TypeError(f'{who}: class_mode="multi_output" needs y_col to be a list of columns, got {y_col!r}')
        targets = {column: list(dataframe[column]) for column in y_columns} if class_mode is not None else {}
        weights = np.asarray(list(dataframe[weight_col])) if weight_col else None
        if weights is not None and weights.dtype.kind not in "biuf":
            raise TypeError(f"{who}: the column weight_col={weight_col!r} must hold numbers")
        if not all(isinstance(name, str) for name in names):
            raise TypeError(f"{who}: every value in the column x_col={x_col!r} must be a file name (str)")
        labels = targets.get(y_col) if labelled else None
        if labels is not None:
            self._check_labels(labels, classes, class_mode, y_col, who)
        if classes and not labelled:
            warnings.warn(f'{who}: classes are not used with class_mode="{class_mode}"', stacklevel=2)

        keep = list(range(len(names)))
        if validate_filenames:
            keep = [row for row in keep if self._is_image_file(os.path.join(self.directory, names[row]))]
            if len(keep) < len(names):
                warnings.warn(
                    f'{who}: {len(names) - len(keep)} invalid image file name(s) in x_col="{x_col}" are left out',
                    stacklevel=2,
                )
        if labels is not None:
            if classes:
                classes = list(dict.fromkeys(classes))
                labels = [self._only_known(label, classes, y_col) for label in labels]
                keep = [row for row in keep if labels[row] is not None]
            else:
                found = set()
                for label in labels:
                    found.update(label if isinstance(label, (list, tuple)) else [label])
                classes = sorted(found)
            self.class_indices = {name: index for index, name in enumerate(classes)}
        if self.split is not None:
            keep = keep[int(self.split[0] * len(keep)) : int(self.split[1] * len(keep))]
        if labels is not None:
            self.classes = [
                [self.class_indices[name] for name in labels[row]]
                if isinstance(labels[row], (list, tuple))
                else self.class_indices[labels[row]]
                for row in keep
            ]
        self.filenames = [names[row] for row in keep]
        self._sample_weight = None if weights is None else weights[keep]
        if class_mode == "multi_output":
            self._targets = [np.array([targets[column][row] for row in keep]) for column in y_columns]
        if class_mode == "raw":
            table = np.array([[targets[column][row] for column in y_columns] for row in keep])
            self._targets = table if isinstance(y_col, (list, tuple)) else table.reshape(len(keep), *table.shape[2:])
        self.samples = len(self.filenames)
        checked = "validated" if validate_filenames else "non-validated"
        if labelled:
            print(f"Found {self.samples} {checked} image filenames belonging to {len(classes)} classes.")
        else:
            print(f"Found {self.samples} {checked} image filenames.")
        self._filepaths = [os.path.join(self.directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _is_image_file(self, path):
        return path.lower().endswith(self.white_list_formats) and os.path.isfile(path)

    @staticmethod
    def _check_labels(labels, classes, class_mode, y_col, who):
        if class_mode in ("binary", "sparse") and not all(isinstance(label, str) for label in labels):
            raise TypeError(f'{who}: with class_mode="{class_mode}" the labels in y_col="{y_col}" must be strings')
        if class_mode == "categorical" and not all(isinstance(label, (str, list, tuple)) for label in labels):
            raise TypeError(
                f'{who}: with class_mode="categorical" the labels in y_col="{y_col}" must be strings, lists or tuples'
            )
        if class_mode == "binary":
            count = len(set(classes)) if classes else len(set(labels))
            if count != 2:
                raise ValueError(f'{who}: class_mode="binary" needs exactly 2 classes, found {count}')

    @staticmethod
    def _only_known(label, classes, y_col):
        if isinstance(label, (list, tuple)):
            return [name for name in label if name in classes] or None
        if isinstance(label, str):
            return label if label in classes else None
        raise TypeError(f"expected a string, list or tuple in the column {y_col!r}, found {type(label).__name__}")

    @property
    def labels(self):
        if self.class_mode in ("multi_output", "raw"):
            return self._targets
        return self.classes

    @property
    def sample_weight(self):
        return self._sample_weight
