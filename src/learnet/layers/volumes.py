"""Layers on volumes ``(batch, depth, height, width, channels)``: CT scans, MRI, video clips.

``Conv3D``, ``Conv3DTranspose``, ``MaxPooling3D``, ``AveragePooling3D``, their global
forms, ``UpSampling3D``, ``ZeroPadding3D`` and ``Cropping3D``: the 3-D twins of the 2-D
layers, with Keras 3's arguments, weights and configs. A ``Conv3D`` kernel has Keras'
shape ``(kernel_depth, kernel_height, kernel_width, in_channels, filters)``. With
``data_format="channels_first"`` they take and give ``(batch, channels, depth, height,
width)``, as the 2-D layers do.

Examples
--------
>>> import learnet as tf
>>> from learnet.layers.volumes import Conv3D, MaxPool3D, GlobalAveragePooling3D
>>> x = tf.zeros((2, 16, 32, 32, 1))            # two scans: 16 slices of 32x32
>>> y = MaxPool3D(2)(Conv3D(8, 3, activation="relu")(x))
>>> y.shape
TensorShape([2, 7, 15, 15, 8])
>>> GlobalAveragePooling3D()(y).shape
TensorShape([2, 8])
"""

from learnet.layers.conv import _Conv, _ConvTranspose, _tuple
from learnet.layers.pooling import _GlobalPooling, _Pooling
from learnet.layers.reshaping import _pairs, _Spatial
from learnet.ops import volumes as volume_ops
from learnet.ops.reduce import reduce_max, reduce_mean
from learnet.ops.shape import broadcast_to, pad, reshape

_VOLUMES = "(batch, depth, height, width, channels)"


# --- convolution ------------------------------------------------------------------------------
class Conv3D(_Conv):
    """3-D convolution over volumes ``(batch, depth, height, width, channels)``.

    Parameters
    ----------
    filters : int
        Number of output channels.
    kernel_size : int or (int, int, int)
    strides : int or (int, int, int), default 1
    padding : {"valid", "same"}
        ``"same"`` keeps ``ceil(size / stride)`` outputs, padding like TensorFlow (any odd
        extra voxel at the back, bottom or right).
    dilation_rate : int or (int, int, int), default 1
    groups, activation, use_bias, kernel_initializer, bias_initializer, kernel_regularizer,
    bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint : as ``Conv2D``.

    The kernel has shape ``(kd, kh, kw, in_channels / groups, filters)``, the bias ``(filters,)``;
    the output ``(batch, out_depth, out_height, out_width, filters)``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import Conv3D
    >>> conv = Conv3D(4, 3, padding="same")
    >>> conv(tf.zeros((1, 8, 8, 8, 2))).shape
    TensorShape([1, 8, 8, 8, 4])
    >>> conv.kernel.shape
    TensorShape([3, 3, 3, 2, 4])
    """

    rank = 3
    _rank_hint = _VOLUMES

    def _convolve(self, inputs, kernel, bias=None):
        return volume_ops.conv3d(inputs, kernel, self.strides, self.padding, dilations=self.dilation_rate, bias=bias)


class Conv3DTranspose(_ConvTranspose):
    """Transposed 3-D convolution: upsamples volumes (the backward pass of a ``Conv3D``, run forward).

    With ``strides=2`` and ``padding="same"`` each spatial size doubles. The kernel has
    Keras' shape ``(kd, kh, kw, filters, in_channels)``.

    Parameters
    ----------
    filters, kernel_size, strides, padding, dilation_rate, activation, use_bias, ... : as ``Conv3D``.
    output_padding : int or (int, int, int), optional
        Extra voxels at the back/bottom/right of the output (each less than its stride).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import Conv3DTranspose
    >>> Conv3DTranspose(2, 3, strides=2, padding="same")(tf.zeros((1, 4, 4, 4, 8))).shape
    TensorShape([1, 8, 8, 8, 2])
    """

    rank = 3
    _rank_hint = _VOLUMES

    def _compute_last(self, inputs):
        geometry = [self._geometry(size, axis) for axis, size in enumerate(inputs.shape[1:4])]
        # A window past the end of the full result: compute up to its end, then add the zeros.
        shortfall = [max(0, -after) for _, (_, after) in geometry]
        sizes = [out - short for (out, _), short in zip(geometry, shortfall)]
        paddings = [[before, max(0, after)] for _, (before, after) in geometry]
        outputs = volume_ops.conv3d_transpose(
            inputs,
            self.kernel,
            (inputs.shape[0], *sizes, self.filters),
            self.strides,
            paddings,
            dilations=self.dilation_rate,
            bias=None,
        )
        if any(shortfall):
            outputs = pad(outputs, [[0, 0]] + [[0, short] for short in shortfall] + [[0, 0]])
        if self.bias is not None:
            outputs = outputs + self.bias
        return outputs

    def _output_shape_last(self, input_shape):
        spatial = tuple(self._output_size(size, axis) for axis, size in enumerate(input_shape[1:4]))
        return (input_shape[0],) + spatial + (self.filters,)

    def get_config(self):
        config = super().get_config()
        del config["groups"]  # Keras' transposed convolutions have none
        return config


# --- pooling ----------------------------------------------------------------------------------
class _Pooling3D(_Pooling):
    rank = 3
    _rank_hint = _VOLUMES

    def _compute_last(self, inputs):
        return type(self)._op(inputs, self.pool_size, self.strides, self.padding)


class MaxPooling3D(_Pooling3D):
    """Keep the largest value of each ``pool_size`` window (2x2x2 by default, stride = pool size).

    Parameters
    ----------
    pool_size : int or (int, int, int), default 2
    strides : int or (int, int, int), optional
        ``pool_size`` by default.
    padding : {"valid", "same"}
        Padded voxels never win.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import MaxPooling3D
    >>> MaxPooling3D()(tf.zeros((1, 8, 8, 8, 3))).shape
    TensorShape([1, 4, 4, 4, 3])
    """

    _op = staticmethod(volume_ops.max_pool3d)


class AveragePooling3D(_Pooling3D):
    """Average each ``pool_size`` window (2x2x2 by default, stride = pool size).

    With ``padding="same"`` windows at the border average their real voxels only.
    Arguments as ``MaxPooling3D``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import AveragePooling3D
    >>> AveragePooling3D(pool_size=(1, 2, 2))(tf.ones((1, 3, 4, 4, 1))).shape
    TensorShape([1, 3, 2, 2, 1])
    """

    _op = staticmethod(volume_ops.avg_pool3d)


class _GlobalPooling3D(_GlobalPooling):
    rank = 3
    _rank_hint = _VOLUMES


class GlobalAveragePooling3D(_GlobalPooling3D):
    """Average over depth, height and width: ``(batch, d, h, w, c)`` -> ``(batch, c)``.

    ``keepdims=True`` keeps the three axes with size 1.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import GlobalAveragePooling3D
    >>> GlobalAveragePooling3D()(tf.ones((2, 4, 4, 4, 8))).shape
    TensorShape([2, 8])
    """

    _reduce = staticmethod(reduce_mean)


class GlobalMaxPooling3D(_GlobalPooling3D):
    """Maximum over depth, height and width: ``(batch, d, h, w, c)`` -> ``(batch, c)``.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import GlobalMaxPooling3D
    >>> GlobalMaxPooling3D(keepdims=True)(tf.ones((2, 4, 4, 4, 8))).shape
    TensorShape([2, 1, 1, 1, 8])
    """

    _reduce = staticmethod(reduce_max)


# --- moving voxels around ---------------------------------------------------------------------
class _Spatial3D(_Spatial):
    rank = 3
    _rank_hint = _VOLUMES


class UpSampling3D(_Spatial3D):
    """Repeat each slice, row and column ``size`` times (nearest neighbour).

    Parameters
    ----------
    size : int or (int, int, int), default (2, 2, 2)

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import UpSampling3D
    >>> UpSampling3D((1, 2, 2))(tf.zeros((1, 3, 4, 4, 8))).shape
    TensorShape([1, 3, 8, 8, 8])
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = _tuple(size, 3, "size", "UpSampling3D")

    def _compute_last(self, inputs):
        _, d, h, w, c = inputs.shape
        sd, sh, sw = self.size
        # (n, d, 1, h, 1, w, 1, c) broadcast to (n, d, sd, h, sh, w, sw, c): a differentiable repeat.
        x = reshape(inputs, (-1, d, 1, h, 1, w, 1, c))
        x = broadcast_to(x, (x.shape[0], d, sd, h, sh, w, sw, c))
        return reshape(x, (-1, d * sd, h * sh, w * sw, c))

    def _output_shape_last(self, input_shape):
        n, *spatial, c = input_shape
        return (n, *(None if size is None else size * s for size, s in zip(spatial, self.size)), c)

    def get_config(self):
        config = super().get_config()
        config.update(size=tuple(self.size), data_format=self.data_format)
        return config


class ZeroPadding3D(_Spatial3D):
    """Add slices, rows and columns of zeros around each volume.

    Parameters
    ----------
    padding : int, three ints, or ((front, back), (top, bottom), (left, right)), default 1 everywhere

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import ZeroPadding3D
    >>> ZeroPadding3D(((0, 1), 2, 0))(tf.zeros((1, 4, 4, 4, 1))).shape
    TensorShape([1, 5, 8, 4, 1])
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _three_pairs(padding, "padding", "ZeroPadding3D")

    def _compute_last(self, inputs):
        return pad(inputs, [[0, 0], *[list(p) for p in self.padding], [0, 0]])

    def _output_shape_last(self, input_shape):
        n, *spatial, c = input_shape
        return (n, *(None if size is None else size + sum(p) for size, p in zip(spatial, self.padding)), c)

    def get_config(self):
        config = super().get_config()
        config.update(padding=tuple(tuple(p) for p in self.padding), data_format=self.data_format)
        return config


class Cropping3D(_Spatial3D):
    """Remove slices, rows and columns at the borders of each volume.

    Parameters
    ----------
    cropping : int, three ints, or ((front, back), (top, bottom), (left, right)), default 1 everywhere

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.layers.volumes import Cropping3D
    >>> Cropping3D((0, 1, (2, 0)))(tf.zeros((1, 4, 6, 6, 1))).shape
    TensorShape([1, 4, 4, 4, 1])
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _three_pairs(cropping, "cropping", "Cropping3D")

    def _check(self, spatial):
        for size, crop in zip(spatial, self.cropping):
            if size is not None and sum(crop) >= size:
                raise ValueError(
                    f"Cropping3D '{self.name}': cropping {self.cropping} removes every voxel "
                    f"of a volume of size {tuple(spatial)}"
                )

    def _compute_last(self, inputs):
        spatial = inputs.shape[1:4]
        self._check(spatial)
        (f, b), (t, bo), (le, r) = self.cropping
        d, h, w = spatial
        return inputs[:, f : d - b, t : h - bo, le : w - r, :]

    def _output_shape_last(self, input_shape):
        n, *spatial, c = input_shape
        self._check(spatial)
        return (n, *(None if size is None else size - sum(p) for size, p in zip(spatial, self.cropping)), c)

    def get_config(self):
        config = super().get_config()
        config.update(cropping=tuple(tuple(p) for p in self.cropping), data_format=self.data_format)
        return config


def _three_pairs(value, name, who):
    """``1`` -> three ``(1, 1)``; three entries, each an int or a ``(before, after)`` pair."""
    if not isinstance(value, int) and hasattr(value, "__len__") and len(value) == 3:
        value = tuple((v, v) if isinstance(v, int) else v for v in value)
    try:
        return _pairs(value, 3, name, who)
    except TypeError:
        raise ValueError(f"{who}: {name} must be an int, 3 ints or 3 pairs, got {value!r}") from None


Convolution3D = Conv3D
Convolution3DTranspose = Conv3DTranspose
MaxPool3D = MaxPooling3D
AvgPool3D = AveragePooling3D
GlobalAvgPool3D = GlobalAveragePooling3D
GlobalMaxPool3D = GlobalMaxPooling3D

__all__ = [
    "Conv3D",
    "Convolution3D",
    "Conv3DTranspose",
    "Convolution3DTranspose",
    "MaxPooling3D",
    "MaxPool3D",
    "AveragePooling3D",
    "AvgPool3D",
    "GlobalAveragePooling3D",
    "GlobalAvgPool3D",
    "GlobalMaxPooling3D",
    "GlobalMaxPool3D",
    "UpSampling3D",
    "ZeroPadding3D",
    "Cropping3D",
]
