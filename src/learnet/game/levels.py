"""The game's levels: four built-in hidden functions, and custom ones from a file.

A level is a hidden function of ``x`` (a safe formula, see
:mod:`learnet.game.expressions`), the range a guess must fall in, how many guesses a
team gets, and the password teams use to log in to it. Levels are numbered from 1 in
the order they are given.

A custom levels file is JSON, either a list of levels or ``{"levels": [...]}``::

    {"levels": [
        {"name": "Warm-up", "expression": "(x - 1)**2 + 2",
         "x_min": -5, "x_max": 5, "budget": 8},
        {"expression": "x**4 - 3*x**2 + x", "x_min": -3, "x_max": 3, "budget": 10,
         "password": "wave42", "start": 2.5,
         "learning_rates": {"gradient_descent": 0.02, "momentum": 0.01, "adam": 0.3}}
    ]}

``name``, ``password``, ``start`` (where "Let the computer play" begins) and
``learning_rates`` are optional. A password that is left out is generated when the
game is created and shown on the teacher's page.

A level with ``y_min`` and ``y_max`` is two-dimensional: its formula is a function of
``x`` and ``y`` (``"x**2 + 10*y**2"``), a guess is a point, and the page draws a
contour map with the gradient as an arrow (``start_y`` is where the computer starts
in ``y``). The fourth built-in level is one, for the momentum lesson.
"""

import json
import math
import secrets
from dataclasses import dataclass, field

from learnet.game.expressions import Expression, ExpressionError

#: Letters and digits that cannot be mistaken for one another when written on a board.
PASSWORD_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
PASSWORD_LENGTH = 6

#: Learning rates used by "Let the computer play" when a level does not give its own.
DEFAULT_LEARNING_RATES = {"gradient_descent": 0.1, "momentum": 0.05, "adam": 0.5}

_MAX_BUDGET = 1000


class LevelError(ValueError):
    """A level definition that cannot be used; the message names the level and field."""


def generate_password(length=PASSWORD_LENGTH):
    """Return a random password that is easy to read aloud and to type."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class Level:
    """One level of the game.

    Parameters
    ----------
    expression : str
        The hidden function, a safe formula of ``x``.
    x_min, x_max : float
        The range a guess must fall in (inclusive).
    budget : int
        How many guesses a team gets.
    name : str, optional
        Shown to teams; by default the page shows "Function N".
    password : str, optional
        The login password; generated when the game is created if not given.
    start : float, optional
        Where "Let the computer play" starts by default (the range's first tenth).
    learning_rates : dict, optional
        Default learning rates of ``gradient_descent``, ``momentum`` and ``adam``.
    y_min, y_max : float, optional
        Given both, the level is two-dimensional: the formula is ``f(x, y)``, a guess
        is a point ``(x, y)``, and its answer is ``f`` and the gradient (an arrow on
        a contour map).
    start_y : float, optional
        Where the computer starts in ``y`` (a 2-D level; the range's first tenth).
    """

    expression: str
    x_min: float
    x_max: float
    budget: int
    name: str = None
    password: str = None
    start: float = None
    learning_rates: dict = field(default_factory=lambda: dict(DEFAULT_LEARNING_RATES))
    y_min: float = None
    y_max: float = None
    start_y: float = None

    @property
    def dimensions(self):
        """1 for a curve ``f(x)``, 2 for a surface ``f(x, y)``."""
        return 1 if self.y_min is None else 2

    def __post_init__(self):
        label = f"level {self.name!r}" if self.name else "a level"
        if (self.y_min is None) != (self.y_max is None):
            raise LevelError(f"{label}: a 2-D level needs both y_min and y_max")
        if self.y_min is None and self.start_y is not None:
            raise LevelError(f"{label}: start_y is for 2-D levels (with y_min and y_max)")
        try:
            function = Expression(self.expression, variables=("x", "y")[: self.dimensions])
        except ExpressionError as error:
            raise LevelError(f"{label}: {error}") from None
        object.__setattr__(self, "function", function)
        for key in ("x_min", "x_max") + (("y_min", "y_max") if self.dimensions == 2 else ()):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise LevelError(f"{label}: {key} must be a finite number, got {value!r}")
            object.__setattr__(self, key, float(value))
        if not self.x_min < self.x_max:
            raise LevelError(f"{label}: x_min ({self.x_min}) must be smaller than x_max ({self.x_max})")
        if self.dimensions == 2:
            if not self.y_min < self.y_max:
                raise LevelError(f"{label}: y_min ({self.y_min}) must be smaller than y_max ({self.y_max})")
            start_y = self.y_min + 0.1 * (self.y_max - self.y_min) if self.start_y is None else self.start_y
            if (
                isinstance(start_y, bool)
                or not isinstance(start_y, (int, float))
                or not self.y_min <= start_y <= self.y_max
            ):
                raise LevelError(f"{label}: start_y must be a number from y_min to y_max, got {start_y!r}")
            object.__setattr__(self, "start_y", float(start_y))
        if isinstance(self.budget, bool) or not isinstance(self.budget, int) or not 1 <= self.budget <= _MAX_BUDGET:
            raise LevelError(f"{label}: budget must be a whole number from 1 to {_MAX_BUDGET}, got {self.budget!r}")
        if self.name is not None and (not isinstance(self.name, str) or not 0 < len(self.name.strip()) <= 60):
            raise LevelError(f"{label}: name must be text of 1 to 60 characters, got {self.name!r}")
        if self.password is not None:
            if not isinstance(self.password, str) or not 4 <= len(self.password.strip()) <= 40:
                raise LevelError(f"{label}: password must be text of 4 to 40 characters")
            object.__setattr__(self, "password", self.password.strip().lower())
        start = self.start
        if start is None:
            start = self.x_min + 0.1 * (self.x_max - self.x_min)
        if isinstance(start, bool) or not isinstance(start, (int, float)) or not self.x_min <= start <= self.x_max:
            raise LevelError(f"{label}: start must be a number from x_min to x_max, got {start!r}")
        object.__setattr__(self, "start", float(start))
        rates = dict(DEFAULT_LEARNING_RATES)
        if not isinstance(self.learning_rates, dict):
            raise LevelError(f"{label}: learning_rates must be an object such as {DEFAULT_LEARNING_RATES}")
        for key, value in self.learning_rates.items():
            if key not in DEFAULT_LEARNING_RATES:
                raise LevelError(f"{label}: unknown learning rate {key!r}; use {', '.join(DEFAULT_LEARNING_RATES)}")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise LevelError(f"{label}: learning rate {key!r} must be a positive number, got {value!r}")
            rates[key] = float(value)
        object.__setattr__(self, "learning_rates", rates)

    def definition(self):
        """The level as a plain dict (what is stored and compared on restart)."""
        return {
            "name": self.name,
            "expression": self.expression,
            "x_min": self.x_min,
            "x_max": self.x_max,
            "budget": self.budget,
            "start": self.start,
            "learning_rates": dict(self.learning_rates),
            # A 1-D level's definition stays as it was, so a saved game resumes.
            **({"y_min": self.y_min, "y_max": self.y_max, "start_y": self.start_y} if self.dimensions == 2 else {}),
        }


#: The built-in levels: three curves of rising difficulty, then a surface.
BUILTIN_LEVELS = (
    # 1. A smooth bowl: the slope always points to the one minimum.
    Level(
        expression="0.4*(x - 2.7)**2 + 1.5",
        x_min=-10,
        x_max=10,
        budget=8,
        start=-8,
        learning_rates={"gradient_descent": 0.5, "momentum": 0.05, "adam": 1.5},
    ),
    # 2. A shallow local minimum (x near 3.1) beside the deeper global one (x = -2.5):
    #    a team that follows the slope from the right gets stuck in the shallow one
    #    (and so does plain gradient descent; momentum rolls on through).
    Level(
        expression="0.05*(x - 0.5)**4 - 0.8*(x - 0.5)**2 + 0.6*(x - 0.5) + 4",
        x_min=-6,
        x_max=6,
        budget=10,
        start=5,
        learning_rates={"gradient_descent": 0.05, "momentum": 0.05, "adam": 0.5},
    ),
    # 3. A narrow valley (x near 4.3) next to a wide, almost flat plateau on its left,
    #    where the slope is nearly zero and says little (gradient descent crawls;
    #    Adam, which scales its steps by the slope's size, walks into the valley).
    Level(
        expression=(
            "3 - 0.8*sigmoid(0.6*(x - 4.3)) - 2.2*exp(-((x - 4.3)/0.35)**2) + 0.06*(x - 4.3)**2*sigmoid(3*(x - 4.3))"
        ),
        x_min=-10,
        x_max=10,
        budget=12,
        start=-6,
        learning_rates={"gradient_descent": 2.0, "momentum": 0.5, "adam": 0.8},
    ),
    # 4. Two dimensions, for the momentum lesson: a long, narrow valley along x.
    #    Across it (y) the walls are steep, along it the floor is almost flat: plain
    #    gradient descent zigzags between the walls and crawls along the floor;
    #    momentum's steps across cancel out while those along add up.
    Level(
        expression="0.03*(x - 4)**2 + 2*(y - 0.3*x + 1)**2 + 1",
        x_min=-10,
        x_max=10,
        y_min=-6,
        y_max=6,
        budget=12,
        start=-8,
        start_y=3,
        name=None,
        learning_rates={"gradient_descent": 0.4, "momentum": 0.1, "adam": 0.5},
    ),
)

_LEVEL_KEYS = {
    "name",
    "expression",
    "x_min",
    "x_max",
    "budget",
    "password",
    "start",
    "learning_rates",
    "y_min",
    "y_max",
    "start_y",
}


def levels_from_data(data):
    """Build levels from parsed JSON (a list of level objects, or ``{"levels": [...]}``).

    Raises
    ------
    LevelError
        With a message naming the level (by position) and the field at fault.
    """
    if isinstance(data, dict) and set(data) == {"levels"}:
        data = data["levels"]
    if not isinstance(data, list) or not data:
        raise LevelError('a levels file holds a non-empty list of levels, or {"levels": [...]}')
    levels = []
    for position, entry in enumerate(data, start=1):
        if not isinstance(entry, dict):
            raise LevelError(f"level {position}: expected an object with expression, x_min, x_max, budget")
        unknown = set(entry) - _LEVEL_KEYS
        if unknown:
            raise LevelError(
                f"level {position}: unknown field(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(_LEVEL_KEYS))}"
            )
        missing = {"expression", "x_min", "x_max", "budget"} - set(entry)
        if missing:
            raise LevelError(f"level {position}: missing field(s) {', '.join(sorted(missing))}")
        try:
            levels.append(Level(**entry))
        except LevelError as error:
            raise LevelError(f"level {position}: {error}") from None
    passwords = [level.password for level in levels if level.password]
    if len(set(passwords)) != len(passwords):
        raise LevelError("two levels have the same password; each level needs its own")
    return levels


def load_levels(path):
    """Read custom levels from a JSON file (never executes anything from it).

    Parameters
    ----------
    path : str or os.PathLike
        The levels file.

    Returns
    -------
    list of Level
    """
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except OSError as error:
        raise LevelError(f"cannot read levels file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise LevelError(f"levels file {path} is not valid JSON: {error}") from None
    try:
        return levels_from_data(data)
    except LevelError as error:
        raise LevelError(f"levels file {path}: {error}") from None
