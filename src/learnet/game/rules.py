"""The rules of the gradient-descent game, enforced on the server.

:class:`Game` is the referee: every request of a team or of the teacher goes through
one of its methods, which checks the rules and writes to the :class:`Store`. It knows
nothing about HTTP; a broken rule raises :class:`GameError`, which carries the HTTP
status, a stable ``code`` the page translates, and an English message.

The rules
---------
* A team logs in with its number and a level's password (the password says which
  level). A wrong login is refused without saying which part was wrong, and repeated
  failures from one place are throttled.
* A guess is a finite number inside the level's range, made while the level is open,
  within the team's budget. Bad input is refused with a clear message and nothing is
  recorded.
* After a guess, its result (``f(x)`` and the slope) is held back for ``delay``
  seconds. Until then the guess is *pending*: a team has at most one pending guess,
  so a new guess before the delay ends is refused.
* A team sees only its own guesses until the teacher reveals the level; then
  everyone sees the curve, the formula, every team's path and the scoreboard.
"""
import csv
import datetime
import hmac
import io
import math
import re
import secrets
import time
from collections import deque

import numpy as np

from learnet.game.levels import BUILTIN_LEVELS, Level, LevelError, generate_password

#: A level's life: waiting -> open <-> closed -> revealed.
STATUSES = ("waiting", "open", "closed", "revealed")

#: Teacher actions and the statuses each may start from.
ACTIONS = {
    "open": ("open", ("waiting", "closed")),
    "close": ("closed", ("open",)),
    "reveal": ("revealed", ("open", "closed")),
}

MAX_TEAM_NUMBER = 999
CURVE_POINTS = 401
MAX_COMPUTER_STEPS = 200
DEFAULT_COMPUTER_STEPS = 25

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class GameError(Exception):
    """A request the rules refuse.

    Parameters
    ----------
    http_status : int
        The HTTP status to answer with (4xx), kept as ``status``.
    code : str
        A stable identifier of the problem, translated by the web page.
    message : str
        An English explanation.
    **params
        Values the message mentions (range ends, seconds to wait, ...).
    """

    def __init__(self, http_status, code, message, **params):
        super().__init__(message)
        self.status = http_status
        self.code = code
        self.message = message
        self.params = params

    def as_dict(self):
        return {"code": self.code, "message": self.message, "params": self.params}


class LoginThrottle:
    """Count failed logins per key and refuse a key that failed too often lately.

    Parameters
    ----------
    clock : callable
        Returns the time in seconds.
    limits : dict
        For each kind of key, ``(failures, window_seconds)``: more than ``failures``
        failures within the window and the key must wait until the oldest ages out.
    """

    def __init__(self, clock, limits=None):
        self.clock = clock
        self.limits = limits or {"team": (5, 60.0), "client": (20, 60.0), "admin": (5, 60.0)}
        self._failures = {}

    def _recent(self, key):
        failures = self._failures.get(key)
        if failures is None:
            return None
        window = self.limits[key[0]][1]
        now = self.clock()
        while failures and failures[0] <= now - window:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return None
        return failures

    def check(self, keys):
        """Raise a 429 :class:`GameError` if any key has used up its failures."""
        for key in keys:
            failures = self._recent(key)
            allowed, window = self.limits[key[0]]
            if failures is not None and len(failures) >= allowed:
                wait = max(1, math.ceil(failures[0] + window - self.clock()))
                raise GameError(429, "too_many_attempts",
                                f"Too many failed attempts. Wait {wait} seconds and try again.",
                                retry_after=wait)

    def failure(self, keys):
        now = self.clock()
        for key in keys:
            self._recent(key)
            self._failures.setdefault(key, deque()).append(now)

    def forget(self, key):
        self._failures.pop(key, None)


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def parse_number(value, name):
    """Read a JSON number (or a decimal string) as a finite float, or raise a 422."""
    if isinstance(value, str) and _DECIMAL.match(value.strip()):
        value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GameError(422, "not_a_number", f"{name} must be a number, got {value!r}.", field=name)
    value = float(value)
    if not math.isfinite(value):
        raise GameError(422, "not_finite", f"{name} must be a finite number, got {value}.", field=name)
    return value


class Game:
    """The referee of one game, stored in one database.

    Parameters
    ----------
    store : Store
        Where the game lives.
    levels : list of Level, optional
        The levels of a new game (default: the three built-in ones). If the database
        already holds a game, that game is resumed, and ``levels``, when given, must
        be the same levels.
    delay : float
        Seconds a guess's result is held back.
    clock : callable
        Returns the time in seconds (``time.time``); tests pass a fake clock.
    """

    def __init__(self, store, levels=None, delay=10.0, clock=time.time):
        if not (isinstance(delay, (int, float)) and math.isfinite(delay) and delay >= 0):
            raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
        self.store = store
        self.delay = float(delay)
        self.clock = clock
        self.throttle = LoginThrottle(clock)
        self.admin_token = store.get_meta("admin_token")
        if self.admin_token is None:
            self.admin_token = secrets.token_urlsafe(18)
            store.set_meta("admin_token", self.admin_token)
        self.levels = self._load_levels(levels)
        self._curves = {}

    def _load_levels(self, levels):
        stored = self.store.levels()
        if not stored:
            levels = list(BUILTIN_LEVELS if levels is None else levels)
            if not levels:
                raise LevelError("a game needs at least one level")
            given = [level.password for level in levels if level.password]
            if len(set(given)) != len(given):
                raise LevelError("two levels have the same password; each level needs its own")
            taken = set(given)
            with self.store.transaction():
                for position, level in enumerate(levels, start=1):
                    password = level.password
                    if password is None:
                        password = generate_password()
                        while password in taken:
                            password = generate_password()
                        taken.add(password)
                    self.store.add_level(position, level.definition(), password)
            stored = self.store.levels()
        elif levels is not None:
            given = [level.definition() for level in levels]
            if given != [row["definition"] for row in stored] or any(
                    level.password not in (None, row["password"]) for level, row in zip(levels, stored)):
                raise LevelError(
                    f"the game database {self.store.path} already holds a game with other levels; "
                    "start it without --levels to resume that game, or use a new --db file for a new one")
        return {row["id"]: Level(password=row["password"], **row["definition"]) for row in stored}

    # -- helpers ------------------------------------------------------------------

    def _level_row(self, level_id):
        row = self.store.level(level_id) if isinstance(level_id, int) else None
        if row is None:
            raise GameError(404, "unknown_level", f"There is no level {level_id!r}.", level=level_id)
        return row

    def _public_level(self, row):
        level = self.levels[row["id"]]
        return {
            "id": row["id"],
            "name": level.name,
            "x_min": level.x_min,
            "x_max": level.x_max,
            "budget": level.budget,
            "status": row["status"],
        }

    def _guess_view(self, guess, now):
        view = {"number": guess["seq"], "x": guess["x"], "pending": now < guess["ready_at"]}
        if view["pending"]:
            view["seconds_left"] = guess["ready_at"] - now
        else:
            view["fx"] = guess["fx"]
            view["slope"] = guess["slope"]
        return view

    def require_team(self, token):
        """The team a session token belongs to; a 401 :class:`GameError` if none."""
        team = self.store.team_for_token(token) if isinstance(token, str) and token else None
        if team is None:
            raise GameError(401, "not_logged_in", "Not logged in, or the login has expired. Log in again.")
        return team

    def curve(self, level_id, points=CURVE_POINTS):
        """The hidden function sampled across its range: ``{"x": [...], "y": [...]}``."""
        if level_id not in self._curves:
            level = self.levels[level_id]
            xs = np.linspace(level.x_min, level.x_max, points)
            ys = level.function.values(xs)
            self._curves[level_id] = {"x": [float(v) for v in xs], "y": [_finite_or_none(v) for v in ys]}
        return self._curves[level_id]

    # -- teams --------------------------------------------------------------------

    def login(self, team, password, client="unknown"):
        """Log a team in to the level whose password it gives; returns a session token.

        Raises
        ------
        GameError
            422 for a team number that is not a whole number from 1 to 999; 401 for a
            wrong password (the same answer whatever was wrong); 429 after too many
            failures from the same place.
        """
        if isinstance(team, str) and team.strip().isdigit():
            team = int(team.strip())
        if isinstance(team, bool) or not isinstance(team, int) or not 1 <= team <= MAX_TEAM_NUMBER:
            raise GameError(422, "bad_team_number",
                            f"The team number must be a whole number from 1 to {MAX_TEAM_NUMBER}.",
                            max=MAX_TEAM_NUMBER)
        keys = [("team", client, team), ("client", client)]
        self.throttle.check(keys)
        given = password.strip().lower() if isinstance(password, str) else ""
        level_id = None
        for candidate_id, level in self.levels.items():
            # compare_digest takes as long for a near miss as for a wild one.
            if hmac.compare_digest(given.encode("utf-8"), level.password.encode("utf-8")):
                level_id = candidate_id
        if level_id is None:
            self.throttle.failure(keys)
            raise GameError(401, "login_refused", "That team number and password do not match a level.")
        self.throttle.forget(keys[0])
        now = self.clock()
        team_row = self.store.team(level_id, team, create_at=now)
        token = secrets.token_urlsafe(24)
        self.store.add_session(token, team_row["id"], now)
        return {"token": token, "team": team, "level": self._public_level(self._level_row(level_id))}

    def team_state(self, token):
        """Everything a team's page shows: its level, its guesses, and after a reveal, all."""
        team = self.require_team(token)
        row = self._level_row(team["level_id"])
        level = self.levels[row["id"]]
        now = self.clock()
        guesses = [self._guess_view(guess, now) for guess in self.store.guesses(team["id"])]
        done = [guess for guess in guesses if not guess["pending"]]
        state = {
            "team": team["number"],
            "level": self._public_level(row),
            "delay": self.delay,
            "guesses": guesses,
            "best": min(done, key=lambda guess: (guess["fx"], guess["number"])) if done else None,
            "guesses_left": level.budget - len(guesses),
            "pending": next((guess for guess in guesses if guess["pending"]), None),
            "reveal": None,
        }
        if row["status"] == "revealed":
            state["reveal"] = {
                "expression": level.expression,
                "curve": self.curve(row["id"]),
                "scoreboard": self.scoreboard(row["id"]),
                "paths": self._paths(row["id"], now),
            }
        return state

    def submit_guess(self, token, x):
        """Record a team's guess ``x``; its result is released after the delay.

        Returns
        -------
        dict
            The guess as the team sees it (pending, with ``seconds_left``, while the
            delay runs) and ``guesses_left``.

        Raises
        ------
        GameError
            401 not logged in; 422 for an ``x`` that is not a finite number in the
            range or where the function is undefined; 409 when the level is not open,
            a guess is still pending, or the budget is used up.
        """
        team = self.require_team(token)
        level = self.levels[team["level_id"]]
        x = parse_number(x, "x")
        if not level.x_min <= x <= level.x_max:
            raise GameError(422, "out_of_range", f"x must be between {level.x_min:g} and {level.x_max:g}.",
                            x_min=level.x_min, x_max=level.x_max)
        fx, slope = level.function.value_and_slope(x)
        if not (math.isfinite(fx) and math.isfinite(slope)):
            raise GameError(422, "undefined_here", f"The function is not defined at x = {x:g}; try another x.",
                            x=x)
        with self.store.transaction():
            row = self._level_row(team["level_id"])
            if row["status"] != "open":
                raise GameError(409, "level_not_open", "This level is not open for guesses.", status=row["status"])
            now = self.clock()
            guesses = self.store.guesses(team["id"])
            if guesses and now < guesses[-1]["ready_at"]:
                wait = guesses[-1]["ready_at"] - now
                raise GameError(409, "guess_pending",
                                f"Your last guess is still being computed ({wait:.0f} s left); "
                                "wait for its result before guessing again.", seconds_left=wait)
            if len(guesses) >= level.budget:
                raise GameError(409, "budget_used", f"All {level.budget} guesses are used.", budget=level.budget)
            number = self.store.add_guess(team["id"], x, fx, slope, now, now + self.delay)
        guess = {"seq": number, "x": x, "fx": fx, "slope": slope, "ready_at": now + self.delay}
        return {"guess": self._guess_view(guess, now), "guesses_left": level.budget - number}

    # -- the teacher ----------------------------------------------------------------

    def check_admin(self, token, client="unknown"):
        """Refuse (403) a wrong admin token; throttle (429) repeated failures."""
        keys = [("admin", client)]
        self.throttle.check(keys)
        given = token.encode("utf-8") if isinstance(token, str) else b""
        if not hmac.compare_digest(given, self.admin_token.encode("utf-8")):
            self.throttle.failure(keys)
            raise GameError(403, "admin_refused", "This page needs the teacher's link with its secret token.")

    def change_level(self, level_id, action):
        """Apply a teacher action (``open``, ``close`` or ``reveal``) to a level."""
        if action not in ACTIONS:
            raise GameError(404, "unknown_action", f"Unknown action {action!r}; use open, close or reveal.")
        status, allowed_from = ACTIONS[action]
        with self.store.transaction():
            row = self._level_row(level_id)
            if row["status"] not in allowed_from:
                raise GameError(409, "bad_transition", f"A {row['status']} level cannot be made {status}.",
                                action=action, status=row["status"])
            self.store.set_level_status(level_id, status, self.clock())
        return self.admin_level(level_id)

    def admin_overview(self):
        """All levels with their passwords, status and a count of teams and guesses."""
        levels = []
        for row in self.store.levels():
            level = self.levels[row["id"]]
            teams, guesses = self.store.counts(row["id"])
            levels.append({
                **self._public_level(row),
                "password": level.password,
                "expression": level.expression,
                "teams": teams,
                "guesses": guesses,
                "start": level.start,
                "learning_rates": level.learning_rates,
            })
        return {"delay": self.delay, "levels": levels}

    def _paths(self, level_id, now, with_pending=False):
        paths = {team["number"]: [] for team in self.store.teams(level_id)}
        for guess in self.store.level_guesses(level_id):
            view = self._guess_view(guess, now)
            if with_pending or not view["pending"]:
                paths[guess["team"]].append(view)
        return [{"team": team, "guesses": guesses} for team, guesses in paths.items()]

    def admin_level(self, level_id):
        """One level in full for the teacher: progress of every team, scoreboard, curve."""
        row = self._level_row(level_id)
        level = self.levels[row["id"]]
        now = self.clock()
        teams = []
        for path in self._paths(level_id, now, with_pending=True):
            done = [guess for guess in path["guesses"] if not guess["pending"]]
            best = min(done, key=lambda guess: (guess["fx"], guess["number"])) if done else None
            teams.append({
                "team": path["team"],
                "guesses_used": len(path["guesses"]),
                "pending": any(guess["pending"] for guess in path["guesses"]),
                "best": best,
                "guesses": path["guesses"],
            })
        return {
            "level": {**self._public_level(row), "password": level.password, "expression": level.expression,
                      "start": level.start, "learning_rates": level.learning_rates,
                      "computer_steps": DEFAULT_COMPUTER_STEPS},
            "teams": teams,
            "scoreboard": self.scoreboard(level_id),
            "curve": self.curve(level_id),
        }

    def scoreboard(self, level_id):
        """Teams ranked by their best ``f(x)``; ties go to fewer guesses, then share a rank.

        Only results already released count; teams without one are left out.
        """
        entries = []
        for path in self._paths(level_id, self.clock()):
            if path["guesses"]:
                best = min(path["guesses"], key=lambda guess: (guess["fx"], guess["number"]))
                entries.append({"team": path["team"], "best_fx": best["fx"], "best_x": best["x"],
                                "guesses": len(path["guesses"])})
        entries.sort(key=lambda entry: (entry["best_fx"], entry["guesses"], entry["team"]))
        for index, entry in enumerate(entries):
            previous = entries[index - 1] if index else None
            same = previous and (previous["best_fx"], previous["guesses"]) == (entry["best_fx"], entry["guesses"])
            entry["rank"] = previous["rank"] if same else index + 1
        return entries

    def scoreboard_csv(self, level_id):
        """The scoreboard as CSV text: rank, team, best f(x), its x, guesses."""
        self._level_row(level_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["level", "rank", "team", "best_fx", "best_x", "guesses"])
        for entry in self.scoreboard(level_id):
            writer.writerow([level_id, entry["rank"], entry["team"], repr(entry["best_fx"]),
                             repr(entry["best_x"]), entry["guesses"]])
        return out.getvalue()

    def guesses_csv(self, level_id):
        """Every released guess of a level as CSV text, by team and in order."""
        self._level_row(level_id)
        now = self.clock()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["level", "team", "guess", "x", "fx", "slope", "submitted_at_utc"])
        for guess in self.store.level_guesses(level_id):
            if guess["ready_at"] <= now:
                when = datetime.datetime.fromtimestamp(guess["submitted_at"], datetime.timezone.utc)
                writer.writerow([level_id, guess["team"], guess["seq"], repr(guess["x"]), repr(guess["fx"]),
                                 repr(guess["slope"]), when.isoformat(timespec="seconds")])
        return out.getvalue()

    def computer_play(self, level_id, start=None, steps=None, learning_rates=None):
        """Let learnet's optimizers play a level; see :func:`learnet.game.computer.play`."""
        from learnet.game.computer import play

        self._level_row(level_id)
        level = self.levels[level_id]
        start = level.start if start is None else parse_number(start, "start")
        if not level.x_min <= start <= level.x_max:
            raise GameError(422, "out_of_range", f"start must be between {level.x_min:g} and {level.x_max:g}.",
                            x_min=level.x_min, x_max=level.x_max)
        steps = DEFAULT_COMPUTER_STEPS if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_COMPUTER_STEPS:
            raise GameError(422, "bad_steps", f"steps must be a whole number from 1 to {MAX_COMPUTER_STEPS}.",
                            max=MAX_COMPUTER_STEPS)
        rates = dict(level.learning_rates)
        for name, value in (learning_rates or {}).items():
            if name not in rates:
                raise GameError(422, "bad_learning_rate", f"Unknown optimizer {name!r}.", field=name)
            value = parse_number(value, name)
            if not 0 < value <= 100:
                raise GameError(422, "bad_learning_rate", f"The learning rate of {name} must be above 0 and "
                                "at most 100.", field=name)
            rates[name] = value
        return {"start": start, "steps": steps, "learning_rates": rates,
                "runs": play(level, start, steps, rates)}
