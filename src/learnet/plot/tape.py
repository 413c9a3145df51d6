"""Pictures of backpropagation: the graph a ``GradientTape`` recorded, drawn and animated.

``plot_tape`` draws what the tape recorded, left to right (inputs and Variables, then
the ops in the order they ran, then the loss), each node with its op name, its value
(or shape) and its gradient. ``animate_backprop`` plays the same graph: values appear
in recording order (the forward pass), then gradients appear in reverse order (the
backward pass), each edge showing its chain-rule product, upstream gradient × local
derivative. Only Matplotlib is needed, no Graphviz.

The drawn data can be read back: ``trace_tape`` returns the graph (nodes, edges,
values, gradients, edge products) that both functions draw.

Examples
--------
>>> import learnet as tf
>>> from learnet.plot import plot_tape
>>> w = tf.Variable(2.0, name="w")
>>> x = tf.constant(3.0)
>>> with tf.GradientTape(persistent=True) as tape:
...     y = tf.sigmoid(w * x)
>>> fig = plot_tape(tape, y, [w])                       # doctest: +SKIP
"""

import contextlib
import os

import numpy as np

from learnet.plot._helpers import _finish, _pyplot
from learnet.tape import recording_scope
from learnet.tensor import Tensor, Variable, keras2_name

# Node fills: Variables (what training changes) warm, watched inputs blue, plain
# constants grey and dashed, ops white, a collapsed layer lavender.
_FILL = {"variable": "#fde2c4", "source": "#d6e6f7", "constant": "#eeeeee", "op": "#ffffff", "layer": "#e6e0f5"}
_RIGHT, _WRONG, _ACTIVE = "tab:green", "tab:red", "tab:orange"

# Above this many ops, a drawing collapses each layer's ops into one box by default.
_COLLAPSE_ABOVE = 6
# More nodes than this make a figure too large to read (or to allocate).
_MOST_NODES = 300
# An edge's local derivative (a Jacobian) is worked out when it has at most this many entries.
_JACOBIAN_LIMIT = 64


# --- the graph --------------------------------------------------------------------------
class TapeNode:
    """One drawn node: an input, a Variable, a recorded op or a collapsed layer.

    Attributes
    ----------
    key : str
        ``"op3"`` for the op recorded fourth, ``"leaf0"`` ..., ``"layer:dense_1"``.
    kind : {"variable", "source", "constant", "op", "layer"}
    title : str
        The op's name (``"multiply"``), the Variable's name, or the layer's name.
    name : str or None
        The name given in ``names=`` (``"z"``), if any.
    index : int or None
        For an op, its position in recording order.
    value : numpy.ndarray
        What the forward pass computed (for a layer: its output).
    grad : numpy.ndarray or None
        The gradient of the target with respect to this node (None where none flows or
        for a constant).
    scope : str or None
        The layer the op ran in.
    members : list of TapeNode
        For a collapsed layer: its ops and Variables.
    ok : bool or None
        The per-node gradient check (``check=``): True agrees, False disagrees.
    text : str
        The label drawn in the node.
    """

    def __init__(self, key, kind, title, tensor, index=None, scope=None, name=None):
        self.key, self.kind, self.title, self.tensor = key, kind, title, tensor
        self.index, self.scope, self.name = index, scope, name
        self.value = np.asarray(tensor.numpy()) if tensor is not None else None
        self.grad = None
        self.members = []
        self.ok = None
        self.text = ""
        self.column = self.row = 0

    def __repr__(self):
        return f"TapeNode({self.key}: {self.title})"


class TapeEdge:
    """An edge from an input to the op that read it (``position``: which argument).

    ``upstream`` is the gradient of the target with respect to the op's output,
    ``local`` the op's local derivative with respect to this input (a Jacobian with
    shape ``output.shape + input.shape``, or None when too large to show), and
    ``product`` the gradient the op sends back along this edge: upstream × local
    (a vector-Jacobian product; a plain product for scalars).
    """

    def __init__(self, source, target, position):
        self.source, self.target, self.position = source, target, position
        self.upstream = self.local = self.product = None
        self.text = ""

    def __repr__(self):
        return f"TapeEdge({self.source} -> {self.target})"


class TapeGraph:
    """The graph ``plot_tape`` and ``animate_backprop`` draw.

    ``nodes`` (dict key -> TapeNode: the ops in recording order, each input just before
    the first op that reads it),
    ``edges`` (list of TapeEdge), ``ops`` (the op nodes in recording order),
    ``order`` (the keys of the op nodes whose gradient was worked out, in the order the
    backward pass visited them: reverse recording order), ``target`` (key of the
    target's node) and ``gradients`` (one per source, as ``tape.gradient`` returns them).
    """

    def __init__(self):
        self.nodes, self.edges, self.ops, self.order = {}, [], [], []
        self.target, self.gradients, self.scopes, self.marked = None, [], [], False
        self._by_id = {}

    def node_of(self, tensor):
        """The node that holds ``tensor`` (an input, a Variable or an op's output)."""
        key = self._by_id.get(id(tensor))
        if key is None:
            raise KeyError("this tensor is not in the recorded graph")
        return self.nodes[key]

    def edges_into(self, key):
        return [edge for edge in self.edges if edge.target == key]


def _tensor_list(value, what):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)) and all(isinstance(v, Tensor) for v in value):
        return list(value)
    raise TypeError(f"plot_tape: {what} must be a tensor or a list of tensors, got {type(value).__name__}")


def _variable_scope(op):
    """A layer name from the Variables an op reads (``dense_1/kernel`` -> ``dense_1``)."""
    names = {
        keras2_name(v).rsplit("/", 1)[0]
        for v in op.inputs
        if isinstance(v, Variable) and isinstance(v.name, str) and "/" in keras2_name(v)
    }
    return names.pop() if len(names) == 1 else None


def _as_array(grad):
    if callable(grad) and not isinstance(grad, Tensor):
        grad = grad()
    return np.asarray(grad.numpy() if isinstance(grad, Tensor) else grad)


def _backward(op, g):
    """The gradients an op sends to its inputs for upstream gradient ``g`` (arrays, or None)."""
    if op.higher_order:
        raw = op.backward(Tensor._wrap(g), *op.inputs, op.output)
    else:
        raw = op.backward(g, *[t._value for t in op.inputs], op.output._value)
    if len(op.inputs) == 1 and not isinstance(raw, tuple):
        raw = (raw,)
    return list(raw)


def _local_derivative(op, position):
    """The Jacobian d output / d input (shape ``out.shape + in.shape``) of a small edge."""
    out, inp = op.output._value, op.inputs[position]._value
    if out.size * inp.size > _JACOBIAN_LIMIT or out.dtype.kind != "f":
        return None
    rows = []
    for k in range(out.size):
        seed = np.zeros(out.size, dtype=out.dtype)
        seed[k] = 1
        grad = _backward(op, seed.reshape(out.shape))[position]
        if grad is None:
            return None
        rows.append(np.broadcast_to(_as_array(grad), inp.shape).reshape(-1))
    return np.asarray(rows).reshape(out.shape + inp.shape)


def trace_tape(tape, target, sources=None, names=None, check=None):
    """Read what ``tape`` recorded and run the backward pass node by node.

    The gradients are computed exactly as ``tape.gradient`` computes them (the same
    backward functions, in the same reverse order), but every intermediate one is kept.
    The tape is left as it was: a persistent tape can still be asked for gradients.

    Parameters
    ----------
    tape : GradientTape
        A tape that recorded the computation and has not released it (record with
        ``persistent=True`` to call ``tape.gradient`` too, or trace before calling it).
    target : Tensor
        What to differentiate (a non-scalar target counts as its sum, as in ``gradient``).
    sources : Tensor or list of Tensors, optional
        What to differentiate with respect to (drawn as inputs with their gradients);
        by default the Variables the tape watched.
    names : dict, optional
        ``{"z": z_tensor, ...}``: names to write on nodes (Variables show their own).
    check : GradientCheck or dict, optional
        From ``learnet.testing.check_gradients(..., per_node=True)`` (or ``{op index: ok}``):
        colours each op green (its backward agrees with its forward) or red.

    Returns
    -------
    TapeGraph
    """
    if not hasattr(tape, "recorded_ops"):
        raise TypeError(f"plot_tape expects a GradientTape, got {type(tape).__name__}")
    ops = tape.recorded_ops()
    if not ops:
        raise ValueError(
            "the tape recorded no ops: run the computation inside `with tape:` "
            "and read a Variable (or tape.watch an input) so that it is recorded"
        )
    if not isinstance(target, Tensor):
        raise TypeError(f"plot_tape: the target must be a tensor, got {type(target).__name__}")
    if sources is None:
        sources = list(tape.watched_variables())
    source_list = _tensor_list(sources, "sources")
    name_of = {}
    for label, tensor in (names or {}).items():
        if not isinstance(tensor, Tensor):
            raise TypeError(f"plot_tape: names[{label!r}] must be a tensor, got {type(tensor).__name__}")
        name_of[id(tensor)] = str(label)
    node_ok = getattr(check, "node_ok", check) or {}
    if not isinstance(node_ok, dict):
        raise TypeError("plot_tape: check must come from check_gradients(..., per_node=True)")

    graph = TapeGraph()
    by_id = {}
    source_ids = {id(s) for s in source_list}
    watched_variables = {id(v) for v in tape.watched_variables()}
    leaves = 0
    for index, op in enumerate(ops):
        for tensor in op.inputs:
            if id(tensor) in by_id:
                continue
            if isinstance(tensor, Variable):
                kind, title = "variable", keras2_name(tensor)
            elif id(tensor) in source_ids:
                kind, title = "source", "input"
            else:
                kind, title = "constant", "constant"
            key = f"leaf{leaves}"
            leaves += 1
            graph.nodes[key] = TapeNode(key, kind, title, tensor, name=name_of.get(id(tensor)))
            by_id[id(tensor)] = key
        key = f"op{index}"
        node = TapeNode(
            key,
            "op",
            op.name.lstrip("_"),
            op.output,
            index=index,
            scope=op.scope or _variable_scope(op),
            name=name_of.get(id(op.output)),
        )
        node.ok = node_ok.get(index)
        graph.nodes[key] = node
        graph.ops.append(node)
        for position, tensor in enumerate(op.inputs):
            graph.edges.append(TapeEdge(by_id[id(tensor)], key, position))
        by_id[id(op.output)] = key
    graph._by_id = by_id
    if id(target) not in by_id:
        raise ValueError("plot_tape: the target was not recorded on this tape (compute it inside `with tape:`)")
    graph.target = by_id[id(target)]
    for source in source_list:
        if id(source) not in by_id:
            raise ValueError("plot_tape: a source is not an input of any recorded op")
    graph.scopes = list(dict.fromkeys(n.scope for n in graph.ops if n.scope))
    graph.marked = any(op.scope for op in ops)  # recorded under recording_scope (a model's layers)

    # The backward pass, one op at a time, keeping every gradient on the way.
    tracked = {key for key in by_id.values() if graph.nodes[key].kind == "op"}
    tracked |= {by_id[i] for i in source_ids} | {by_id[i] for i in watched_variables if i in by_id}
    grads = {graph.target: np.ones_like(target._value)}
    edges_of = {}
    for edge in graph.edges:
        edges_of.setdefault(edge.target, []).append(edge)
    for index in range(len(ops) - 1, -1, -1):
        op, key = ops[index], f"op{index}"
        g = grads.get(key)
        if g is None:
            continue
        graph.order.append(key)
        in_grads = _backward(op, g)
        for edge, grad in zip(edges_of[key], in_grads):
            edge.upstream = g
            if grad is None or edge.source not in tracked:
                continue
            grad = _as_array(grad)
            source_value = op.inputs[edge.position]._value
            if grad.dtype != source_value.dtype and source_value.dtype.kind == "f":
                grad = grad.astype(source_value.dtype)
            edge.product = grad
            edge.local = _local_derivative(op, edge.position)
            previous = grads.get(edge.source)
            grads[edge.source] = grad if previous is None else previous + grad
    for key, grad in grads.items():
        graph.nodes[key].grad = grad
    graph.gradients = [grads.get(by_id[id(s)]) for s in source_list]
    for node in graph.nodes.values():
        node.text = _node_text(node)
    for edge in graph.edges:
        edge.text = _edge_text(edge)
    return graph


# --- labels ------------------------------------------------------------------------------
def format_value(value):
    """A number (4 significant digits), a short list, or the shape of a large tensor."""
    value = np.asarray(value)
    if value.size == 1:
        return f"{float(value.reshape(())):.4g}" if value.dtype.kind in "fc" else str(value.reshape(()))
    if value.size <= 4 and value.ndim == 1:
        return "[" + ", ".join(f"{float(v):.4g}" for v in value) + "]"
    return "shape " + str(tuple(value.shape))


def _node_text(node):
    if node.kind == "op":
        head = node.title if node.name is None else f"{node.name} = {node.title}"
    elif node.kind == "variable":
        head = node.title if node.name in (None, node.title) else f"{node.name} ({node.title})"
    else:
        kind = "input" if node.kind == "source" else node.kind
        head = kind if node.name is None else f"{node.name} ({kind})"
    lines = [head]
    if node.value is not None:
        shown = format_value(node.value)
        lines.append(shown if shown.startswith("shape") else f"value {shown}")
    if node.grad is not None and node.kind != "constant":
        grad = np.asarray(node.grad)
        shown = format_value(grad)
        if shown.startswith("shape"):
            shown = f"|g| {float(np.sqrt(np.sum(np.square(grad, dtype=np.float64)))):.3g}"
        lines.append(f"grad {shown}")
    if node.ok is not None:
        lines.append("check ✓" if node.ok else "check ✗ WRONG")
    return "\n".join(lines)


def _edge_text(edge):
    if edge.product is None:
        return ""
    upstream, product = np.asarray(edge.upstream), np.asarray(edge.product)
    if edge.local is not None and upstream.size == 1 and edge.local.size == 1:
        return f"{format_value(upstream)} × {format_value(edge.local)} = {format_value(product)}"
    if edge.local is not None and upstream.size <= 4 and product.size <= 4:
        # A vector-Jacobian product: the upstream gradient times the local Jacobian.
        return f"{format_value(upstream)} · J\n= {format_value(product)}"
    return ""


# --- collapsing layers -------------------------------------------------------------------
def _collapse(graph, expand, collapse):
    """The nodes and edges to draw: each collapsed layer's ops and Variables become one box."""
    expand = [] if expand is None else [expand] if isinstance(expand, str) else list(expand)
    unknown = [name for name in expand if name not in graph.scopes]
    if unknown:
        known = ", ".join(graph.scopes) or "none (the tape has no layer scopes)"
        raise ValueError(f"plot_tape: cannot expand {unknown}: the layers in this graph are {known}")
    if collapse == "auto":
        collapse = bool(graph.scopes) and (graph.marked or len(graph.ops) > _COLLAPSE_ABOVE)
    elif not isinstance(collapse, bool):
        raise ValueError(f"collapse must be True, False or 'auto', got {collapse!r}")
    folded = {s for s in graph.scopes if s not in expand} if collapse else set()
    owner = {}
    for node in graph.ops:
        if node.scope in folded:
            owner[node.key] = f"layer:{node.scope}"
    consumers = {}
    for edge in graph.edges:
        consumers.setdefault(edge.source, set()).add(owner.get(edge.target, edge.target))
    for key, node in graph.nodes.items():
        users = consumers.get(key, set())
        if node.kind == "variable" and len(users) == 1:
            (user,) = users
            if user.startswith("layer:"):
                owner[key] = user
    nodes, boxes = {}, {}
    for key, node in graph.nodes.items():
        box_key = owner.get(key)
        if box_key is None:
            nodes[key] = node
            continue
        if box_key not in boxes:
            box = TapeNode(box_key, "layer", box_key.split(":", 1)[1], None, scope=box_key.split(":", 1)[1])
            boxes[box_key] = nodes[box_key] = box
        boxes[box_key].members.append(node)
    readers = {}
    for edge in graph.edges:
        readers.setdefault(edge.source, []).append(owner.get(edge.target, edge.target))
    for box in boxes.values():
        ops = [m for m in box.members if m.kind == "op"]
        # The layer's output: its last op read outside it (or its last op).
        outputs = [m for m in ops if any(r != box.key for r in readers.get(m.key, ()))] or ops[-1:]
        box.value, box.grad = outputs[-1].value, outputs[-1].grad
        oks = [m.ok for m in ops if m.ok is not None]
        box.ok = all(oks) if oks else None
        names = list(dict.fromkeys(m.title for m in ops))
        inside = ", ".join(names) if len(names) <= 2 else f"{len(ops)} ops"
        lines = [f"{box.title}  [{inside}]", f"out {format_value(outputs[-1].value)}"]
        for member in box.members:
            if member.kind == "variable" and member.grad is not None:
                short = member.title.rsplit("/", 1)[-1]
                grad = np.asarray(member.grad)
                norm = float(np.sqrt(np.sum(np.square(grad, dtype=np.float64))))
                lines.append(f"grad {short} {tuple(grad.shape)} |g| {norm:.3g}")
        if box.ok is not None:
            lines.append("check ✓" if box.ok else "check ✗ WRONG")
        box.text = "\n".join(lines)
    edges, seen = [], set()
    for edge in graph.edges:
        source, target = owner.get(edge.source, edge.source), owner.get(edge.target, edge.target)
        if source == target:
            continue
        if source in boxes or target in boxes:
            if (source, target) in seen:
                continue
            seen.add((source, target))
            merged = TapeEdge(source, target, edge.position)
            edges.append(merged)
        else:
            edges.append(edge)
    return nodes, edges


# --- layout and drawing ------------------------------------------------------------------
def _layout(nodes, edges):
    """Columns by longest path from the inputs; inputs sit just left of their first reader."""
    preds, succs = {k: [] for k in nodes}, {k: [] for k in nodes}
    for edge in edges:
        preds[edge.target].append(edge.source)
        succs[edge.source].append(edge.target)
    column = {}

    def place(key):
        # Longest path from an input; iterative, as a tape can be thousands of ops deep.
        stack = [key]
        while stack:
            top = stack[-1]
            waiting = [p for p in preds[top] if p not in column]
            if waiting:
                stack.extend(waiting)
                continue
            stack.pop()
            column[top] = 1 + max((column[p] for p in preds[top]), default=-1)

    for key in nodes:
        if key not in column:
            place(key)
    for key, node in nodes.items():
        if not preds[key] and succs[key]:
            column[key] = max(0, min(column[s] for s in succs[key]) - 1)
    columns = {}
    for key in nodes:
        columns.setdefault(column[key], []).append(key)
    row = {}
    for c in sorted(columns):
        keys = columns[c]

        def weight(key, c=c):
            near = [row[p] for p in preds[key] if p in row] or [row[s] for s in succs[key] if s in row]
            return (sum(near) / len(near)) if near else 0.0

        # Nodes ordered by the mean row of their neighbours already placed.
        first_pass = sorted(keys, key=lambda k: (weight(k), list(nodes).index(k)))
        for position, key in enumerate(first_pass):
            row[key] = position - (len(first_pass) - 1) / 2
    for key, node in nodes.items():
        node.column, node.row = column[key], row[key]
    return max(column.values()) + 1, max(len(v) for v in columns.values())


def _node_colour(node):
    if node.ok is True:
        return _RIGHT
    if node.ok is False:
        return _WRONG
    return "black"


def _draw(graph, nodes, edges, title, figsize, show_edge_text=True):
    plt = _pyplot()
    n_columns, n_rows = _layout(nodes, edges)
    dx, dy = 3.0, 1.5
    if figsize is None:
        figsize = (max(6.0, 2.3 * n_columns), max(3.0, 1.3 * n_rows + 1.0))
    fig, ax = plt.subplots(figsize=figsize)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.07, top=0.9 if title else 0.97)
    ax.set_axis_off()
    artists = {"nodes": {}, "edges": {}}
    position = {k: (n.column * dx, -n.row * dy) for k, n in nodes.items()}
    for key, node in nodes.items():
        x, y = position[key]
        style = "round,pad=0.3" if node.kind in ("op", "layer") else "square,pad=0.3"
        text = ax.text(
            x,
            y,
            node.text,
            ha="center",
            va="center",
            fontsize=7,
            zorder=10,
            bbox={
                "boxstyle": style,
                "fc": _FILL[node.kind],
                "ec": _node_colour(node),
                "lw": 2.5 if node.ok is not None else 1.0,
                "ls": "--" if node.kind == "constant" else "-",
            },
        )
        text.set_gid(f"node:{key}")
        artists["nodes"][key] = text
    for edge in edges:
        (x0, y0), (x1, y1) = position[edge.source], position[edge.target]
        # Anchored to the two labels' boxes, so arrows meet the boxes whatever their size.
        arrow = ax.annotate(
            "",
            xy=(0, 0.5),
            xycoords=artists["nodes"][edge.target],
            xytext=(1, 0.5),
            textcoords=artists["nodes"][edge.source],
            arrowprops={"arrowstyle": "-|>", "color": "0.45", "lw": 1.0, "shrinkA": 4, "shrinkB": 4},
        )
        arrow.set_gid(f"edge:{edge.source}->{edge.target}")
        label = ax.text(
            x0 + 0.5 * (x1 - x0),
            y0 + 0.5 * (y1 - y0) + 0.1,
            edge.text if show_edge_text else "",
            ha="center",
            va="bottom",
            fontsize=6.5,
            color="tab:purple",
            zorder=11,
            bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.85},
        )
        label.set_gid(f"edge-text:{edge.source}->{edge.target}:{edge.position}")
        artists["edges"][id(edge)] = (arrow, label)
    ax.set_xlim(-1.3, (n_columns - 1) * dx + 1.3)
    ax.set_ylim(-(n_rows / 2) * dy - 0.6, (n_rows / 2) * dy + 0.6)
    if title:
        ax.set_title(title)
    fig.tape_graph = graph
    fig.tape_artists = artists
    return fig, ax, artists


def plot_tape(
    tape,
    target,
    sources=None,
    names=None,
    expand=None,
    collapse="auto",
    check=None,
    title=None,
    figsize=None,
    save_path=None,
):
    """Draw the graph a ``GradientTape`` recorded, with its values and gradients.

    Laid out left to right: inputs and Variables, then each recorded op (one node per
    op, edges following the recording), then the target. A node shows its op name,
    its value (or shape, for a large tensor) and its gradient; an edge shows what the
    backward pass sent along it, upstream gradient × local derivative. Variables
    (orange, square), watched inputs (blue) and constants (grey, dashed) are told apart.

    Parameters
    ----------
    tape : GradientTape
        Recorded the computation; not yet released (use ``persistent=True`` to also
        call ``tape.gradient``, or draw before calling it).
    target : Tensor
        What is differentiated, usually the loss.
    sources : Tensor or list of Tensors, optional
        What to differentiate with respect to (``model.trainable_weights``, say); by
        default the Variables the tape watched.
    names : dict, optional
        ``{"z": z, "a": a}``: names written on the nodes holding these tensors.
    expand : str or list of str, optional
        Layers to draw op by op while the others are collapsed into one box each.
    collapse : {"auto", True, False}
        Collapse each layer's ops (and its Variables) into one box; "auto" does it for
        a tape of ``trace_train_step`` (or recorded under ``recording_scope``) and for
        graphs of more than 6 ops that know their layers. Ops know their layer from ``trace_train_step`` or
        from the Variables they read (``dense_1/kernel``).
    check : GradientCheck, optional
        ``learnet.testing.check_gradients(f, inputs, per_node=True)``: frames each op
        green (✓, its backward agrees with central differences) or red (✗).
    title, figsize, save_path
        As in the other ``learnet.plot`` functions.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.tape_graph`` holds the ``TapeGraph`` drawn (values, gradients, edges).

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.plot import plot_tape
    >>> w, b = tf.Variable(0.5, name="w"), tf.Variable(0.1, name="b")
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     loss = tf.square(w * 2.0 + b - 1.0)
    >>> fig = plot_tape(tape, loss, [w, b])
    >>> [node.title for node in fig.tape_graph.ops]
    ['multiply', 'add', 'subtract', 'square']
    """
    graph = trace_tape(tape, target, sources, names=names, check=check)
    nodes, edges = _collapse(graph, expand, collapse)
    if len(nodes) > _MOST_NODES:
        raise ValueError(
            f"plot_tape would draw {len(nodes)} nodes (at most {_MOST_NODES} fit a figure): draw a "
            "smaller computation, or record a model with trace_train_step so its layers collapse"
        )
    fig, _, _ = _draw(graph, nodes, edges, title, figsize)
    fig.tape_nodes, fig.tape_edges = nodes, edges
    return _finish(fig, save_path)


# --- the animation -----------------------------------------------------------------------
class Frame:
    """One picture of ``animate_backprop``.

    ``phase`` is "forward" or "backward"; ``node`` the key of the node that changes
    (None for the first frame); ``values`` the keys whose values are shown; ``grads``
    key -> gradient shown so far (partial sums while the backward pass is running);
    ``products`` the edges whose chain-rule product this frame writes, each a
    ``TapeEdge`` (``upstream``, ``local``, ``product``); ``caption`` the sentence shown.
    """

    def __init__(self, phase, node, values, grads, products, caption):
        self.phase, self.node, self.values, self.grads = phase, node, values, grads
        self.products, self.caption = products, caption

    def __repr__(self):
        return f"Frame({self.phase}, {self.node}: {self.caption})"


def _frames(graph):
    leaves = [k for k, n in graph.nodes.items() if n.kind != "op"]
    values, frames = set(leaves), []
    frames.append(Frame("forward", None, frozenset(values), {}, [], "the inputs and the Variables"))
    for node in graph.ops:
        values.add(node.key)
        frames.append(
            Frame("forward", node.key, frozenset(values), {}, [], f"forward: {node.title} = {format_value(node.value)}")
        )
    target = graph.nodes[graph.target]
    grads = {graph.target: np.ones_like(target.value)}
    frames.append(
        Frame(
            "backward",
            graph.target,
            frozenset(values),
            dict(grads),
            [],
            "backward: the gradient of the target with respect to itself is 1",
        )
    )
    for key in graph.order:
        node = graph.nodes[key]
        products = [e for e in graph.edges if e.target == key and e.product is not None]
        for edge in products:
            previous = grads.get(edge.source)
            grads[edge.source] = edge.product if previous is None else previous + edge.product
        grads[key] = node.grad
        worked = [e.text.replace("\n", " ") for e in products if e.text][:3]
        caption = f"backward through {node.title}: upstream gradient × local derivative"
        if worked:
            caption += "  (" + ";  ".join(worked) + ")"
        frames.append(Frame("backward", key, frozenset(values), dict(grads), products, caption))
    return frames


class BackpropAnimation:
    """The forward and backward pass of a tape, frame by frame (``animate_backprop``).

    Attributes
    ----------
    frames : list of Frame
        What each picture shows: read them in a test, or step through them by hand.
    graph : TapeGraph
    figure : matplotlib.figure.Figure
    animation : matplotlib.animation.FuncAnimation
        Plays in Jupyter (this object shows it as HTML); ``save`` writes GIF or MP4.
    """

    def __init__(self, graph, figure, animation, frames):
        self.graph, self.figure, self.animation, self.frames = graph, figure, animation, frames

    def save(self, path, fps=1):
        """Write the animation: ``.gif`` (Pillow) or ``.mp4`` (needs ffmpeg)."""
        from matplotlib import animation as mpl_animation

        path = os.fspath(path)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        extension = os.path.splitext(path)[1].lower()
        if extension == ".gif":
            writer = mpl_animation.PillowWriter(fps=fps)
        elif extension == ".mp4":
            if not mpl_animation.writers.is_available("ffmpeg"):
                raise RuntimeError("saving an MP4 needs ffmpeg on the PATH; save a .gif instead")
            writer = mpl_animation.FFMpegWriter(fps=fps)
        else:
            raise ValueError(f"animate_backprop saves .gif or .mp4 files, got {path!r}")
        self.animation.save(path, writer=writer)
        return path

    def _repr_html_(self):
        return self.animation.to_jshtml()


def animate_backprop(
    tape, target, sources=None, names=None, interval=1200, title=None, figsize=None, dpi=72, save_path=None
):
    """Animate backpropagation on the graph a tape recorded.

    First the forward pass: each op's value appears, in recording order. Then the
    backward pass, from the target back to the inputs: each op in reverse recording
    order turns orange, its gradient appears, and each of its input edges shows the
    chain-rule product ``upstream gradient × local derivative = gradient sent back``,
    summed into the input's gradient.

    Parameters
    ----------
    tape, target, sources, names
        As in ``plot_tape`` (every op is drawn: keep the graph small, at most 60 ops).
    interval : int
        Milliseconds per frame when played.
    dpi : int
        Resolution of the frames (each frame is rendered when played or saved).
    save_path : str, optional
        Also write the animation to this ``.gif`` or ``.mp4`` file.

    Returns
    -------
    BackpropAnimation
        Plays in a notebook; ``.frames`` lists what each picture shows.

    Examples
    --------
    >>> import learnet as tf
    >>> from learnet.plot import animate_backprop
    >>> w = tf.Variable(3.0, name="w")
    >>> with tf.GradientTape(persistent=True) as tape:
    ...     y = w * w + w
    >>> movie = animate_backprop(tape, y, [w])
    >>> [(frame.phase, frame.node) for frame in movie.frames]   # doctest: +NORMALIZE_WHITESPACE
    [('forward', None), ('forward', 'op0'), ('forward', 'op1'),
     ('backward', 'op1'), ('backward', 'op1'), ('backward', 'op0')]
    """
    from matplotlib import animation as mpl_animation

    graph = trace_tape(tape, target, sources, names=names)
    if len(graph.ops) > 60:
        raise ValueError(
            f"animate_backprop draws every op and this tape has {len(graph.ops)}; "
            "animate a smaller computation, or use plot_tape (it collapses layers)"
        )
    frames = _frames(graph)
    nodes = graph.nodes
    fig, ax, artists = _draw(graph, nodes, graph.edges, title, figsize, show_edge_text=False)
    fig.set_dpi(dpi)
    caption = ax.text(0.5, -0.02, "", transform=ax.transAxes, ha="center", va="top", fontsize=9)

    def show(number):
        frame = frames[number]
        for key, text in artists["nodes"].items():
            node = nodes[key]
            lines = [node.text.split("\n")[0]]
            if key in frame.values:
                shown = format_value(node.value)
                lines.append(shown if shown.startswith("shape") else f"value {shown}")
            if key in frame.grads and node.kind != "constant":
                lines.append(f"grad {format_value(frame.grads[key])}")
            text.set_text("\n".join(lines))
            active = key == frame.node
            text.get_bbox_patch().set_edgecolor(_ACTIVE if active else "black")
            text.get_bbox_patch().set_linewidth(2.5 if active else 1.0)
        written = {id(e) for e in frame.products}
        for edge in graph.edges:
            arrow, label = artists["edges"][id(edge)]
            label.set_text(edge.text if id(edge) in written else "")
            arrow.arrow_patch.set_color(_ACTIVE if id(edge) in written else "0.45")
        caption.set_text(frame.caption)
        return []

    show(0)
    animation = mpl_animation.FuncAnimation(fig, show, frames=len(frames), interval=interval, blit=False, repeat=True)
    # The first frame is drawn already; reading only `.frames` is a use, not a mistake
    # for Matplotlib to warn about ("Animation was deleted without rendering").
    animation._draw_was_started = True
    # Closed for pyplot only (it still renders): a notebook then shows the animation,
    # not also a still of its first frame.
    _pyplot().close(fig)
    movie = BackpropAnimation(graph, fig, animation, frames)
    if save_path is not None:
        movie.save(save_path, fps=max(1, round(1000 / interval)))
    return movie


# --- a model's training step --------------------------------------------------------------
@contextlib.contextmanager
def _layer_scopes(model):
    layers = list(getattr(model, "layers", []))
    wrapped = []
    try:
        for layer in layers:
            call = layer.call

            def scoped(*args, _call=call, _name=layer.name, **kwargs):
                with recording_scope(_name):
                    return _call(*args, **kwargs)

            object.__setattr__(layer, "call", scoped)
            wrapped.append(layer)
        yield
    finally:
        for layer in wrapped:
            object.__delattr__(layer, "call")


def trace_train_step(model, x, y, sample_weight=None):
    """Record the forward pass and loss of one training step of a compiled ``model``.

    Each layer's ops are marked with the layer's name, so ``plot_tape`` draws a layer
    as one box. The weights are not changed (no optimizer step is taken).

    Returns
    -------
    tape, loss, weights
        A persistent tape, the loss it recorded and ``model.trainable_weights``:
        ``plot_tape(*trace_train_step(model, x, y))``.

    Examples
    --------
    >>> tape, loss, weights = trace_train_step(model, x[:32], y[:32])   # doctest: +SKIP
    >>> fig = plot_tape(tape, loss, weights, expand=["dense_1"])          # doctest: +SKIP
    """
    from learnet.tape import GradientTape

    if not hasattr(model, "compute_loss") or not hasattr(model, "trainable_weights"):
        raise TypeError(f"trace_train_step expects a compiled Model, got {type(model).__name__}")
    with GradientTape(persistent=True) as tape:
        with _layer_scopes(model):
            y_pred = model(x, training=True)
        with recording_scope("loss"):
            loss = model.compute_loss(x, y, y_pred, sample_weight)
    return tape, loss, list(model.trainable_weights)
