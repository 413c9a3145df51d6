"""Safe formulas: parsed with a whitelist, evaluated and differentiated by learnet."""

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnet.game.expressions import MAX_LENGTH, Expression, ExpressionError


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


# formula, f, f' (written by hand, independent of learnet)
CASES = [
    ("(x - 2)**2 + 1", lambda x: (x - 2) ** 2 + 1, lambda x: 2 * (x - 2)),
    ("-x**3 + 2*x", lambda x: -(x**3) + 2 * x, lambda x: -3 * x * x + 2),
    ("+x / 4 - 1", lambda x: x / 4 - 1, lambda x: 0.25),
    ("3 / (1 + x**2)", lambda x: 3 / (1 + x * x), lambda x: -6 * x / (1 + x * x) ** 2),
    (
        "sin(3*x) * cos(x)",
        lambda x: math.sin(3 * x) * math.cos(x),
        lambda x: 3 * math.cos(3 * x) * math.cos(x) - math.sin(3 * x) * math.sin(x),
    ),
    ("tan(x/2)", lambda x: math.tan(x / 2), lambda x: 0.5 / math.cos(x / 2) ** 2),
    ("exp(-x**2)", lambda x: math.exp(-x * x), lambda x: -2 * x * math.exp(-x * x)),
    ("log(x**2 + 1)", lambda x: math.log(x * x + 1), lambda x: 2 * x / (x * x + 1)),
    ("sqrt(x**2 + 4)", lambda x: math.sqrt(x * x + 4), lambda x: x / math.sqrt(x * x + 4)),
    ("abs(x - 0.5)", lambda x: abs(x - 0.5), lambda x: math.copysign(1, x - 0.5)),
    ("tanh(2*x)", lambda x: math.tanh(2 * x), lambda x: 2 * (1 - math.tanh(2 * x) ** 2)),
    ("sigmoid(x) * 4", lambda x: 4 * sigmoid(x), lambda x: 4 * sigmoid(x) * (1 - sigmoid(x))),
    ("2**x", lambda x: 2**x, lambda x: math.log(2) * 2**x),
    ("x**x", lambda x: x**x, lambda x: x**x * (math.log(x) + 1)),
    ("pi*x + e", lambda x: math.pi * x + math.e, lambda x: math.pi),
    ("1e-3*x**2 + 2.5E1", lambda x: 1e-3 * x * x + 25, lambda x: 2e-3 * x),
]


@pytest.mark.parametrize("formula, f, df", CASES, ids=[case[0] for case in CASES])
@pytest.mark.parametrize("x", [0.3, 1.7, 2.9])
def test_value_and_slope_match_the_math(formula, f, df, x):
    value, slope = Expression(formula).value_and_slope(x)
    assert value == pytest.approx(f(x), rel=1e-9, abs=1e-12)
    assert slope == pytest.approx(df(x), rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("formula", [case[0] for case in CASES])
def test_many_points_at_once_agree_with_one_at_a_time(formula):
    expression = Expression(formula)
    xs = np.array([0.25, 1.0, 2.5])
    assert expression.values(xs) == pytest.approx([expression.value_and_slope(x)[0] for x in xs])


def test_the_slope_comes_from_the_gradient_tape():
    import learnet

    expression = Expression("x**3 - 2*x")
    x = learnet.constant(2.0, dtype="float64")
    with learnet.GradientTape() as tape:
        tape.watch(x)
        y = expression(x)
    assert isinstance(y, learnet.Tensor)
    assert float(tape.gradient(y, x).numpy()) == pytest.approx(10.0)


def test_undefined_points_give_nan_or_inf_not_an_error():
    value, _ = Expression("log(x)").value_and_slope(-1.0)
    assert math.isnan(value)
    value, slope = Expression("1/x").value_and_slope(0.0)
    assert math.isinf(value) and not math.isfinite(slope)


@pytest.mark.parametrize(
    "formula, expected",
    [
        ("__import__('os').system('true')", "not allowed"),
        ("open('secrets.txt')", "not allowed"),
        ("x.real", "not allowed"),
        ("x.__class__", "not allowed"),
        ("(lambda: x)()", "not allowed"),
        ("[x for x in range(3)]", "not allowed"),
        ("x[0]", "not allowed"),
        ("x if x > 0 else -x", "not allowed"),
        ("x > 1", "not allowed"),
        ("x and 1", "not allowed"),
        ("x % 2", "not allowed"),
        ("x // 2", "not allowed"),
        ("~x", "not allowed"),
        ("'text' + x", "not allowed"),
        ("True * x", "not allowed"),
        ("1j * x", "not allowed"),
        ("sin", "unknown name"),
        ("y + 1", "unknown name"),
        ("np.sin(x)", "not allowed"),
        ("exec(x)", "not allowed"),
        ("sin(x, 2)", "exactly one argument"),
        ("sin()", "exactly one argument"),
        ("sin(x=1)", "exactly one argument"),
        ("sin(*x)", "exactly one argument"),
        ("x^2", "write x**2"),
        ("x**", "not valid"),
        ("x = 1", "not valid"),
        ("import os", "not valid"),
        ("", "empty"),
        ("   ", "empty"),
        ("2 + 3", "never uses x"),
        ("x + 1/0", "not a finite number"),
        ("x * 9**9**9", "not a finite number"),
        ("x + log(-1)", "not a finite number"),
        ("x + 1e400", "not a finite number"),
        ("(" * 240 + "x" + ")" * 240, "nested"),
        ("-" * 499 + "x", None),  # deep, but short enough: accepted
        ("x" + "+x" * MAX_LENGTH, "at most"),
    ],
)
def test_anything_outside_the_whitelist_is_refused(formula, expected):
    if expected is None:
        assert Expression(formula).value_and_slope(2.0) == (-2.0, -1.0)
        return
    with pytest.raises(ExpressionError, match=re.escape(expected)):
        Expression(formula)


def test_a_formula_must_be_text():
    with pytest.raises(ExpressionError, match="text"):
        Expression(3)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="x+-*/()0123456789.e ^_[]'sincolgqrtabhpdm,=:", max_size=40))
def test_any_text_is_a_formula_or_a_clear_refusal(text):
    try:
        expression = Expression(text)
    except ExpressionError as error:
        assert str(error)
        return
    value, slope = expression.value_and_slope(0.7)
    assert isinstance(value, float) and isinstance(slope, float)


def _slope_by_finite_difference(expression, x, h=1e-6):
    return (expression.value_and_slope(x + h)[0] - expression.value_and_slope(x - h)[0]) / (2 * h)


formulas = st.recursive(
    st.sampled_from(["x", "1.5", "2", "0.5"]),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "cos", "tanh", "sigmoid", "exp"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda t: f"({t})**2"),
    ),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None)
@given(formulas, st.floats(-1.5, 1.5))
def test_slope_of_random_smooth_formulas_matches_finite_differences(formula, x):
    try:
        expression = Expression(formula)
    except ExpressionError:
        return  # a formula without x
    value, slope = expression.value_and_slope(x)
    if not math.isfinite(value) or abs(value) > 1e6:
        return
    assert slope == pytest.approx(_slope_by_finite_difference(expression, x), rel=1e-4, abs=1e-4)
