"""The 2-D level: f(x, y), a guess is a point, its answer f and the gradient."""

import json

import numpy as np
import pytest

from learnet.game.expressions import Expression, ExpressionError
from learnet.game.levels import BUILTIN_LEVELS, Level, LevelError, levels_from_data


def bowl_2d(**extra):
    return Level(
        expression="(x - 1)**2 + 3*(y + 2)**2 + 0.5",
        x_min=-5,
        x_max=5,
        y_min=-4,
        y_max=4,
        budget=4,
        password="plane2",
        name="Plane",
        **extra,
    )


def test_the_gradient_is_the_derivative_in_each_direction():
    function = Expression("sin(x)*y**2 + exp(0.3*x*y)", variables=("x", "y"))
    for x, y in [(0.3, -1.2), (2.0, 0.5), (-1.5, 1.7)]:
        value, gx, gy = function.value_and_gradient(x, y)
        h = 1e-6
        numeric_x = (function.value_and_gradient(x + h, y)[0] - function.value_and_gradient(x - h, y)[0]) / (2 * h)
        numeric_y = (function.value_and_gradient(x, y + h)[0] - function.value_and_gradient(x, y - h)[0]) / (2 * h)
        assert value == pytest.approx(np.sin(x) * y**2 + np.exp(0.3 * x * y))
        assert gx == pytest.approx(numeric_x, rel=1e-6, abs=1e-8)
        assert gy == pytest.approx(numeric_y, rel=1e-6, abs=1e-8)


def test_grid_values_match_pointwise_values():
    function = Expression("x**2 - x*y + 2*y", variables=("x", "y"))
    xs, ys = np.linspace(-2, 2, 5), np.linspace(-1, 1, 3)
    grid = function.grid_values(xs, ys)
    assert grid.shape == (3, 5)
    for row, y in enumerate(ys):
        for column, x in enumerate(xs):
            assert grid[row, column] == pytest.approx(function.value_and_gradient(x, y)[0])


@pytest.mark.parametrize(
    "source, variables, message",
    [
        ("x**2", ("x", "y"), "never uses y"),
        ("y**2", ("x", "y"), "never uses x"),
        ("x + y", ("x",), "unknown name 'y'"),
        ("x + z", ("x", "y"), "unknown name 'z'"),
    ],
)
def test_a_formula_must_use_its_variables_and_no_others(source, variables, message):
    with pytest.raises(ExpressionError, match=message):
        Expression(source, variables=variables)


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"y_min": -1}, "both y_min and y_max"),
        ({"y_min": 2, "y_max": 1}, "y_min"),
        ({"y_min": -1, "y_max": 1, "start_y": 5}, "start_y"),
        ({"start_y": 0}, "start_y is for 2-D"),
    ],
)
def test_bad_2d_level_fields_are_refused(entry, message):
    expression = "x**2 + y**2" if "y_max" in entry else "x**2"
    with pytest.raises(LevelError, match=message):
        levels_from_data([{"expression": expression, "x_min": -2, "x_max": 2, "budget": 3, **entry}])


def test_the_builtin_surface_is_a_valley_where_momentum_beats_plain_descent():
    from learnet.game.computer import play

    level = BUILTIN_LEVELS[3]
    runs = {
        run["optimizer"]: run["path"] for run in play(level, [level.start, level.start_y], 25, level.learning_rates)
    }
    assert runs["momentum"][-1]["fx"] < runs["gradient_descent"][-1]["fx"] - 0.05
    # Plain descent zigzags across the valley: its y steps change sign.
    steps = np.diff([point["y"] for point in runs["gradient_descent"][:8]])
    assert np.any(steps[:-1] * steps[1:] < 0)


@pytest.fixture
def plane(make_game):
    return make_game(delay=0, levels=[bowl_2d()])


def test_a_guess_on_a_2d_level_is_a_point_with_its_gradient(plane):
    plane.open(1)
    token = plane.token(1, "plane2")
    response = plane.guess_xy(token, 2.0, -1.0)
    assert response.status_code == 201, response.text
    guess = plane.state(token)["guesses"][0]
    assert (guess["x"], guess["y"]) == (2.0, -1.0)
    assert guess["fx"] == pytest.approx(1 + 3 + 0.5)
    assert (guess["slope"], guess["slope_y"]) == (pytest.approx(2.0), pytest.approx(6.0))
    level = plane.state(token)["level"]
    assert level["dimensions"] == 2 and (level["y_min"], level["y_max"]) == (-4, 4)


@pytest.mark.parametrize(
    "body, code",
    [
        ({"x": 1.0}, "missing_field"),
        ({"x": 1.0, "y": 9}, "out_of_range_y"),
        ({"x": 1.0, "y": "abc"}, "not_a_number"),
        ({"x": 1.0, "y": [1]}, "not_a_number"),
        ({"x": 9.0, "y": 0}, "out_of_range"),
    ],
)
def test_a_bad_point_is_refused_and_nothing_recorded(plane, body, code):
    plane.open(1)
    token = plane.token(1, "plane2")
    response = plane.http.post("/api/guesses", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422 and response.json()["error"]["code"] == code
    assert plane.state(token)["guesses"] == []


def test_a_1d_level_refuses_a_y(game):
    game.open(1)
    token = game.token(1, game.pw1)
    response = game.guess_xy(token, 1.0, 2.0)
    assert response.status_code == 422 and response.json()["error"]["code"] == "not_2d"


def test_the_reveal_of_a_2d_level_has_the_contour_grid_the_paths_and_the_computer(plane):
    plane.open(1)
    token = plane.token(1, "plane2")
    for x, y in [(3.0, 2.0), (1.5, -1.5)]:
        plane.guess_xy(token, x, y)
    plane.admin("POST", "/levels/1/reveal")
    reveal = plane.state(token)["reveal"]
    grid = reveal["curve"]
    assert len(grid["z"]) == len(grid["y"]) and len(grid["z"][0]) == len(grid["x"])
    assert min(min(row) for row in grid["z"]) == pytest.approx(0.5, abs=0.1)
    assert [(g["x"], g["y"]) for g in reveal["paths"][0]["guesses"]] == [(3.0, 2.0), (1.5, -1.5)]
    assert reveal["scoreboard"][0]["best_y"] == -1.5
    for run in reveal["computer"]["runs"]:
        assert {"x", "y", "fx", "slope", "slope_y"} <= set(run["path"][0])
    assert reveal["computer"]["par"] >= 2
    lines = plane.admin("GET", "/levels/1/guesses.csv").text.splitlines()
    assert lines[0].endswith(",y,slope_y") and lines[1].split(",")[-2:] == ["2.0", repr(2 * 3 * (2.0 + 2))]


def test_the_computer_plays_a_2d_level_from_a_point(plane):
    answer = plane.admin("POST", "/levels/1/computer-play", json={"start": [4, 3], "steps": 5}).json()
    assert answer["start"] == [4, 3]
    assert all(run["path"][0]["x"] == 4 and run["path"][0]["y"] == 3 for run in answer["runs"])
    refused = plane.admin("POST", "/levels/1/computer-play", json={"start": 4})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "bad_start"


def test_a_2d_game_resumes_after_a_restart(make_game):
    first = make_game(delay=0, levels=[bowl_2d()], db="plane.db")
    first.open(1)
    token = first.token(1, "plane2")
    first.guess_xy(token, 0.5, 0.5)
    before = first.state(token)["guesses"]
    first.http.close()
    again = make_game(delay=0, levels=[bowl_2d()], db="plane.db")
    after = again.state(token)["guesses"]
    assert json.dumps(after) == json.dumps(before) and after[0]["y"] == 0.5
