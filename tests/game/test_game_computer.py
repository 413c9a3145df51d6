""" "Let the computer play": learnet's own optimizers on the levels' functions."""

import math

import pytest

from learnet.game.computer import MOMENTUM, play
from learnet.game.levels import BUILTIN_LEVELS, Level

RATES = {"gradient_descent": 0.1, "momentum": 0.05, "adam": 0.5}


def runs_by_name(level, start, steps, rates=RATES):
    return {run["optimizer"]: run for run in play(level, start, steps, rates)}


def test_each_optimizer_takes_the_steps_asked_for():
    level = Level(expression="(x - 1)**2", x_min=-5, x_max=5, budget=5)
    runs = play(level, -4.0, 7, RATES)
    assert [run["optimizer"] for run in runs] == ["gradient_descent", "momentum", "adam"]
    for run in runs:
        assert len(run["path"]) == 8
        assert run["path"][0] == {"x": -4.0, "fx": 25.0, "slope": -10.0}
        assert run["learning_rate"] == RATES[run["optimizer"]]


def test_the_steps_are_keras_sgd_momentum_and_adam():
    """The first steps, worked out by hand, match what the optimizers did."""
    level = Level(expression="(x - 1)**2", x_min=-5, x_max=5, budget=5)
    runs = runs_by_name(level, -4.0, 2)
    gd, momentum, adam = (runs[name]["path"] for name in ("gradient_descent", "momentum", "adam"))
    # Gradient descent: x <- x - lr * slope.
    assert gd[1]["x"] == pytest.approx(-4.0 - 0.1 * -10.0)
    assert gd[2]["x"] == pytest.approx(gd[1]["x"] - 0.1 * gd[1]["slope"])
    # Momentum (Keras): v <- m*v - lr*g; x <- x + v.
    v1 = -0.05 * -10.0
    assert momentum[1]["x"] == pytest.approx(-4.0 + v1)
    v2 = MOMENTUM * v1 - 0.05 * momentum[1]["slope"]
    assert momentum[2]["x"] == pytest.approx(momentum[1]["x"] + v2)
    # Adam's first step has the size of the learning rate, whatever the slope.
    assert adam[1]["x"] == pytest.approx(-4.0 + 0.5, abs=1e-6)


def test_level_1_gradient_descent_rolls_down_the_bowl():
    level = BUILTIN_LEVELS[0]
    path = runs_by_name(level, level.start, 25, level.learning_rates)["gradient_descent"]["path"]
    values = [point["fx"] for point in path]
    assert all(b < a for a, b in zip(values, values[1:]))
    assert path[-1]["x"] == pytest.approx(2.7, abs=1e-3)


def test_level_2_gradient_descent_is_trapped_but_momentum_rolls_through():
    level = BUILTIN_LEVELS[1]
    runs = runs_by_name(level, level.start, 25, level.learning_rates)
    assert runs["gradient_descent"]["path"][-1]["x"] == pytest.approx(3.1, abs=0.1)  # the shallow minimum
    assert runs["momentum"]["path"][-1]["x"] < -1  # in the deeper minimum's basin
    assert runs["momentum"]["path"][-1]["fx"] < runs["gradient_descent"]["path"][-1]["fx"]


def test_level_3_gradient_descent_crawls_on_the_plateau_while_adam_finds_the_valley():
    level = BUILTIN_LEVELS[2]
    runs = runs_by_name(level, level.start, 25, level.learning_rates)
    assert abs(runs["gradient_descent"]["path"][-1]["x"] - level.start) < 0.5
    assert runs["adam"]["path"][-1]["x"] == pytest.approx(4.3, abs=0.3)
    assert runs["adam"]["path"][-1]["fx"] < 1.0


def test_steps_stay_inside_the_range():
    level = Level(expression="x", x_min=0, x_max=1, budget=3)
    for run in play(level, 0.5, 5, {"gradient_descent": 10.0, "momentum": 10.0, "adam": 10.0}):
        assert [point["x"] for point in run["path"]][1:] == [0.0] * 5


def test_a_run_stops_where_the_function_has_no_slope():
    level = Level(expression="sqrt(x)", x_min=0, x_max=1, budget=3)
    for run in play(level, 0.5, 5, {"gradient_descent": 10.0, "momentum": 10.0, "adam": 10.0}):
        assert len(run["path"]) == 1  # the next point, x = 0, has an infinite slope
        assert all(math.isfinite(point["slope"]) for point in run["path"])


# ---- through the teacher's API ---------------------------------------------------------------


def test_teacher_lets_the_computer_play(make_game):
    game = make_game(levels=None)  # the built-in levels
    response = game.admin(
        "POST", "/levels/3/computer-play", json={"start": -6, "steps": 25, "learning_rates": {"adam": 0.8}}
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["start"] == -6 and answer["steps"] == 25
    assert answer["learning_rates"] == {**BUILTIN_LEVELS[2].learning_rates, "adam": 0.8}
    runs = {run["optimizer"]: run for run in answer["runs"]}
    assert runs["adam"]["path"][-1]["x"] == pytest.approx(4.3, abs=0.3)
    defaults = game.admin("POST", "/levels/1/computer-play", json={}).json()
    assert defaults["start"] == BUILTIN_LEVELS[0].start and defaults["steps"] == 25


@pytest.mark.parametrize(
    "body, code",
    [
        ({"start": 11}, "out_of_range"),
        ({"start": "left"}, "not_a_number"),
        ({"start": "nan"}, "not_a_number"),
        ({"steps": 0}, "bad_steps"),
        ({"steps": 201}, "bad_steps"),
        ({"steps": "ten"}, "bad_steps"),
        ({"steps": 2.5}, "bad_steps"),
        ({"learning_rates": {"adam": -1}}, "bad_learning_rate"),
        ({"learning_rates": {"adam": 0}}, "bad_learning_rate"),
        ({"learning_rates": {"adam": 1000}}, "bad_learning_rate"),
        ({"learning_rates": {"rmsprop": 0.1}}, "bad_learning_rate"),
        ({"learning_rates": [0.1]}, "bad_learning_rate"),
    ],
)
def test_bad_computer_play_settings_are_refused(make_game, body, code):
    game = make_game(levels=None)
    response = game.admin("POST", "/levels/1/computer-play", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
