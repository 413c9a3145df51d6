"""Gradient descent drawn: a ball rolling down a curve, optimizers racing on a surface,
one problem tried with several learning rates."""

import math
import numbers

import numpy as np

from learnet.plot._helpers import _WRONG, _array, _finish, _number, _pyplot
from learnet.tape import GradientTape
from learnet.tensor import Tensor, Variable, constant


def _optimizer(spec, learning_rate, function):
    """A learnet optimizer from an instance or a name (``"momentum"``: SGD with 0.9)."""
    from learnet import optimizers

    if not isinstance(spec, str):
        if not hasattr(spec, "apply_gradients"):
            raise TypeError(f"{function}: {spec!r} is not an optimizer (it has no apply_gradients)")
        return spec
    key = spec.lower()
    if key == "sgd":
        return optimizers.SGD(learning_rate=learning_rate)
    if key == "momentum":
        return optimizers.SGD(learning_rate=learning_rate, momentum=0.9)
    if key == "rmsprop":
        return optimizers.RMSprop(learning_rate=learning_rate)
    if key == "adam":
        return optimizers.Adam(learning_rate=learning_rate)
    raise ValueError(
        f"{function}: unknown optimizer {spec!r}; use 'sgd', 'momentum', 'rmsprop', 'adam' "
        "or an optimizer from learnet.optimizers"
    )


def _optimizer_label(optimizer):
    name = type(optimizer).__name__
    parts = []
    rate = getattr(optimizer, "learning_rate", None)
    try:
        parts.append(f"learning rate {_number(rate):g}")
    except (TypeError, ValueError):
        pass  # a schedule: no single number to show
    momentum = getattr(optimizer, "momentum", 0)
    try:
        if _number(momentum):
            parts.append(f"momentum {_number(momentum):g}")
    except (TypeError, ValueError):
        pass
    return f"{name} ({', '.join(parts)})" if parts else name


def _descend(f, start, optimizer, steps, function):
    """Minimize ``f`` from ``start`` with ``optimizer``.

    Returns the points visited (``steps + 1`` rows unless it diverged), the value of
    ``f`` and its gradient at each.
    """
    start = np.atleast_1d(np.asarray(start, dtype=np.float64))
    variables = [Variable(float(v), name=f"x{i}") for i, v in enumerate(start)]
    points, values, slopes = [], [], []
    for step in range(steps + 1):
        with GradientTape() as tape:
            y = f(*variables)
        if not isinstance(y, Tensor):
            raise TypeError(f"{function}: f must compute with learnet ops and return a tensor, got {type(y).__name__}")
        if y.shape not in ((), (1,)):
            raise ValueError(f"{function}: f must return one number, got shape {tuple(y.shape)}")
        grads = tape.gradient(y, variables, unconnected_gradients="zero")  # flat along an unused input
        point = [_number(v) for v in variables]
        value, slope = _number(y), [_number(g) for g in grads]
        if not np.all(np.isfinite(point + [value] + slope)) or max(abs(p) for p in point) > 1e6:
            break  # diverged: the next points would be meaningless
        points.append(point)
        values.append(value)
        slopes.append(slope)
        if step < steps:
            optimizer.apply_gradients(zip(grads, variables))
    return np.array(points).reshape(-1, len(start)), np.array(values), np.array(slopes).reshape(-1, len(start))


def _evaluate(f, *grids):
    """``f`` on arrays of points: in one call when ``f`` is written with elementwise ops."""
    try:
        result = _array(f(*[constant(g, dtype="float32") for g in grids]))
        if result.shape == grids[0].shape:
            return result.astype(np.float64)
    except Exception:  # noqa: BLE001 - any failure: fall back to one point at a time
        pass
    flat = [g.ravel() for g in grids]
    values = [_number(f(*[constant(float(g[i])) for g in flat])) for i in range(flat[0].size)]
    return np.array(values).reshape(grids[0].shape)


def _around(values, share=0.15, least=0.5):
    """An axis range around ``values`` with a margin (``share`` of their span, at least ``least``)."""
    low, high = float(np.min(values)), float(np.max(values))
    margin = max(share * (high - low), least)
    return low - margin, high + margin


def _check_steps(steps, function):
    if not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(f"{function}: steps must be a non-negative integer, got {steps!r}")


def plot_descent_1d(f, start, learning_rate=0.1, steps=10, momentum=0.0, x_range=None, tangents=12, save_path=None):
    """Draw a function, the steps of gradient descent on it, and the tangent at each step.

    Each step asks a ``GradientTape`` for the slope ``f'(x)`` and lets learnet's
    ``SGD`` optimizer move ``x`` downhill: ``x <- x - learning_rate * f'(x)`` (with
    momentum, the velocity remembers earlier steps).

    Parameters
    ----------
    f : callable
        A function of one scalar tensor written with learnet ops, e.g.
        ``lambda x: x ** 2`` or ``lambda x: tf.sin(x) + 0.1 * x ** 2``.
    start : float
        Where descent begins.
    learning_rate : float
        The step size.
    steps : int
        How many updates.
    momentum : float
        SGD's momentum (0: plain gradient descent).
    x_range : (float, float), optional
        The part of the x axis drawn (by default: the path with some margin).
    tangents : int or None
        Draw the tangent at the first ``tangents`` points of the path (``None``: at
        every point); later ones pile up near the minimum.
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        The curve ``f(x)``, the path (numbered points), a short tangent line through
        each point, and ``f`` per step in a second panel.

    Examples
    --------
    >>> plot_descent_1d(lambda x: x ** 2, start=4.0, learning_rate=0.1, steps=10)  # doctest: +SKIP
    """
    from learnet import optimizers

    plt = _pyplot()
    _check_steps(steps, "plot_descent_1d")
    if np.ndim(start) != 0:
        raise ValueError(f"plot_descent_1d: start must be one number, got {start!r}")
    optimizer = optimizers.SGD(learning_rate=learning_rate, momentum=momentum)
    points, values, slopes = _descend(f, start, optimizer, steps, "plot_descent_1d")
    xs_path, slopes = points[:, 0], slopes[:, 0]
    diverged = len(xs_path) < steps + 1

    if x_range is None:
        x_range = _around(np.append(xs_path, float(start)))
    xs = np.linspace(x_range[0], x_range[1], 400)
    ys = _evaluate(f, xs)

    fig, (ax, ax_loss) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [2, 1]})
    ax.plot(xs, ys, color="0.45", linewidth=1.2, label="f(x)", gid="function")
    # The view follows the path; where the curve climbs higher it leaves the picture.
    y_low = min(np.nanmin(ys), values.min())
    y_high = min(values.max() + 0.25 * (values.max() - y_low), max(np.nanmax(ys), values.max())) + 1e-6
    x_span, y_span = x_range[1] - x_range[0], (y_high - y_low) or 1.0
    # A tangent of the same drawn length at every point, whatever its slope.
    count = len(xs_path) if tangents is None else min(int(tangents), len(xs_path))
    for i, (x0, y0, slope) in enumerate(zip(xs_path[:count], values, slopes)):
        half = 0.09 / math.hypot(1 / x_span, slope / y_span)
        ax.plot(
            [x0 - half, x0 + half],
            [y0 - slope * half, y0 + slope * half],
            color="tab:orange",
            linewidth=2,
            gid="tangent",
            zorder=2.5,
            label="tangent (slope f'(x))" if i == 0 else "_nolegend_",
        )
    ax.plot(
        xs_path, values, "o-", color=_WRONG, markersize=5, linewidth=1, label="gradient descent", gid="path", zorder=3
    )
    # Number the points, skipping those that would print over a number already there.
    numbered = []
    for i, (x0, y0) in enumerate(zip(xs_path, values)):
        here = np.array([x0 / x_span, y0 / y_span])
        if all(np.hypot(*(here - there)) > 0.045 for there in numbered):
            ax.annotate(str(i), (x0, y0), textcoords="offset points", xytext=(4, 6), fontsize=8)
            numbered.append(here)
    ax.set_xlim(*x_range)
    ax.set_ylim(y_low - 0.06 * y_span, y_high)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    what = f"learning rate {learning_rate:g}" + (f", momentum {momentum:g}" if momentum else "")
    ax.set_title(f"gradient descent, {what}" + (" (diverged)" if diverged else ""))
    ax.legend(loc="upper center", fontsize=8)
    ax.grid(alpha=0.3)

    ax_loss.plot(range(len(values)), values, "o-", color=_WRONG, markersize=4, gid="loss")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("f(x)")
    ax_loss.set_title("f(x) after each step")
    ax_loss.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, save_path)


def plot_descent_2d(
    f,
    start,
    optimizers=("sgd", "momentum", "rmsprop", "adam"),
    learning_rate=0.1,
    steps=50,
    x_range=None,
    y_range=None,
    levels=20,
    save_path=None,
):
    """Draw contour lines of ``f(x, y)`` and the paths optimizers take across them.

    Parameters
    ----------
    f : callable
        A function of two scalar tensors written with learnet ops, e.g.
        ``lambda x, y: x ** 2 + 10 * y ** 2``.
    start : (float, float)
        Where every optimizer begins.
    optimizers : sequence
        Optimizers from ``learnet.optimizers`` (each used for this one path), or
        names: ``"sgd"``, ``"momentum"`` (SGD with momentum 0.9), ``"rmsprop"``,
        ``"adam"``, created with ``learning_rate``.
    learning_rate : float
        The learning rate of the optimizers given by name.
    steps : int
        Updates per optimizer.
    x_range, y_range : (float, float), optional
        The window drawn (by default: every path with some margin).
    levels : int
        Number of contour lines.
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        Contour lines, one path per optimizer (labelled with its name and settings),
        the start marked with a black star.

    Examples
    --------
    >>> plot_descent_2d(lambda x, y: x ** 2 + 10 * y ** 2, start=(-4.0, 1.5),
    ...                 optimizers=["sgd", "adam"], learning_rate=0.05)  # doctest: +SKIP
    """
    plt = _pyplot()
    _check_steps(steps, "plot_descent_2d")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"plot_descent_2d: start must be two numbers (x, y), got {start.tolist()}")
    if isinstance(optimizers, str) or hasattr(optimizers, "apply_gradients"):
        optimizers = [optimizers]
    chosen = [_optimizer(o, learning_rate, "plot_descent_2d") for o in optimizers]
    if not chosen:
        raise ValueError("plot_descent_2d: give at least one optimizer")
    paths = []
    for optimizer in chosen:
        points, values, _ = _descend(f, start, optimizer, steps, "plot_descent_2d")
        paths.append((_optimizer_label(optimizer), points, len(points) < steps + 1))

    everything = np.concatenate([p for _, p, _ in paths] + [start[None]])
    x_range = tuple(x_range) if x_range is not None else _around(everything[:, 0])
    y_range = tuple(y_range) if y_range is not None else _around(everything[:, 1])
    gx, gy = np.meshgrid(np.linspace(*x_range, 160), np.linspace(*y_range, 160))
    gz = _evaluate(f, gx, gy)

    fig, ax = plt.subplots(figsize=(7.5, 6))
    finite = gz[np.isfinite(gz)]
    if finite.size and finite.min() >= 0 and finite.max() > 0:
        # Contours evenly spaced in log scale show the flat valley floor as well as the walls.
        floor = max(finite.min(), finite.max() * 1e-4)
        contour_levels = np.geomspace(floor, finite.max(), levels)
    else:
        contour_levels = levels
    ax.contour(gx, gy, gz, levels=contour_levels, colors="0.65", linewidths=0.7)
    colours = ["tab:red", "tab:blue", "tab:orange", "tab:purple", "tab:green", "tab:brown", "tab:pink"]
    for i, (label, points, diverged) in enumerate(paths):
        ax.plot(
            points[:, 0],
            points[:, 1],
            "o-",
            color=colours[i % len(colours)],
            markersize=3,
            linewidth=1.5,
            label=label + (" (diverged)" if diverged else ""),
            gid="path",
        )
    ax.plot([start[0]], [start[1]], "*", color="black", markersize=14, label="start", gid="start")
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{steps} steps of each optimizer")
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _finish(fig, save_path)


def _losses_of(result, function):
    if hasattr(result, "history") and isinstance(result.history, dict):
        result = result.history.get("loss")
        if result is None:
            raise ValueError(f"{function}: the History returned by train has no 'loss'")
    try:
        return np.array([_number(v) for v in result], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{function}: train(learning_rate) must return a History or a list of losses, got {type(result).__name__}"
        ) from error


def _plain_log_axis(ax):
    """A logarithmic y axis labelled with plain numbers (0.3, 2, 10) rather than 3x10^-1."""
    from matplotlib.ticker import FuncFormatter

    def label(value, _):
        if value <= 0:
            return ""
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        low, high = ax.get_ylim()
        short = low > 0 and math.log10(high / low) < 2  # room for 2, 3 and 5 between the powers of 10
        wanted = (1, 2, 3, 5) if short else (1,)
        if round(mantissa) in wanted and abs(mantissa - round(mantissa)) < 1e-6:
            return f"{value:g}"
        return ""

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(label))
    ax.yaxis.set_minor_formatter(FuncFormatter(label))


def plot_learning_rates(
    problem, learning_rates=(0.01, 0.1, 0.5, 1.0), start=None, steps=30, optimizer="sgd", log_scale=None, save_path=None
):
    """Train the same problem with several learning rates and draw the loss of each.

    Two ways to say what is trained:

    * ``start`` given: ``problem`` is a function (of one scalar tensor, or of as many
      as ``start`` has numbers) that learnet's optimizer minimizes from ``start`` for
      ``steps`` steps. For a function of one number, a second panel shows the paths
      on its curve.
    * ``start`` not given: ``problem(learning_rate)`` trains something (a model, say)
      and returns what ``model.fit`` returns, or a list of losses.

    Parameters
    ----------
    problem : callable
        See above.
    learning_rates : sequence of float
        The learning rates to compare.
    start : float or sequence of float, optional
        Where minimizing ``problem`` begins.
    steps : int
        Steps per learning rate (with ``start``).
    optimizer : str
        With ``start``: ``"sgd"``, ``"momentum"``, ``"rmsprop"`` or ``"adam"``.
    log_scale : bool, optional
        A logarithmic loss axis (default: when every loss is positive).
    save_path : optional
        A file to save the figure to.

    Returns
    -------
    matplotlib.figure.Figure
        One line per learning rate, labelled ``learning rate 0.1``; a run whose loss
        blew up is cut where it became infinite and marked ``(diverged)``.

    Examples
    --------
    >>> plot_learning_rates(lambda x: x ** 2, [0.01, 0.1, 0.9, 1.1], start=3.0)  # doctest: +SKIP
    >>> def train(learning_rate):                                                 # doctest: +SKIP
    ...     model = make_model()
    ...     model.compile(optimizer=tf.optimizers.SGD(learning_rate), loss="mse")
    ...     return model.fit(x, y, epochs=5, verbose=0)
    >>> plot_learning_rates(train, [0.001, 0.01, 0.1])                            # doctest: +SKIP
    """
    plt = _pyplot()
    learning_rates = [float(r) for r in np.atleast_1d(learning_rates)]
    if not learning_rates or min(learning_rates) <= 0:
        raise ValueError(f"plot_learning_rates: learning rates must be positive, got {learning_rates}")
    if start is not None:
        _check_steps(steps, "plot_learning_rates")
    runs = []
    for rate in learning_rates:
        if start is None:
            losses = _losses_of(problem(rate), "plot_learning_rates")
            points = None
        else:
            chosen = _optimizer(optimizer, rate, "plot_learning_rates")
            points, losses, _ = _descend(problem, start, chosen, steps, "plot_learning_rates")
        finite = np.isfinite(losses)
        diverged = not finite.all() or (start is not None and len(losses) < steps + 1)
        cut = len(losses) if finite.all() else int(np.argmin(finite))
        runs.append((rate, losses[:cut], points, diverged))

    curve = start is not None and np.ndim(start) == 0
    fig, axes = plt.subplots(1, 2 if curve else 1, figsize=(11 if curve else 6.5, 4.2), squeeze=False)
    ax = axes[0, 0]
    colours = [plt.get_cmap("tab10")(i % 10) for i in range(len(runs))]
    first = 0 if start is not None else 1  # steps count from 0, epochs from 1
    for colour, (rate, losses, _, diverged) in zip(colours, runs):
        ax.plot(
            np.arange(first, first + len(losses)),
            losses,
            "o-",
            markersize=3,
            color=colour,
            label=f"learning rate {rate:g}" + (" (diverged)" if diverged else ""),
            gid="loss",
        )
    kept = np.concatenate([r[1] for r in runs]) if runs else np.array([])
    if log_scale is None:
        log_scale = kept.size > 0 and kept.min() > 0
    if log_scale:
        _plain_log_axis(ax)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("step" if start is not None else "epoch")
    ax.set_ylabel("loss")
    ax.set_title("the same problem, several learning rates")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if curve:
        ax_curve = axes[0, 1]
        # Frame the runs that went downhill; one that blew up leaves the picture.
        tame = [r for r in runs if len(r[1]) and not r[3] and r[1][-1] <= r[1][0]] or runs
        path_x = np.concatenate([r[2][:, 0] for r in tame if len(r[2])] + [[float(start)]])
        xs = np.linspace(*_around(path_x), 300)
        ys = _evaluate(problem, xs)
        ax_curve.set_xlim(xs[0], xs[-1])
        ax_curve.set_ylim(ys.min() - 0.05 * np.ptp(ys), ys.max() + 0.05 * np.ptp(ys))
        ax_curve.plot(xs, ys, color="0.4", linewidth=2, label="f(x)", gid="function")
        for colour, (rate, losses, points, _) in zip(colours, runs):
            ax_curve.plot(
                points[:, 0],
                losses,
                "o-",
                markersize=3,
                color=colour,
                linewidth=1,
                label=f"learning rate {rate:g}",
                gid="path",
            )
        ax_curve.set_xlabel("x")
        ax_curve.set_ylabel("f(x)")
        ax_curve.set_title("the paths")
        ax_curve.grid(alpha=0.3)
    fig.tight_layout()
    return _finish(fig, save_path)
