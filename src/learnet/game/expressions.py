"""Safe formulas of one variable ``x``, evaluated with learnet ops.

A custom level of the game is written by a teacher as a formula such as
``"(x - 2)**2 + sin(3*x)"``. The formula is parsed with Python's :mod:`ast` module
and every node of the syntax tree is checked against a short whitelist: numbers,
the names ``x``, ``pi`` and ``e``, the operators ``+ - * / **`` (and unary ``+``/``-``)
and one-argument calls of a few math functions. Nothing in the text is ever run
with ``eval``: the checked tree is turned into a chain of small Python functions that
call learnet ops, so a :class:`learnet.GradientTape` watching ``x`` records the
evaluation and gives the derivative, exactly as it would for a neural network.

Examples
--------
>>> f = Expression("(x - 2)**2 + 1")
>>> f.value_and_slope(3.0)
(2.0, 2.0)
"""

import ast
import math
import operator
import threading

import numpy as np

#: The longest formula accepted, in characters (keeps parsing cheap and safe).
MAX_LENGTH = 500

#: The functions a formula may call, each with one argument.
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sigmoid")

#: Named constants a formula may use besides ``x``.
CONSTANTS = {"pi": math.pi, "e": math.e}

_OPERATORS = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
    ast.Pow: ("**", operator.pow),
}

# NumPy versions of the functions, for parts of a formula that do not involve x
# (they are computed once, when the formula is compiled).
_NUMPY_FUNCTIONS = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
}

# learnet's tapes are shared by all threads of the process, so two evaluations
# running at the same time in different server threads would write notes on each
# other's tape. Evaluations are short; they take turns.
EVALUATION_LOCK = threading.Lock()

_ALLOWED_TEXT = "only numbers, x, pi, e, the operators + - * / ** and the functions " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """A formula that cannot be used: a syntax error or something not allowed."""


def _learnet_function(name):
    import learnet

    if name == "sigmoid":
        return learnet.nn.sigmoid
    return getattr(learnet, name)


class Expression:
    """A checked formula of ``x`` that learnet can evaluate and differentiate.

    Parameters
    ----------
    source : str
        The formula, in Python syntax: ``"0.5*(x - 3)**2 + 2"``. Powers are ``**``.

    Raises
    ------
    ExpressionError
        If the text is not a formula, is too long, never uses ``x``, or contains
        anything outside the whitelist (names, attributes, other calls, ...).
    """

    def __init__(self, source, variables=("x",)):
        if tuple(variables) not in (("x",), ("x", "y")):
            raise ValueError(f"variables must be ('x',) or ('x', 'y'), got {variables!r}")
        self.variables = tuple(variables)
        if not isinstance(source, str):
            raise ExpressionError(f"a formula must be text, got {type(source).__name__}")
        source = source.strip()
        if not source:
            raise ExpressionError("the formula is empty")
        if len(source) > MAX_LENGTH:
            raise ExpressionError(f"the formula is {len(source)} characters long; at most {MAX_LENGTH} are allowed")
        self.source = source
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError as error:
            hint = " (write powers as ** : x**2)" if "^" in source else ""
            raise ExpressionError(f"the formula {source!r} is not valid: {error.msg}{hint}") from None
        except (RecursionError, MemoryError, ValueError):
            raise ExpressionError(f"the formula {source!r} is too deeply nested") from None
        self._used = set()
        try:
            self._compiled = self._compile(tree.body)
        except RecursionError:
            raise ExpressionError(f"the formula {source!r} is too deeply nested") from None
        for name in self.variables:
            if name not in self._used:
                raise ExpressionError(f"the formula {source!r} never uses {name}")

    def __repr__(self):
        return f"Expression({self.source!r})"

    # -- compiling: syntax tree -> small functions of x ---------------------------

    def _describe(self, node):
        text = ast.get_source_segment(self.source, node) or type(node).__name__
        return f"{text!r} is not allowed in a formula: {_ALLOWED_TEXT}"

    def _finite(self, value, node):
        # A part without x is computed once, now; if it is not a number (1/0,
        # log(-1), 9**9**9) the whole formula would be useless.
        if not np.isfinite(value):
            text = ast.get_source_segment(self.source, node)
            raise ExpressionError(f"{text!r} is not a finite number (it gives {value})")
        return value

    def _compile(self, node):
        """Return a NumPy float (a constant part) or a function ``x -> Tensor``."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExpressionError(self._describe(node))
            try:
                return self._finite(np.float64(node.value), node)
            except OverflowError:
                raise ExpressionError(f"the number in {self.source!r} is too large") from None
        if isinstance(node, ast.Name):
            if node.id in self.variables:
                self._used.add(node.id)
                if len(self.variables) == 1:
                    return lambda x: x
                # Two variables: a formula is a function of the pair (x, y).
                index = self.variables.index(node.id)
                return lambda point: point[index]
            if node.id in CONSTANTS:
                return np.float64(CONSTANTS[node.id])
            names = ", ".join(self.variables)
            raise ExpressionError(f"unknown name {node.id!r}: a formula may use {names}, pi and e")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self._compile(node.operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            if not callable(operand):
                return -operand
            return lambda x: -operand(x)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            _, function = _OPERATORS[type(node.op)]
            left, right = self._compile(node.left), self._compile(node.right)
            if not callable(left) and not callable(right):
                with np.errstate(all="ignore"):
                    return self._finite(np.float64(function(left, right)), node)
            return _binary(function, left, right)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExpressionError(self._describe(node))
            name = node.func.id
            if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                raise ExpressionError(f"{name}() takes exactly one argument, as in {name}(x)")
            argument = self._compile(node.args[0])
            if not callable(argument):
                with np.errstate(all="ignore"):
                    return self._finite(np.float64(_NUMPY_FUNCTIONS[name](argument)), node)
            return _call(name, argument)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
            raise ExpressionError("'^' is not a power in a formula: write x**2 for x squared")
        raise ExpressionError(self._describe(node))

    # -- evaluating ---------------------------------------------------------------

    def __call__(self, x):
        """Evaluate the formula on a learnet tensor ``x`` with learnet ops.

        Called inside a ``GradientTape`` that watches ``x``, the tape records the
        evaluation, so ``tape.gradient(f(x), x)`` is the derivative.
        """
        return self._compiled(x)

    def value_and_slope(self, x):
        """Return ``(f(x), f'(x))`` as Python floats, the slope from a GradientTape.

        Parameters
        ----------
        x : float
            Where to evaluate.

        Returns
        -------
        tuple of float
            The value and the derivative. Either may be ``nan`` or ``inf`` where the
            formula is not defined (``log`` of a negative number, say).
        """
        import learnet

        with EVALUATION_LOCK, np.errstate(all="ignore"):
            point = learnet.constant(float(x), dtype="float64")
            with learnet.GradientTape() as tape:
                tape.watch(point)
                value = self._compiled(point)
            slope = tape.gradient(value, point)
        slope = 0.0 if slope is None else float(np.asarray(slope.numpy()).reshape(()))
        return float(np.asarray(value.numpy()).reshape(())), slope

    def value_and_gradient(self, x, y):
        """Return ``(f, df/dx, df/dy)`` at ``(x, y)`` as Python floats (a 2-D formula).

        The gradient comes from one GradientTape watching both coordinates.
        """
        import learnet

        with EVALUATION_LOCK, np.errstate(all="ignore"):
            point = (learnet.constant(float(x), dtype="float64"), learnet.constant(float(y), dtype="float64"))
            with learnet.GradientTape() as tape:
                tape.watch(point[0])
                tape.watch(point[1])
                value = self._compiled(point)
            grads = tape.gradient(value, list(point))
        slopes = [0.0 if g is None else float(np.asarray(g.numpy()).reshape(())) for g in grads]
        return float(np.asarray(value.numpy()).reshape(())), slopes[0], slopes[1]

    def grid_values(self, xs, ys):
        """``f`` on the grid of ``xs`` by ``ys`` (a 2-D formula): rows follow ``ys``."""
        import learnet

        grid_x, grid_y = np.meshgrid(np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64))
        with EVALUATION_LOCK, np.errstate(all="ignore"):
            result = self._compiled(
                (learnet.constant(grid_x, dtype="float64"), learnet.constant(grid_y, dtype="float64"))
            )
        return np.broadcast_to(np.asarray(result.numpy(), dtype=np.float64), grid_x.shape).copy()

    def values(self, xs):
        """Evaluate the formula at many points at once (for drawing the curve).

        Parameters
        ----------
        xs : array_like
            1-D points.

        Returns
        -------
        numpy.ndarray
            ``f`` at each point (``nan`` where undefined), float64.
        """
        import learnet

        xs = np.asarray(xs, dtype=np.float64)
        with EVALUATION_LOCK, np.errstate(all="ignore"):
            result = self._compiled(learnet.constant(xs, dtype="float64"))
        return np.broadcast_to(np.asarray(result.numpy(), dtype=np.float64), xs.shape).copy()


def _binary(function, left, right):
    if callable(left) and callable(right):
        return lambda x: function(left(x), right(x))
    # A constant joins a tensor as a plain Python float, which learnet converts to
    # the tensor's dtype (a NumPy scalar would try to take over the operation).
    if callable(left):
        right = float(right)
        return lambda x: function(left(x), right)
    left = float(left)
    return lambda x: function(left, right(x))


def _call(name, argument):
    def evaluate(x):
        return _learnet_function(name)(argument(x))

    return evaluate
