"""Affine resampling of images in NumPy, with the values ``scipy.ndimage.affine_transform`` gives.

Keras' ``ImageDataGenerator`` rotates, shifts, shears and zooms an image by asking, for
every output pixel ``(i, j)``, which point of the input it comes from::

    (row, col) = matrix @ (i, j) + offset

and reading the input there: at the nearest pixel (``order=0``) or by blending the four
pixels around it (``order=1``, bilinear). A point that falls outside the image is brought
back in by the ``mode``, as SciPy does:

==========  ======================================  ==============================
mode        extends ``a b c d`` as                   outside the image
==========  ======================================  ==============================
constant    ``k k | a b c d | k k``                  ``cval``, no blending at the edge
nearest     ``a a | a b c d | d d``                  the edge pixel
reflect     ``b a | a b c d | d c``                  mirrored about the pixel edge
wrap        ``b c | a b c d | b c``                  SciPy's ``wrap``: period ``len - 1``
==========  ======================================  ==============================

Every output pixel is computed at once with array indexing: no Python loop over pixels.

Examples
--------
>>> import numpy as np
>>> image = np.arange(12, dtype="float32").reshape(1, 3, 4)     # (channels, rows, cols)
>>> affine_transform(image, np.eye(2), offset=(0, 1), mode="nearest")[0]   # shift left by one
array([[ 1.,  2.,  3.,  3.],
       [ 5.,  6.,  7.,  7.],
       [ 9., 10., 11., 11.]], dtype=float32)
"""

import numpy as np

__all__ = ["FILL_MODES", "affine_transform"]

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def _trunc(values):
    """Integer part, rounded toward zero (C's cast to an integer)."""
    return np.trunc(values)


def _map_coordinate(coord, length, mode):
    """Bring coordinates that lie outside ``[0, length - 1]`` back inside, by ``mode``.

    ``constant`` marks them with ``-1`` (the caller fills those with ``cval``). The
    rules are SciPy's, step for step, so that edge pixels get the same values.
    """
    coord = np.asarray(coord, dtype=np.float64)
    if mode == "nearest":
        return np.clip(coord, 0, length - 1)
    if mode == "constant":
        return np.where((coord < 0) | (coord > length - 1), -1.0, coord)
    if length <= 1:
        return np.zeros_like(coord)
    below, above = coord < 0, coord > length - 1
    if mode == "reflect":  # half-sample symmetric: d c b a | a b c d | d c b a
        period = 2 * length
        low = np.where(coord < -period, period * _trunc(-coord / period) + coord, coord)
        low = np.where(low < -length, low + period, -low - 1)
        high = coord - period * _trunc(coord / period)
        high = np.where(high >= length, period - high - 1, high)
    elif mode == "mirror":  # whole-sample symmetric: d c b | a b c d | c b a (used for edge taps)
        period = 2 * length - 2
        low = period * _trunc(-coord / period) + coord
        low = np.where(low <= 1 - length, low + period, -low)
        high = coord - period * _trunc(coord / period)
        high = np.where(high >= length, period - high, high)
    elif mode == "wrap":  # SciPy's "wrap": the first and last pixel are the same point
        period = length - 1
        low = coord + period * (_trunc(-coord / period) + 1)
        high = coord - period * _trunc(coord / period)
    else:
        raise ValueError(f"unknown fill mode {mode!r}; expected one of {FILL_MODES}")
    return np.where(below, low, np.where(above, high, coord))


def _tap_indices(first, order, length, mode):
    """The ``order + 1`` pixel indices a sample starting at ``first`` reads, kept inside
    the image the way SciPy keeps them (mirrored, or reflected for nearest and reflect)."""
    edge_mode = "reflect" if mode in ("nearest", "reflect") else "mirror"
    taps = []
    for step in range(order + 1):
        index = first + step
        outside = (index < 0) | (index >= length)
        if np.any(outside):
            index = np.where(outside, _map_coordinate(index, length, edge_mode), index)
        taps.append(index.astype(np.intp))
    return taps


def _axis_taps(coord, length, order, mode):
    """Per output pixel along one axis: the pixel indices to read and their weights."""
    mapped = _map_coordinate(coord, length, mode)
    if order == 0:
        first = np.floor(mapped + 0.5)
        return _tap_indices(first, 0, length, mode), [np.ones_like(mapped)]
    first = np.floor(mapped)
    fraction = mapped - first
    return _tap_indices(first, 1, length, mode), [1.0 - fraction, fraction]


def _cast_like(values, dtype):
    """Float results stored in ``dtype``; integers rounded half away from zero and clipped, as SciPy stores them."""
    if dtype.kind == "f":
        return values.astype(dtype)
    if dtype.kind == "b":
        return values != 0
    info = np.iinfo(dtype)
    rounded = np.where(values > 0, values + 0.5, values - 0.5 if dtype.kind == "i" else 0.0)
    return np.clip(np.trunc(rounded), info.min, info.max).astype(dtype)


def affine_transform(channels, matrix, offset=(0.0, 0.0), order=1, mode="constant", cval=0.0):
    """Resample each 2-D channel of ``channels`` (shape ``(channels, rows, cols)``) by an affine map.

    The output pixel ``(i, j)`` takes the input's value at ``matrix @ (i, j) + offset``,
    as ``scipy.ndimage.affine_transform(channel, matrix, offset, order=order, mode=mode,
    cval=cval)`` does for each channel.

    Parameters
    ----------
    channels : numpy.ndarray
        The image, channels first: ``(channels, rows, cols)``.
    matrix : array_like, shape (2, 2)
        Maps output coordinates to input coordinates.
    offset : array_like, shape (2,)
        Added after the matrix.
    order : {0, 1}
        0 takes the nearest pixel, 1 blends the four around the point (bilinear).
    mode : {"constant", "nearest", "reflect", "wrap"}
        How points outside the image are read.
    cval : float
        The value outside the image for ``mode="constant"``.

    Returns
    -------
    numpy.ndarray
        The same shape and dtype as ``channels``.

    Examples
    --------
    >>> image = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    >>> affine_transform(image, [[1, 0], [0, 1]], offset=(0.5, 0.0))[0]   # half a row down, blended
    array([[2., 3.],
           [0., 0.]])
    """
    channels = np.asarray(channels)
    if channels.ndim != 3:
        raise ValueError(f"affine_transform expects an array (channels, rows, cols), got shape {channels.shape}")
    if mode not in FILL_MODES:
        raise ValueError(f"unknown fill_mode {mode!r}; expected one of {FILL_MODES}")
    if order not in (0, 1):
        raise ValueError(
            f"interpolation order {order!r} is not supported: learnet resamples with order 0 (nearest pixel) "
            "or 1 (bilinear)"
        )
    matrix = np.asarray(matrix, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    if matrix.shape != (2, 2) or offset.shape != (2,):
        raise ValueError(f"affine_transform expects a 2x2 matrix and 2 offsets, got {matrix.shape} and {offset.shape}")
    _, rows, cols = channels.shape
    i, j = np.meshgrid(np.arange(rows, dtype=np.float64), np.arange(cols, dtype=np.float64), indexing="ij")
    # Summed in SciPy's order, so that points landing exactly between two pixels round the same way.
    source_row = offset[0] + i * matrix[0, 0] + j * matrix[0, 1]
    source_col = offset[1] + i * matrix[1, 0] + j * matrix[1, 1]

    row_taps, row_weights = _axis_taps(source_row, rows, order, mode)
    col_taps, col_weights = _axis_taps(source_col, cols, order, mode)
    data = channels.astype(np.float64)
    result = np.zeros(channels.shape, dtype=np.float64)
    for row_index, row_weight in zip(row_taps, row_weights):
        for col_index, col_weight in zip(col_taps, col_weights):
            result += data[:, row_index, col_index] * row_weight * col_weight
    if mode == "constant":
        outside = (_map_coordinate(source_row, rows, mode) < 0) | (_map_coordinate(source_col, cols, mode) < 0)
        result[:, outside] = cval
    return _cast_like(result, channels.dtype)
