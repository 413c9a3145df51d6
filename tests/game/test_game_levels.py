"""The built-in levels have the shapes the lesson needs; custom levels load safely."""

import json

import numpy as np
import pytest

from learnet.game.levels import (
    BUILTIN_LEVELS,
    PASSWORD_ALPHABET,
    Level,
    LevelError,
    generate_password,
    levels_from_data,
    load_levels,
)


def sample(level, points=20001):
    xs = np.linspace(level.x_min, level.x_max, points)
    return xs, level.function.values(xs)


def local_minima(ys):
    inside = (ys[1:-1] < ys[:-2]) & (ys[1:-1] < ys[2:])
    return np.flatnonzero(inside) + 1


def test_three_curves_of_rising_budget_then_a_surface():
    assert len(BUILTIN_LEVELS) == 4
    assert [level.dimensions for level in BUILTIN_LEVELS] == [1, 1, 1, 2]
    budgets = [level.budget for level in BUILTIN_LEVELS[:3]]
    assert budgets == sorted(budgets)
    for level in BUILTIN_LEVELS[:3]:
        xs, ys = sample(level)
        assert np.all(np.isfinite(ys))
        assert level.x_min <= level.start <= level.x_max
        assert level.password is None  # generated when a game is created


def test_level_1_is_a_smooth_bowl():
    level = BUILTIN_LEVELS[0]
    xs, ys = sample(level)
    assert len(local_minima(ys)) == 1
    minimum = xs[np.argmin(ys)]
    assert level.x_min < minimum < level.x_max
    # Convex: the slope only ever grows.
    slopes = [level.function.value_and_slope(x)[1] for x in np.linspace(level.x_min, level.x_max, 41)]
    assert all(b > a for a, b in zip(slopes, slopes[1:]))


def test_level_2_has_a_shallow_local_minimum_beside_the_global_one():
    level = BUILTIN_LEVELS[1]
    xs, ys = sample(level)
    minima = local_minima(ys)
    assert len(minima) == 2
    values = sorted(ys[minima])
    assert values[1] - values[0] > 1.0  # the other minimum is clearly worse
    between = ys[min(minima) : max(minima)].max()
    assert between - values[1] < between - values[0]  # and its basin is the shallower one
    # Following the slope down from the default start ends in the shallow one.
    shallow = xs[minima[np.argmax(ys[minima])]]
    x = level.start
    for _ in range(2000):
        x -= 0.01 * level.function.value_and_slope(x)[1]
    assert x == pytest.approx(shallow, abs=0.01)


def test_level_3_has_a_narrow_valley_next_to_a_wide_plateau():
    level = BUILTIN_LEVELS[2]
    xs, ys = sample(level)
    span = level.x_max - level.x_min
    low = ys.min()
    plateau_height = np.median(ys)
    # The valley: the part well below the plateau is narrow.
    deep = xs[ys < low + 0.5 * (plateau_height - low)]
    assert deep.max() - deep.min() < 0.05 * span
    # The plateau: on more than a third of the range the slope is nearly zero.
    slopes = np.gradient(ys, xs)
    flat = np.abs(slopes) < 0.01
    assert flat.mean() > 1 / 3
    assert abs(level.function.value_and_slope(level.start)[1]) < 0.01  # the computer starts on it


def test_generated_passwords_are_readable_and_different():
    passwords = {generate_password() for _ in range(200)}
    assert len(passwords) == 200
    assert all(len(p) == 6 and set(p) <= set(PASSWORD_ALPHABET) for p in passwords)
    assert not set("01lo") & set(PASSWORD_ALPHABET)


def test_levels_file_loads(tmp_path):
    path = tmp_path / "levels.json"
    path.write_text(
        json.dumps(
            {
                "levels": [
                    {"name": "Warm-up", "expression": "(x - 1)**2", "x_min": -5, "x_max": 5, "budget": 8},
                    {
                        "expression": "x**4 - 3*x**2 + x",
                        "x_min": -3,
                        "x_max": 3,
                        "budget": 10,
                        "password": " Wave42 ",
                        "start": 2.5,
                        "learning_rates": {"adam": 0.3},
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    first, second = load_levels(path)
    assert first.name == "Warm-up" and first.function.value_and_slope(3.0) == (4.0, 4.0)
    assert first.start == pytest.approx(-4.0)  # default: a tenth into the range
    assert second.password == "wave42"
    assert second.learning_rates["adam"] == 0.3 and second.learning_rates["gradient_descent"] == 0.1
    assert levels_from_data([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 1}])[0].budget == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"levels": []}, "non-empty list"),
        ("x**2", "non-empty list"),
        ([{"expression": "x**2", "x_min": 0, "x_max": 1}], "level 1: missing field(s) budget"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "color": "red"}], "unknown field(s) color"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 3}, "x"], "level 2: expected an object"),
        ([{"expression": "__import__('os')", "x_min": 0, "x_max": 1, "budget": 3}], "not allowed"),
        ([{"expression": "x", "x_min": 1, "x_max": 1, "budget": 3}], "must be smaller"),
        ([{"expression": "x", "x_min": "0", "x_max": 1, "budget": 3}], "x_min must be a finite number"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 0}], "budget must be a whole number"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 2.5}], "budget must be a whole number"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "start": 2}], "start must be"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "password": "ab"}], "password must be"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "learning_rates": {"sgd": 1}}], "unknown learning"),
        ([{"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "learning_rates": {"adam": -1}}], "positive"),
        (
            [
                {"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "password": "same1"},
                {"expression": "x", "x_min": 0, "x_max": 1, "budget": 3, "password": "SAME1"},
            ],
            "same password",
        ),
    ],
)
def test_bad_levels_are_refused_with_the_level_and_field_named(data, message):
    with pytest.raises(LevelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        levels_from_data(data)


def test_levels_file_that_is_missing_or_not_json(tmp_path):
    with pytest.raises(LevelError, match="cannot read"):
        load_levels(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("levels = [x**2]", encoding="utf-8")
    with pytest.raises(LevelError, match="not valid JSON"):
        load_levels(bad)


def test_a_level_compares_by_its_definition():
    level = Level(expression="x**2", x_min=-1, x_max=1, budget=3)
    assert level.definition() == {
        "name": None,
        "expression": "x**2",
        "x_min": -1.0,
        "x_max": 1.0,
        "budget": 3,
        "start": -0.8,
        "learning_rates": {"gradient_descent": 0.1, "momentum": 0.05, "adam": 0.5},
    }
