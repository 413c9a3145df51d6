"""``tf.image``'s image measures and filters: PSNR, SSIM, MS-SSIM, total variation,
finite-difference gradients and Sobel edges.

Re-exported by :mod:`learnet.image` (``tf.image.psnr`` ...). Every function is written
with learnet ops (slices, sums, ``einsum``), so gradients flow back to the images: SSIM
is a popular training loss for image restoration, total variation a popular regulariser.

Integer images are read as ``[0, MAX]`` and rescaled to ``[0, 1]`` (``max_val`` with them),
as TensorFlow does; float images keep their dtype.

Examples
--------
>>> import numpy as np, learnet as tf
>>> a = np.full((1, 16, 16, 3), 0.5, np.float32)
>>> round(float(tf.image.psnr(a, a + 0.1, max_val=1.0)[0]), 2)
20.0
>>> round(float(tf.image.ssim(a, a, max_val=1.0)[0]), 4)
1.0
"""

import importlib

import numpy

from learnet import errors
from learnet.backend import floatx, xp
from learnet.ops.linalg import einsum
from learnet.tensor import Tensor, convert_to_tensor

_ops = importlib.import_module("learnet.ops")

__all__ = ["image_gradients", "psnr", "sobel_edges", "ssim", "ssim_multiscale", "total_variation"]


def __dir__():
    return sorted(__all__)


# The weights of the five scales of MS-SSIM, as published with it (and TensorFlow's defaults).
_MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def _tensor(value):
    return value if isinstance(value, Tensor) else convert_to_tensor(value)


def _as_float(image, max_val):
    """``image`` as floats, and ``max_val`` on the same scale: integer images become ``[0, 1]``."""
    if image.dtype.kind in "iu":
        top = float(numpy.iinfo(image.dtype).max)
        return _ops.cast(image, floatx()) / top, _in_dtype(max_val, image.dtype) / top
    if image.dtype.kind != "f":
        raise TypeError(f"expected an integer or float image, got dtype {image.dtype}")
    return image, max_val


def _in_dtype(max_val, dtype):
    """``max_val`` cast to the images' dtype first, as TensorFlow does (1.5 is 1 for ``uint8`` images)."""
    with numpy.errstate(invalid="ignore", over="ignore"):
        return float(numpy.asarray(max_val).astype(dtype))


def _pair(img1, img2, function, same_dtype=True):
    """Two image batches of matching ``(height, width, channels)`` (their batch axes broadcast)."""
    img1, img2 = _tensor(img1), _tensor(img2)
    if img1.ndim < 3 or img2.ndim < 3:
        raise ValueError(
            f"{function} expects images of rank 3 or more (..., height, width, channels), "
            f"got shapes {tuple(img1.shape)} and {tuple(img2.shape)}"
        )
    if tuple(img1.shape[-3:]) != tuple(img2.shape[-3:]):
        raise ValueError(
            f"{function} expects images of one (height, width, channels), "
            f"got shapes {tuple(img1.shape)} and {tuple(img2.shape)}"
        )
    try:
        numpy.broadcast_shapes(tuple(img1.shape[:-3]), tuple(img2.shape[:-3]))
    except ValueError:
        raise ValueError(
            f"{function}: the batch axes of shapes {tuple(img1.shape)} and {tuple(img2.shape)} do not broadcast"
        ) from None
    for image in (img1, img2):
        if image.dtype.kind not in "iuf":
            raise TypeError(f"{function}: image dtype must be either floating point or integer, got {image.dtype}")
    if same_dtype and img1.dtype != img2.dtype:
        raise TypeError(
            f"{function} expects two images of one dtype, got {img1.dtype} and {img2.dtype} (TensorFlow "
            f"refuses them too); convert one first, e.g. tf.image.convert_image_dtype(img, {img1.dtype.name})"
        )
    return img1, img2


def _as_float32(image):
    """``tf.image.convert_image_dtype(image, float32)``: integers scaled from ``[0, MAX]`` to ``[0, 1]``."""
    if image.dtype.kind in "iu":
        return _ops.cast(image, "float32") / float(numpy.iinfo(image.dtype).max)
    return image if image.dtype == numpy.float32 else _ops.cast(image, "float32")


def _mixed_pair(a, b, max_val):
    """Images of two dtypes, as TensorFlow's ``psnr`` reads them: each converted to ``float32`` on its
    own scale (integers to ``[0, 1]``), and ``max_val`` cast to ``a``'s dtype and converted likewise."""
    top = _in_dtype(max_val, a.dtype)
    top = top / float(numpy.iinfo(a.dtype).max) if a.dtype.kind in "iu" else float(numpy.float32(top))
    return _as_float32(a), _as_float32(b), top


def psnr(a, b, max_val, name=None):
    """The peak signal-to-noise ratio of each pair of images, in decibels.

    ``20 log10(max_val) - 10 log10(mse)``, the mean squared error taken over the last three
    axes ``(height, width, channels)``. Differentiable.

    Parameters
    ----------
    a, b : Tensor ``(..., height, width, channels)``
        Integer or float images; their batch axes broadcast. Images of two dtypes are each
        converted to ``float32`` as ``convert_image_dtype`` does (an integer image to ``[0, 1]``,
        a float image kept as it is), as TensorFlow does.
    max_val : float
        The dynamic range of the images (1.0 for floats in [0, 1], 255 for ``uint8``). It is
        read in ``a``'s dtype: with an integer ``a`` it is scaled as ``a`` is.

    Returns
    -------
    Tensor of shape ``a.shape[:-3]`` (broadcast with ``b``'s); ``inf`` where the images are equal.
    Of the images' float dtype when they share one, else ``float32``.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> a = np.zeros((2, 4, 4, 1), np.float32)
    >>> tf.image.psnr(a, a + 0.01, max_val=1.0).numpy().round(3)
    array([40., 40.], dtype=float32)

    Mixed dtypes follow TensorFlow: a ``uint8`` ``a`` is scaled to ``[0, 1]`` but a float ``b``
    is not, so a ``uint8`` target against a ``[0, 255]`` float prediction compares unlike scales:

    >>> target = np.full((1, 4, 4, 1), 255, np.uint8)
    >>> tf.image.psnr(target, target.astype("float32"), max_val=255).numpy().round(2)
    array([-48.1], dtype=float32)
    """
    a, b = _pair(a, b, "psnr", same_dtype=False)
    if a.dtype == b.dtype:
        a, top = _as_float(a, max_val)
        b, _ = _as_float(b, max_val)
    else:
        a, b, top = _mixed_pair(a, b, max_val)
    mse = _ops.reduce_mean(_ops.square(a - b), axis=[-3, -2, -1])
    return 20.0 * float(numpy.log10(top)) - (10.0 / numpy.log(10.0)) * _ops.log(mse)


# --- SSIM -------------------------------------------------------------------------------------------------
def _gaussian_band(size, filter_size, filter_sigma, dtype):
    """The matrix ``(size - filter_size + 1, size)`` of a 'valid' 1-D Gaussian filter along one axis.

    The 2-D filter of SSIM (a normalised Gaussian, MATLAB's ``fspecial``) is the outer product
    of two normalised 1-D ones, so it is applied as one matrix per axis.
    """
    coords = numpy.arange(filter_size, dtype=numpy.float64) - (filter_size - 1) / 2.0
    weights = numpy.exp(-0.5 * coords**2 / float(filter_sigma) ** 2)
    weights /= weights.sum()
    rows = numpy.arange(size - filter_size + 1)[:, None]
    band = numpy.zeros((size - filter_size + 1, size))
    band[rows, rows + numpy.arange(filter_size)] = weights
    return Tensor._wrap(xp.asarray(band, dtype=dtype))


def _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma, k1, k2, return_index_map=False):
    """SSIM and its contrast-structure term, per channel (``(..., channels)``, or maps with the index map)."""
    height, width = img1.shape[-3], img1.shape[-2]
    if height < filter_size or width < filter_size:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"ssim: images of {height}x{width} pixels are smaller than the {filter_size}x{filter_size} filter "
            f"(shape {tuple(img1.shape)})",
        )
    rows = _gaussian_band(height, filter_size, filter_sigma, img1.dtype)
    columns = _gaussian_band(width, filter_size, filter_sigma, img1.dtype)

    def local_mean(x):
        return einsum("jw,...iwc->...ijc", columns, einsum("ih,...hwc->...iwc", rows, x))

    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean1, mean2 = local_mean(img1), local_mean(img2)
    both = mean1 * mean2 * 2.0
    squares = _ops.square(mean1) + _ops.square(mean2)
    luminance = (both + c1) / (squares + c1)
    cross = local_mean(img1 * img2) * 2.0
    energy = local_mean(_ops.square(img1) + _ops.square(img2))
    contrast_structure = (cross - both + c2) / (energy - squares + c2)
    index_map = luminance * contrast_structure
    if return_index_map:
        return index_map, contrast_structure
    axes = [-3, -2]
    return _ops.reduce_mean(index_map, axis=axes), _ops.reduce_mean(contrast_structure, axis=axes)


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, return_index_map=False):
    """The structural similarity (SSIM) of each pair of images, averaged over the channels.

    Local means, variances and covariance are taken under an ``filter_size`` x ``filter_size``
    Gaussian window of width ``filter_sigma`` ('valid' positions only), combined into the
    structural-similarity index and averaged. Differentiable, so ``1 - ssim`` serves as a training loss.

    Parameters
    ----------
    img1, img2 : Tensor ``(..., height, width, channels)``
        Images of one dtype (TensorFlow refuses two dtypes too; here a ``TypeError``), at least
        ``filter_size`` pixels high and wide; batch axes broadcast.
    max_val : float
        The dynamic range of the images (1.0 for floats in [0, 1], 255 for ``uint8``).
    filter_size : int, default 11
    filter_sigma : float, default 1.5
    k1, k2 : float, default 0.01 and 0.03
        The stabilising constants ``c1 = (k1 max_val)**2``, ``c2 = (k2 max_val)**2``.
    return_index_map : bool, default False
        Return the local SSIM map ``(..., height - filter_size + 1, width - filter_size + 1)``
        instead of its mean.

    Returns
    -------
    Tensor of shape ``img1.shape[:-3]``: values in (-1, 1], 1 for equal images.

    Raises
    ------
    tf.errors.InvalidArgumentError
        If the images are smaller than the filter.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> x = np.random.default_rng(0).random((2, 16, 16, 3)).astype("float32")
    >>> tf.image.ssim(x, x, max_val=1.0).numpy()
    array([1., 1.], dtype=float32)
    >>> tf.image.ssim(x, x, 1.0, return_index_map=True).shape
    TensorShape([2, 6, 6])
    """
    img1, img2 = _pair(img1, img2, "ssim")
    img1, top = _as_float(img1, max_val)
    img2, _ = _as_float(img2, max_val)
    per_channel, _ = _ssim_per_channel(img1, img2, top, int(filter_size), filter_sigma, k1, k2, return_index_map)
    return _ops.reduce_mean(per_channel, axis=-1)


def _halve(image):
    """A 2x2 average pool (stride 2), after repeating the last row / column of an odd size."""
    if image.shape[-3] % 2:
        image = _ops.concat([image, image[..., -1:, :, :]], axis=-3)
    if image.shape[-2] % 2:
        image = _ops.concat([image, image[..., -1:, :]], axis=-2)
    return (
        image[..., 0::2, 0::2, :] + image[..., 1::2, 0::2, :] + image[..., 0::2, 1::2, :] + image[..., 1::2, 1::2, :]
    ) * 0.25


def ssim_multiscale(
    img1, img2, max_val, power_factors=_MSSSIM_WEIGHTS, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03
):
    """Multi-scale SSIM: SSIM's contrast-structure terms at ``len(power_factors)`` scales.

    The images are halved (2x2 average) between scales; the result is the product of each
    scale's (non-negative) contrast-structure term, and of the coarsest scale's SSIM, raised
    to that scale's power factor, averaged over the channels. Differentiable.

    Parameters
    ----------
    img1, img2 : Tensor ``(..., height, width, channels)``
        At least ``filter_size * 2 ** (len(power_factors) - 1)`` pixels high and wide
        (176 with the defaults).
    max_val : float
        The dynamic range of the images.
    power_factors : sequence of float
        One weight per scale, the finest first; by default the paper's five.
    filter_size, filter_sigma, k1, k2
        As in :func:`ssim`.

    Returns
    -------
    Tensor of shape ``img1.shape[:-3]``: values in [0, 1].

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> x = np.random.default_rng(0).random((1, 32, 32, 1)).astype("float32")
    >>> tf.image.ssim_multiscale(x, x, 1.0, power_factors=(0.5, 0.5), filter_size=7).numpy()
    array([1.], dtype=float32)
    """
    img1, img2 = _pair(img1, img2, "ssim_multiscale")
    img1, top = _as_float(img1, max_val)
    img2, _ = _as_float(img2, max_val)
    power_factors = [float(p) for p in power_factors]
    if not power_factors:
        raise ValueError("ssim_multiscale: power_factors must hold at least one weight")
    terms = []
    for scale in range(len(power_factors)):
        if scale:
            img1, img2 = _halve(img1), _halve(img2)
        similarity, contrast_structure = _ssim_per_channel(img1, img2, top, int(filter_size), filter_sigma, k1, k2)
        terms.append(contrast_structure)
    # The coarsest scale contributes its whole SSIM, the others their contrast-structure term.
    terms[-1] = similarity
    stacked = _ops.maximum(_ops.stack(terms, axis=-1), 0.0)
    weights = Tensor._wrap(xp.asarray(power_factors, dtype=stacked.dtype))
    return _ops.reduce_mean(_ops.reduce_prod(stacked**weights, axis=-1), axis=-1)


# --- differences and edges --------------------------------------------------------------------------------
def total_variation(images, name=None):
    """The total variation: the sum of absolute differences between neighbouring pixels.

    Differentiable (a regulariser for smooth images, as in the style-transfer tutorial).

    Parameters
    ----------
    images : Tensor ``(height, width, channels)`` or ``(batch, height, width, channels)``

    Returns
    -------
    A scalar for one image, a ``(batch,)`` tensor for a batch.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.constant([[[0.0], [1.0]], [[3.0], [3.0]]])
    >>> float(tf.image.total_variation(image))
    6.0
    """
    images = _tensor(images)
    if images.ndim not in (3, 4):
        raise ValueError(
            f"total_variation expects images of rank 3 or 4 ((batch,) height, width, channels), "
            f"got shape {tuple(images.shape)}"
        )
    down = images[..., 1:, :, :] - images[..., :-1, :, :]
    across = images[..., :, 1:, :] - images[..., :, :-1, :]
    axes = None if images.ndim == 3 else [1, 2, 3]
    return _ops.reduce_sum(_ops.abs(down), axis=axes) + _ops.reduce_sum(_ops.abs(across), axis=axes)


def _batch(image, function):
    image = _tensor(image)
    if image.ndim != 4:
        raise ValueError(
            f"{function} expects a 4-D tensor (batch, height, width, depth), got shape {tuple(image.shape)}"
        )
    return image


def image_gradients(image):
    """The one-step differences ``(dy, dx)`` down and across, each the shape of ``image``.

    ``dy[:, i] = image[:, i + 1] - image[:, i]``, zero in the last row; ``dx`` likewise along
    the width, zero in the last column. Differentiable.

    Examples
    --------
    >>> import learnet as tf
    >>> image = tf.reshape(tf.range(9, dtype=tf.float32), (1, 3, 3, 1))
    >>> dy, dx = tf.image.image_gradients(image)
    >>> dy[0, :, :, 0].numpy()
    array([[3., 3., 3.],
           [3., 3., 3.],
           [0., 0., 0.]], dtype=float32)
    """
    image = _batch(image, "image_gradients")
    dy = image[:, 1:] - image[:, :-1]
    dx = image[:, :, 1:] - image[:, :, :-1]
    dy = _ops.concat([dy, _ops.zeros_like(image[:, :1])], axis=1)
    dx = _ops.concat([dx, _ops.zeros_like(image[:, :, :1])], axis=2)
    return dy, dx


# The Sobel kernels, rows of weights for the 3x3 neighbourhood: vertical (dy), then horizontal (dx).
_SOBEL = (
    ((-1, -2, -1), (0, 0, 0), (1, 2, 1)),
    ((-1, 0, 1), (-2, 0, 2), (-1, 0, 1)),
)


def sobel_edges(image):
    """Sobel edge maps ``(batch, height, width, depth, 2)``: the vertical ``[..., 0]`` and
    horizontal ``[..., 1]`` responses of each channel.

    The image is padded by reflection (each border pixel's neighbour mirrored), so the
    maps keep the image's size. The image must be at least 2x2. Differentiable.

    Examples
    --------
    >>> import numpy as np, learnet as tf
    >>> ramp = np.tile(np.arange(4, dtype="float32"), (4, 1))[None, :, :, None]   # rising to the right
    >>> edges = tf.image.sobel_edges(ramp)
    >>> edges.shape
    TensorShape([1, 4, 4, 1, 2])
    >>> edges[0, 1, 1:3, 0, 1].numpy()      # dx inside the image: 8 per unit step
    array([8., 8.], dtype=float32)
    """
    image = _batch(image, "sobel_edges")
    if image.dtype.kind != "f":
        raise TypeError(f"sobel_edges expects a float image, got dtype {image.dtype}")
    height, width = image.shape[1], image.shape[2]
    if height < 2 or width < 2:
        raise errors.InvalidArgumentError(
            None, None, f"sobel_edges: the image must be at least 2x2 pixels, got {height}x{width}"
        )
    padded = _ops.concat([image[:, 1:2], image, image[:, -2:-1]], axis=1)
    padded = _ops.concat([padded[:, :, 1:2], padded, padded[:, :, -2:-1]], axis=2)
    maps = []
    for kernel in _SOBEL:
        total = None
        for i, row in enumerate(kernel):
            for j, weight in enumerate(row):
                if weight:
                    term = padded[:, i : i + height, j : j + width] * float(weight)
                    total = term if total is None else total + term
        maps.append(total)
    return _ops.stack(maps, axis=-1)
