""" "Let the computer play": learnet's optimizers descend a level's hidden function.

This is the punch line of the lesson. The teams followed the tangent's slope by
hand; here the same function is handed to :class:`learnet.optimizers.SGD` (plain
gradient descent, and with momentum) and :class:`learnet.optimizers.Adam`, in the
very loop that trains a neural network::

    with learnet.GradientTape() as tape:
        y = f(x)                                   # forward
    grad = tape.gradient(y, x)                      # backward: the slope
    optimizer.apply_gradients([(grad, x)])          # step downhill

Each step stays inside the level's range (a step that would leave it stops at the
edge), as a team's guess must.
"""

import math

import numpy as np

from learnet.game.expressions import EVALUATION_LOCK

#: The momentum coefficient of the "momentum" player (Keras's usual choice).
MOMENTUM = 0.9


def _optimizers(learning_rates):
    from learnet import optimizers

    return [
        ("gradient_descent", optimizers.SGD(learning_rate=learning_rates["gradient_descent"])),
        ("momentum", optimizers.SGD(learning_rate=learning_rates["momentum"], momentum=MOMENTUM)),
        ("adam", optimizers.Adam(learning_rate=learning_rates["adam"])),
    ]


def play(level, start, steps, learning_rates):
    """Run each optimizer on ``level``'s function from ``start`` for ``steps`` steps.

    Parameters
    ----------
    level : learnet.game.levels.Level
        The level whose hidden function is minimised.
    start : float
        The first ``x``.
    steps : int
        How many optimizer steps to take.
    learning_rates : dict
        ``{"gradient_descent": ..., "momentum": ..., "adam": ...}``.

    Returns
    -------
    list of dict
        One per optimizer: ``{"optimizer", "learning_rate", "path"}``, where ``path``
        lists ``{"x", "fx", "slope"}`` from the start, one entry per step.
    """
    import learnet

    if level.dimensions == 2:
        return _play_2d(level, start, steps, learning_rates)
    runs = []
    for name, optimizer in _optimizers(learning_rates):
        x = learnet.Variable(float(start), dtype="float64", name=f"x_{name}")
        path = []
        with EVALUATION_LOCK, np.errstate(all="ignore"):
            for step in range(steps + 1):
                with learnet.GradientTape() as tape:
                    y = level.function(x)
                slope = tape.gradient(y, x)
                point = {
                    "x": float(x.numpy()),
                    "fx": float(np.asarray(y.numpy()).reshape(())),
                    "slope": 0.0 if slope is None else float(np.asarray(slope.numpy()).reshape(())),
                }
                if not (math.isfinite(point["fx"]) and math.isfinite(point["slope"])):
                    break  # the function is undefined here: no way downhill
                path.append(point)
                if step == steps:
                    break
                optimizer.apply_gradients([(slope, x)])
                inside = min(max(float(x.numpy()), level.x_min), level.x_max)
                x.assign(inside)
        runs.append({"optimizer": name, "learning_rate": learning_rates[name], "path": path})
    return runs


def _play_2d(level, start, steps, learning_rates):
    """:func:`play` on a 2-D level: ``start`` is ``[x, y]``, each path point holds
    ``x``, ``y``, ``fx`` and the gradient (``slope``, ``slope_y``)."""
    import learnet

    runs = []
    for name, optimizer in _optimizers(learning_rates):
        x = learnet.Variable(float(start[0]), dtype="float64", name=f"x_{name}")
        y = learnet.Variable(float(start[1]), dtype="float64", name=f"y_{name}")
        path = []
        with EVALUATION_LOCK, np.errstate(all="ignore"):
            for step in range(steps + 1):
                with learnet.GradientTape() as tape:
                    value = level.function((x, y))
                grads = tape.gradient(value, [x, y])
                grads = [learnet.constant(0.0, dtype="float64") if g is None else g for g in grads]
                point = {
                    "x": float(x.numpy()),
                    "y": float(y.numpy()),
                    "fx": float(np.asarray(value.numpy()).reshape(())),
                    "slope": float(np.asarray(grads[0].numpy()).reshape(())),
                    "slope_y": float(np.asarray(grads[1].numpy()).reshape(())),
                }
                if not all(math.isfinite(point[key]) for key in ("fx", "slope", "slope_y")):
                    break
                path.append(point)
                if step == steps:
                    break
                optimizer.apply_gradients(list(zip(grads, [x, y])))
                x.assign(min(max(float(x.numpy()), level.x_min), level.x_max))
                y.assign(min(max(float(y.numpy()), level.y_min), level.y_max))
        runs.append({"optimizer": name, "learning_rate": learning_rates[name], "path": path})
    return runs
