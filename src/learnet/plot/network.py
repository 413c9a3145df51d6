"""Inside the network: a layer's weights drawn as images, the feature maps a layer computes."""

import math
import numbers

import numpy as np

from learnet.plot._helpers import _array, _bare, _finish, _grid, _label_text, _pyplot
from learnet.tensor import Tensor


def _layer_name(layer):
    return getattr(layer, "name", type(layer).__name__)


def _kernel_of(layer, function):
    """The kernel of a Dense or Conv2D layer (or a kernel given directly), as an array."""
    if isinstance(layer, (np.ndarray, Tensor)):
        return _array(layer), None
    kernel = getattr(layer, "kernel", None)
    if kernel is None:
        if hasattr(layer, "built") and not layer.built and hasattr(type(layer), "build"):
            raise ValueError(
                f"{function}: layer '{_layer_name(layer)}' ({type(layer).__name__}) has no kernel yet: "
                "it is not built (call the model on data, fit it, or give its first layer an "
                "input_shape); only Dense and Conv2D layers have a kernel to show"
            )
        raise TypeError(
            f"{function}: layer '{_layer_name(layer)}' ({type(layer).__name__}) has no kernel to show; "
            "give it a Dense or Conv2D layer"
        )
    return _array(kernel), _layer_name(layer)


def show_weights(
    layer, shape=None, max_images=64, ncols=None, class_names=None, cmap="RdBu_r", title=None, save_path=None
):
    """Draw a layer's weights as images.

    * ``Dense``: the weights from the inputs to each unit form one image per unit
      (28x28 for a Dense layer that reads flattened MNIST images): a unit responds to
      inputs where its image is red and is held back where it is blue.
    * ``Conv2D``: one image per filter (in colour when the filter reads RGB images;
      a row of images, one per input channel, otherwise).

    Parameters
    ----------
    layer : Layer or array
        A built ``Dense`` or ``Conv2D`` layer (or a kernel array).
    shape : (int, int), optional
        The image shape of a Dense layer's inputs (by default the square root of their
        number, as for MNIST's 784 = 28x28).
    max_images : int
        Draw at most this many images.
    ncols : int, optional
        Images per row.
    class_names : list of str, optional
        Titles for the units (for an output layer: the classes).
    cmap : str
        A diverging colour map, so that 0 is white; all tiles share one scale.
    title, save_path : optional
        A title; a file to save to.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> show_weights(model.layers[1])   # the Dense layer after Flatten  # doctest: +SKIP
    """
    plt = _pyplot()
    if not isinstance(max_images, numbers.Integral) or max_images < 1:
        raise ValueError(f"show_weights: max_images must be a positive integer, got {max_images!r}")
    kernel, name = _kernel_of(layer, "show_weights")
    rgb = False
    if kernel.ndim == 2:  # Dense: (inputs, units)
        inputs, units = kernel.shape
        if shape is None:
            side = math.isqrt(inputs)
            if side * side != inputs:
                raise ValueError(
                    f"show_weights: the {inputs} inputs of layer '{name or 'kernel'}' do not form a square image; "
                    "give shape=(height, width)"
                )
            shape = (side, side)
        shape = tuple(int(s) for s in shape)
        if int(np.prod(shape)) != inputs:
            raise ValueError(
                f"show_weights: shape {shape} does not hold the {inputs} inputs of layer '{name or 'kernel'}'"
            )
        images = kernel.T.reshape(units, *shape)[:max_images]
        titles = [_label_text(i, class_names) if class_names is not None else f"unit {i}" for i in range(len(images))]
        what = f"{len(images)} of {units} units" if len(images) < units else f"{units} units"
        default_title = f"weights of layer '{name}' ({what})" if name else f"weights ({what})"
    elif kernel.ndim == 4:  # Conv2D: (height, width, in channels, filters)
        height, width, channels, filters = kernel.shape
        per_filter = 1 if channels in (1, 3) else channels
        count = min(filters, max(1, max_images // per_filter))
        if channels == 3:
            rgb = True
            images = np.moveaxis(kernel[..., :count], 3, 0)
            titles = [f"filter {f}" for f in range(count)]
        elif channels == 1:
            images = np.moveaxis(kernel[:, :, 0, :count], 2, 0)
            titles = [f"filter {f}" for f in range(count)]
        else:  # one row per filter, one image per input channel
            images = np.moveaxis(kernel[..., :count], (3, 2), (0, 1)).reshape(-1, height, width)
            titles = [f"filter {f}, in {c}" for f in range(count) for c in range(channels)]
            ncols = ncols or channels
        what = f"{count} of {filters} filters" if count < filters else f"{filters} filters"
        default_title = f"{height}x{width} filters" + (f" of layer '{name}'" if name else "") + f" ({what})"
    else:
        raise ValueError(
            f"show_weights: expected a Dense kernel (inputs, units) or a Conv2D kernel "
            f"(height, width, channels, filters), got shape {kernel.shape}"
        )
    ncols = ncols or math.ceil(math.sqrt(len(images)))
    fig, axes = _grid(len(images), ncols, 1.3, plt)
    scale = float(np.abs(images).max()) or 1.0
    drawn = None
    for ax, image, text in zip(axes, images, titles):
        if rgb:  # weights to colours: 0 becomes grey
            ax.imshow(np.clip(image / (2 * scale) + 0.5, 0, 1))
        else:
            drawn = ax.imshow(image, cmap=cmap, vmin=-scale, vmax=scale)
        _bare(ax)
        ax.set_title(text, fontsize=7)
    fig.suptitle(title or default_title)
    fig.tight_layout()
    if drawn is not None:
        fig.colorbar(drawn, ax=axes, shrink=0.6, label="weight")
    return _finish(fig, save_path)


def _find_layer(model, layer):
    layers = list(getattr(model, "layers", []))
    if isinstance(layer, str):
        for candidate in layers:
            if candidate.name == layer:
                return candidate
        raise ValueError(
            f"show_feature_maps: the model has no layer named {layer!r}; its layers are {[l.name for l in layers]}"
        )
    if isinstance(layer, numbers.Integral):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(f"show_feature_maps: layer index {layer} but the model has {len(layers)} layers")
        return layers[layer]
    if not any(candidate is layer for candidate in layers):
        raise ValueError(f"show_feature_maps: layer '{_layer_name(layer)}' is not a layer of this model")
    return layer


def _activations_at(model, x, layer):
    """The output of ``layer`` while ``model`` reads the batch ``x``.

    The model runs as usual while the layer's ``call`` is listened in on, so this works
    for ``Sequential``, functional and subclassed models alike.
    """
    heard = []
    original = layer.call

    def listen(*args, **kwargs):
        output = original(*args, **kwargs)
        heard.append(output)
        return output

    layer.call = listen  # an instance attribute: it hides the class's method for now
    try:
        model(x)
    finally:
        del layer.call
    if not heard:
        raise ValueError(f"show_feature_maps: layer '{_layer_name(layer)}' did not run when the model ran")
    return heard[0]


def show_feature_maps(model, x, layer, max_maps=32, ncols=None, cmap="viridis", title=None, save_path=None):
    """Draw what one layer of ``model`` outputs for one input: its feature maps.

    Parameters
    ----------
    model : Model
        A model (``Sequential`` or functional) that has been built.
    x : array_like
        One input, with or without the batch axis: ``(28, 28)``, ``(28, 28, 1)`` or
        ``(1, 28, 28, 1)`` for a CNN on MNIST.
    layer : Layer, str or int
        The layer to look at: the object, its name, or its index in ``model.layers``.
    max_maps : int
        Draw at most this many channels.
    ncols, cmap, title, save_path : optional
        Tiles per row; colour map; title; file to save to.

    Returns
    -------
    matplotlib.figure.Figure
        The input image first, then one tile per channel of the layer's output
        (for a layer with flat output, such as Dense, a bar per unit).

    Examples
    --------
    >>> show_feature_maps(cnn, x_test[0], layer=0)   # what the first Conv2D sees  # doctest: +SKIP
    """
    plt = _pyplot()
    if not isinstance(max_maps, numbers.Integral) or max_maps < 1:
        raise ValueError(f"show_feature_maps: max_maps must be a positive integer, got {max_maps!r}")
    layer = _find_layer(model, layer)
    x = _array(x)
    if x.dtype.kind != "f":
        x = x.astype("float32")
    try:
        expected = tuple(model.input_shape)  # (None, 28, 28, 1) for a CNN on MNIST
    except (AttributeError, TypeError, ValueError):
        expected = None  # not known before the model has seen data
    if expected is not None and expected and (expected[0] is None or isinstance(expected[0], int)):
        if x.ndim == len(expected) - 2 and expected[-1] == 1:
            x = x[..., None]  # (28, 28) -> (28, 28, 1): the one channel of a grey image
        if x.ndim == len(expected) - 1:
            x = x[None]
    elif x.ndim < 2 or x.shape[0] != 1:
        x = x[None]
    if x.shape[0] != 1:
        raise ValueError(f"show_feature_maps: give one input, got a batch of {x.shape[0]}")
    maps = _array(_activations_at(model, x, layer))[0]
    name = _layer_name(layer)
    picture = x[0]
    if picture.ndim == 3 and picture.shape[-1] == 1:
        picture = picture[..., 0]
    elif picture.ndim == 1 and math.isqrt(picture.size) ** 2 == picture.size:
        side = math.isqrt(picture.size)  # a flattened image, as a Dense network reads it
        picture = picture.reshape(side, side)
    if maps.ndim == 3:  # (height, width, channels)
        channels = maps.shape[-1]
        shown = np.moveaxis(maps[..., :max_maps], -1, 0)
        ncols = ncols or math.ceil(math.sqrt(len(shown) + 1))
        fig, axes = _grid(len(shown) + 1, ncols, 1.4, plt)
        if picture.ndim in (2, 3):
            axes[0].imshow(picture, cmap="binary" if picture.ndim == 2 else None)
        axes[0].set_title("input", fontsize=8)
        _bare(axes[0])
        for i, (ax, feature_map) in enumerate(zip(axes[1:], shown)):
            ax.imshow(feature_map, cmap=cmap)
            _bare(ax)
            ax.set_title(f"channel {i}", fontsize=7)
        what = f"{len(shown)} of {channels} channels" if len(shown) < channels else f"{channels} channels"
        fig.suptitle(title or f"feature maps of layer '{name}' ({what}, {maps.shape[0]}x{maps.shape[1]})")
    elif maps.ndim == 1:
        fig, (ax_in, ax) = plt.subplots(1, 2, figsize=(10, 3), gridspec_kw={"width_ratios": [1, 4]})
        if picture.ndim in (2, 3):
            ax_in.imshow(picture, cmap="binary" if picture.ndim == 2 else None)
        _bare(ax_in)
        ax_in.set_title("input", fontsize=8)
        ax.bar(np.arange(len(maps)), maps, color="tab:blue")
        ax.set_xlabel("unit")
        ax.set_ylabel("activation")
        ax.set_title(title or f"outputs of layer '{name}' ({len(maps)} units)")
    else:
        raise ValueError(
            f"show_feature_maps: layer '{name}' outputs shape {maps.shape} per input; "
            "expected feature maps (height, width, channels) or units (n,)"
        )
    fig.tight_layout()
    return _finish(fig, save_path)
