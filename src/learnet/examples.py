"""Built-in worked examples of the course, small enough to check by hand.

``course_network`` is the network the backpropagation lecture draws: two inputs
``x1, x2`` feed one sigmoid neuron, ``z = x1*w1 + x2*w2 + b``, ``a = σ(z)``; its output
feeds a softmax layer of two neurons, ``z' = a*w3 + b3`` and ``z'' = a*w4 + b4``; the
cost is the cross-entropy ``C = -Σ y log p`` of ``p = softmax(z', z'')``.

With the default numbers every step is a number a student can work out on paper:

====================  =======================================  ============
quantity              by hand                                  value
====================  =======================================  ============
z                     1·0.4 + 0.5·0.2 − 0.5                    0
a                     σ(0)                                     0.5
z', z''               0.5·2 + 0, 0.5·(−2) + 1                  1, 0
p                     e/(e+1), 1/(e+1)                         0.7311, 0.2689
C                     −log p1 (y = (1, 0))                     0.3133
∂C/∂z', ∂C/∂z''       p − y (output layer)                     −0.2689, 0.2689
∂C/∂a                 w3·∂C/∂z' + w4·∂C/∂z''                   −1.0758
∂C/∂z                 σ'(z)·∂C/∂a = 0.25·∂C/∂a (hidden layer)  −0.2689
∂C/∂w1, ∂C/∂w2, ∂C/∂b x1·∂C/∂z, x2·∂C/∂z, ∂C/∂z                −0.2689, −0.1345, −0.2689
∂C/∂w3, ∂C/∂w4        a·∂C/∂z', a·∂C/∂z''                      −0.1345, 0.1345
====================  =======================================  ============

Examples
--------
>>> from learnet.examples import course_network
>>> net = course_network()
>>> round(float(net.loss), 4)
0.3133
>>> grads = net.tape.gradient(net.loss, net.weights)
>>> {name: round(float(g), 4) for name, g in grads.items()}["w1"]
-0.2689
"""

from learnet.ops import log, multiply, negative, reduce_sum, stack
from learnet.ops.nn import sigmoid, softmax
from learnet.tape import GradientTape
from learnet.tensor import Variable, constant

COURSE_NUMBERS = {
    "x1": 1.0,
    "x2": 0.5,  # the inputs
    "w1": 0.4,
    "w2": 0.2,
    "b": -0.5,  # the hidden sigmoid neuron
    "w3": 2.0,
    "b3": 0.0,  # the first output neuron
    "w4": -2.0,
    "b4": 1.0,  # the second output neuron
    "y": (1.0, 0.0),  # the one-hot label
}


class CourseNetwork:
    """The recorded forward pass of ``course_network``.

    Attributes
    ----------
    tape : GradientTape
        Persistent: ask it for gradients, or draw it (``plot_tape``, ``animate_backprop``).
    loss : Tensor
        The cost C.
    weights : dict
        ``{"w1": Variable, ..., "b4": Variable}``, the sources of the gradient.
    inputs : dict
        ``{"x1": ..., "x2": ..., "y": ...}`` (constants).
    tensors : dict
        Every named quantity of the lecture's picture: ``z``, ``a``, ``z'``, ``z''``, ``p``,
        ``C`` and the inputs and weights; pass it as ``names=`` to ``plot_tape``.
    """

    def __init__(self, tape, loss, weights, inputs, tensors):
        self.tape, self.loss, self.weights, self.inputs, self.tensors = tape, loss, weights, inputs, tensors

    @property
    def sources(self):
        """The weights as a list, in the lecture's order."""
        return list(self.weights.values())


def course_network(**numbers):
    """Record the lecture's 2-input sigmoid neuron feeding a 2-output softmax layer.

    Parameters
    ----------
    **numbers : float
        Replace any of ``COURSE_NUMBERS`` (``x1``, ``x2``, ``w1``, ``w2``, ``b``, ``w3``,
        ``b3``, ``w4``, ``b4``; ``y`` a pair) to work another example.

    Returns
    -------
    CourseNetwork

    Examples
    --------
    >>> from learnet.examples import course_network
    >>> from learnet.plot import plot_tape
    >>> net = course_network()
    >>> fig = plot_tape(net.tape, net.loss, net.sources, names=net.tensors)   # doctest: +SKIP
    """
    unknown = sorted(set(numbers) - set(COURSE_NUMBERS))
    if unknown:
        raise TypeError(f"course_network: unknown numbers {unknown}; known: {sorted(COURSE_NUMBERS)}")
    values = dict(COURSE_NUMBERS, **numbers)
    if len(values["y"]) != 2:
        raise ValueError(f"course_network: y must be a pair (one value per output), got {values['y']!r}")
    x1, x2 = constant(float(values["x1"]), dtype="float64"), constant(float(values["x2"]), dtype="float64")
    y = constant([float(v) for v in values["y"]], dtype="float64")
    weights = {
        name: Variable(float(values[name]), name=name, dtype="float64")
        for name in ("w1", "w2", "b", "w3", "b3", "w4", "b4")
    }
    w = weights
    with GradientTape(persistent=True) as tape:
        z = x1 * w["w1"] + x2 * w["w2"] + w["b"]
        a = sigmoid(z)
        z1 = a * w["w3"] + w["b3"]
        z2 = a * w["w4"] + w["b4"]
        logits = stack([z1, z2])
        p = softmax(logits)
        loss = negative(reduce_sum(multiply(y, log(p))))
    tensors = {"x1": x1, "x2": x2, "y": y, "z": z, "a": a, "z'": z1, "z''": z2, "(z', z'')": logits, "p": p, "C": loss}
    return CourseNetwork(tape, loss, weights, {"x1": x1, "x2": x2, "y": y}, tensors)
