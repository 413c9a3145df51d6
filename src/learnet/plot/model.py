"""A picture of a model: ``keras.utils.plot_model``, drawn with Matplotlib (no Graphviz).

``learnet.utils.plot_model`` (what Keras code calls) is this same function."""

from learnet.tree import flatten


def _shape_text(tensors):
    shapes = [tuple(t.shape) for t in tensors]
    return ", ".join(str(s) for s in shapes) if len(shapes) != 1 else str(shapes[0])


def _model_graph(model):
    """``(boxes, edges)``: one box per layer call, in order, and the edges between them.

    A box is ``(layer, input tensors, output tensor)``; the graph is read from the
    ``_keras_history`` of the model's output tensors (every layer call in between).
    """
    outputs = getattr(model, "outputs", None)
    if not outputs:
        raise ValueError(
            f"plot_model: model '{model.name}' is not built, so its layers and shapes are unknown. "
            "Give its first layer an input_shape (or start with keras.Input), or call it on data first"
        )
    boxes, index_of, edges = [], {}, []

    def visit(tensor):
        history = getattr(tensor, "_keras_history", None)
        if history is None:
            return None
        key = id(history)
        if key in index_of:
            return index_of[key]
        inputs = [t for t in flatten(history.inputs) if hasattr(t, "_keras_history")]
        sources = [visit(t) for t in inputs]
        index_of[key] = len(boxes)
        boxes.append((history.layer, inputs, tensor))
        edges.extend((source, index_of[key]) for source in sources if source is not None)
        return index_of[key]

    for tensor in flatten(outputs):
        visit(tensor)
    return boxes, edges


def plot_model(
    model,
    to_file="model.png",
    show_shapes=False,
    show_dtype=False,
    show_layer_names=True,
    rankdir="TB",
    expand_nested=False,
    dpi=200,
    show_layer_activations=False,
    show_trainable=False,
    **kwargs,
):
    """Draw a model as a graph of its layers and save the picture (``keras.utils.plot_model``).

    Keras draws with pydot and Graphviz; learnet draws the same boxes and arrows with
    Matplotlib, so nothing else is needed. Each box names a layer and its class, and
    optionally its input and output shapes, dtype, activation and trainability.

    Parameters
    ----------
    model : Model
        A built model (its input shape known).
    to_file : str or path-like, default "model.png"
        Where to save the picture; the extension chooses the format (png, pdf, svg...).
    show_shapes, show_dtype, show_layer_names, show_layer_activations, show_trainable : bool
    rankdir : {"TB", "LR"}, default "TB"
        Top to bottom, or left to right.
    expand_nested : bool
        Kept for compatibility: a nested model is drawn as one box.
    dpi : int, default 200

    Returns
    -------
    IPython.display.Image or None
        The picture, for a notebook to show (``None`` where IPython is not installed).

    Examples
    --------
    >>> import learnet as keras
    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])
    >>> keras.utils.plot_model(model, "model.png", show_shapes=True)     # doctest: +SKIP
    """
    import os

    try:
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch
    except ImportError:
        raise ImportError('plot_model needs Matplotlib, an optional extra: pip install "learnet[plot]"') from None
    if rankdir not in ("TB", "LR"):
        raise ValueError(f'plot_model: rankdir must be "TB" or "LR", got {rankdir!r}')
    boxes, edges = _model_graph(model)

    # Rank of a box: the longest path from an input to it; boxes of one rank side by side.
    rank = [0] * len(boxes)
    for source, target in sorted(edges, key=lambda edge: edge[1]):
        rank[target] = max(rank[target], rank[source] + 1)
    rows = {}
    for index, r in enumerate(rank):
        rows.setdefault(r, []).append(index)

    def label(layer, inputs, output):
        lines = [f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__]
        activation = getattr(layer, "activation", None)
        if show_layer_activations and activation is not None:
            lines.append(f"activation: {getattr(activation, '__name__', type(activation).__name__)}")
        if show_dtype:
            lines.append(f"dtype: {getattr(output, 'dtype', '?')}")
        if show_shapes:
            if inputs:
                lines.append(f"input: {_shape_text(inputs)}")
            lines.append(f"output: {_shape_text([output])}")
        if show_trainable:
            lines.append(f"trainable: {getattr(layer, 'trainable', True)}")
        return "\n".join(lines)

    texts = [label(*box) for box in boxes]
    # Sizes in inches, for 9-point monospace text (a character is about 0.075 inch wide).
    box_width = 0.4 + 0.08 * max(len(line) for text in texts for line in text.split("\n"))
    box_height = 0.2 + 0.17 * max(text.count("\n") + 1 for text in texts)
    across = max(len(members) for members in rows.values())
    step_across, step_down = box_width + 0.5, box_height + 0.45
    positions = {}
    for r, members in rows.items():
        offset = (across - len(members)) * step_across / 2
        for slot, index in enumerate(members):
            x, y = offset + slot * step_across, -r * step_down
            positions[index] = (x, y) if rankdir == "TB" else (r * (box_width + 0.6), -slot * step_down)

    figure = Figure(figsize=(1, 1))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_axis_off()
    middle = sum(p[0 if rankdir == "TB" else 1] for p in positions.values()) / len(positions)
    for source, target in edges:
        (x0, y0), (x1, y1) = positions[source], positions[target]
        style = "arc3"
        if rank[target] - rank[source] > 1:
            # A connection that skips ranks (a residual branch, a wide input) goes around the
            # boxes between, on the outer side of the picture.
            if rankdir == "TB":
                side = -1 if x0 < middle else 1
                start, end = (x0 + side * box_width / 2, y0), (x1 + side * box_width / 2, y1)
                angle = 180 if side < 0 else 0
            else:
                side = 1 if y0 > middle else -1
                start, end = (x0, y0 + side * box_height / 2), (x1, y1 + side * box_height / 2)
                angle = 90 if side > 0 else 270
            style = f"arc,angleA={angle},angleB={angle},armA=25,armB=25,rad=8"
        elif rankdir == "TB":
            start, end = (x0, y0 - box_height / 2), (x1, y1 + box_height / 2)
        else:
            start, end = (x0 + box_width / 2, y0), (x1 - box_width / 2, y1)
        axes.annotate(
            "", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="0.3", lw=1, connectionstyle=style)
        )
    for index, text in enumerate(texts):
        x, y = positions[index]
        axes.add_patch(
            FancyBboxPatch(
                (x - box_width / 2, y - box_height / 2),
                box_width,
                box_height,
                boxstyle="round,pad=0.02,rounding_size=0.08",
                facecolor="#eef3fb",
                edgecolor="0.35",
                linewidth=1,
            )
        )
        axes.text(x, y, text, ha="center", va="center", fontsize=9, family="monospace")
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    margin = 0.6  # room for the arcs of skip connections
    axes.set_xlim(min(xs) - box_width / 2 - margin, max(xs) + box_width / 2 + margin)
    axes.set_ylim(min(ys) - box_height / 2 - margin, max(ys) + box_height / 2 + margin)
    width = max(xs) - min(xs) + box_width + 2 * margin
    height = max(ys) - min(ys) + box_height + 2 * margin
    figure.set_size_inches(width, height)
    axes.set_aspect("equal")
    folder = os.path.dirname(os.fspath(to_file))
    if folder:
        os.makedirs(folder, exist_ok=True)
    figure.savefig(to_file, dpi=dpi)
    try:
        from IPython.display import Image
    except ImportError:
        return None
    extension = os.path.splitext(os.fspath(to_file))[1].lower()
    return Image(filename=os.fspath(to_file)) if extension in (".png", ".jpg", ".jpeg") else None
