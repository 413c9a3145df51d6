"""The rules of the gradient-descent game, enforced on the server.

:class:`Game` is the referee: every request of a team or of the teacher goes through
one of its methods, which checks the rules and writes to the :class:`Store`. It knows
nothing about HTTP; a broken rule raises :class:`GameError`, which carries the HTTP
status, a stable ``code`` the page translates, and an English message.

The rules
---------
* Each team has its own join code, made by the teacher (printable as a sheet of QR
  codes). A team logs in with its code and a level's password (the password, on the
  board, says which level; the code says which team). A wrong login is refused
  without saying which part was wrong. Failures are throttled per code and per place,
  and a right code is never throttled: a class behind one public address cannot lock
  itself or its teacher out.
* The teacher may cap the number of teams of a level and kick a team out of it.
* A login lasts until its level has been revealed for a while, and never longer
  than :data:`SESSION_SECONDS`.
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
import unicodedata
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
SHEET_KEY_SECONDS = 600
#: The computer "reaches the bottom" within this fraction of the curve's height above its lowest point.
PAR_TOLERANCE = 0.01
CURVE_POINTS = 401
GRID_POINTS = 61  # per side of a 2-D level's contour map
MAX_COMPUTER_STEPS = 200
DEFAULT_COMPUTER_STEPS = 25

#: A login ends this long after it was made, or this long after its level's reveal.
SESSION_SECONDS = 12 * 3600
AFTER_REVEAL_SECONDS = 2 * 3600

#: Join codes: 8 symbols of an alphabet without look-alikes (0/O, 1/I/L): 40 random bits.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_TEXT = 40  # the longest code, password or number text read at all

_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)


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
        self.limits = limits or {"code": (5, 60.0), "client": (30, 60.0), "admin": (10, 60.0)}
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
                raise GameError(
                    429,
                    "too_many_attempts",
                    f"Too many failed attempts. Wait {wait} seconds and try again.",
                    retry_after=wait,
                )

    def failure(self, keys):
        now = self.clock()
        for key in keys:
            self._recent(key)
            self._failures.setdefault(key, deque()).append(now)

    def forget(self, key):
        self._failures.pop(key, None)


def generate_code():
    """A new random join code, like ``"K7MQ-2PXD"`` (shown with a dash, typed with or without)."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return symbols[:4] + "-" + symbols[4:]


def normalize_code(text):
    """The stored form of a typed join code: full-width letters folded, upper case,
    spaces and dashes left out; None if it cannot be a code."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return None
    symbols = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if len(symbols) != CODE_LENGTH or any(symbol not in CODE_ALPHABET for symbol in symbols):
        return None
    return symbols[:4] + "-" + symbols[4:]


def _finite_or_none(value):
    value = float(value)
    return value if math.isfinite(value) else None


def parse_number(value, name):
    """Read a JSON number (or a decimal string) as a finite float, or raise a 422."""
    if isinstance(value, str) and len(value) <= MAX_TEXT and _DECIMAL.match(value.strip()):
        value = float(value.strip())
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = repr(value) if len(repr(value)) <= MAX_TEXT else repr(value)[:MAX_TEXT] + "..."
        raise GameError(422, "not_a_number", f"{name} must be a number, got {shown}.", field=name)
    try:
        value = float(value)
    except OverflowError:  # an integer of hundreds of digits
        value = math.inf
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
        The levels of a new game (default: the four built-in ones). If the database
        already holds a game, that game is resumed, and ``levels``, when given, must
        be the same levels.
    delay : float
        Seconds a guess's result is held back.
    clock : callable
        Returns the time in seconds (``time.time``); tests pass a fake clock.
    """

    def __init__(self, store, levels=None, delay=10.0, clock=time.time, admin_token=None):
        if not (isinstance(delay, (int, float)) and math.isfinite(delay) and delay >= 0):
            raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
        self.store = store
        self.delay = float(delay)
        self.clock = clock
        self.throttle = LoginThrottle(clock)
        if admin_token is not None:
            if not isinstance(admin_token, str) or not re.fullmatch(r"[A-Za-z0-9_.~-]{12,200}", admin_token):
                raise ValueError("the admin token must be 12 to 200 letters, digits or -_.~ (it goes in a link)")
            store.set_meta("admin_token", admin_token)
        self.admin_token = store.get_meta("admin_token")
        if self.admin_token is None:
            self.admin_token = secrets.token_urlsafe(18)
            store.set_meta("admin_token", self.admin_token)
        self.levels = self._load_levels(levels)
        self._curves = {}
        self._reveals = {}  # level id -> what everyone sees after its reveal, computed once
        self._statuses = {}  # level id -> status, for the event streams
        self._sheet_keys = {}  # key -> until when it opens the code sheet

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
                level.password not in (None, row["password"]) for level, row in zip(levels, stored)
            ):
                raise LevelError(
                    f"the game database {self.store.path} already holds a game with other levels; "
                    "start it without --levels to resume that game, or use a new --db file for a new one"
                )
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
            "dimensions": level.dimensions,
            **({"y_min": level.y_min, "y_max": level.y_max} if level.dimensions == 2 else {}),
        }

    def _guess_view(self, guess, now):
        view = {"number": guess["seq"], "x": guess["x"], "pending": now < guess["ready_at"]}
        if guess.get("y") is not None:
            view["y"] = guess["y"]
        if view["pending"]:
            view["seconds_left"] = guess["ready_at"] - now
        else:
            view["fx"] = guess["fx"]
            view["slope"] = guess["slope"]
            if guess.get("slope_y") is not None:
                view["slope_y"] = guess["slope_y"]
        return view

    def require_team(self, token):
        """The team a session token belongs to; a 401 :class:`GameError` if none.

        A login ends :data:`AFTER_REVEAL_SECONDS` after its level's reveal and at most
        :data:`SESSION_SECONDS` after it was made; the teacher's kick ends it at once.
        """
        team = self.store.team_for_token(token) if isinstance(token, str) and 0 < len(token) <= 200 else None
        if team is not None:
            now = self.clock()
            revealed_at = team["revealed_at"]
            if now - team["logged_in_at"] > SESSION_SECONDS or (
                revealed_at is not None and now - revealed_at > AFTER_REVEAL_SECONDS
            ):
                self.store.end_session(token)
                team = None
        if team is None:
            raise GameError(401, "not_logged_in", "Not logged in, or the login has expired. Log in again.")
        return team

    def curve(self, level_id, points=CURVE_POINTS):
        """The hidden function sampled across its range: ``{"x": [...], "y": [...]}``.

        On a 2-D level, a grid for the contour map: ``{"x": [...], "y": [...],
        "z": [[...], ...]}`` with a row of ``z`` per ``y``.
        """
        if level_id not in self._curves and self.levels[level_id].dimensions == 2:
            level = self.levels[level_id]
            xs = np.linspace(level.x_min, level.x_max, GRID_POINTS)
            ys = np.linspace(level.y_min, level.y_max, GRID_POINTS)
            zs = level.function.grid_values(xs, ys)
            self._curves[level_id] = {
                "x": [float(v) for v in xs],
                "y": [float(v) for v in ys],
                "z": [[_finite_or_none(v) for v in row] for row in zs],
            }
        if level_id not in self._curves:
            level = self.levels[level_id]
            xs = np.linspace(level.x_min, level.x_max, points)
            ys = level.function.values(xs)
            self._curves[level_id] = {"x": [float(v) for v in xs], "y": [_finite_or_none(v) for v in ys]}
        return self._curves[level_id]

    # -- teams --------------------------------------------------------------------

    def login(self, code, password, client="unknown"):
        """Log a team in with its join code to the level whose password it gives.

        Returns
        -------
        dict
            ``{"token", "team", "level"}``: the session token for the team's requests.

        Raises
        ------
        GameError
            401 for a wrong code or password (the same answer whatever was wrong);
            403 for a team the teacher kicked out of that level; 409 when the level
            has as many teams as the teacher allowed; 429 after too many failures
            with one code, or from one place (a right code is never refused for that).
        """
        code = normalize_code(code)
        client_key = ("client", client)
        number = self.store.team_for_code(code) if code else None
        given = password.strip().lower() if isinstance(password, str) and len(password) <= MAX_TEXT else ""
        level_id = None
        for candidate_id, level in self.levels.items():
            # compare_digest takes as long for a near miss as for a wild one.
            if hmac.compare_digest(given.encode("utf-8"), level.password.encode("utf-8")):
                level_id = candidate_id
        if number is None or level_id is None:
            keys = [client_key] + ([("code", code)] if number is not None else [])
            self.throttle.check(keys)
            self.throttle.failure(keys)
            raise GameError(401, "login_refused", "That join code and password do not match a level.")
        self.throttle.forget(("code", code))
        now = self.clock()
        with self.store.transaction():
            team_row = self.store.team(level_id, number)
            if team_row is None:
                cap = self._level_row(level_id)["max_teams"]
                if cap is not None and len(self.store.teams(level_id)) >= cap:
                    raise GameError(
                        409, "level_full", f"This level already has its {cap} teams; ask the teacher.", max_teams=cap
                    )
                team_row = self.store.team(level_id, number, create_at=now)
            elif team_row["kicked_at"] is not None:
                raise GameError(403, "kicked", "The teacher has taken this team out of this level.")
            token = secrets.token_urlsafe(24)
            self.store.add_session(token, team_row["id"], now)
        return {"token": token, "team": number, "level": self._public_level(self._level_row(level_id))}

    def logout(self, token):
        """End a login (the team's page forgets its token too)."""
        self.require_team(token)
        self.store.end_session(token)
        return {"logged_out": True}

    def team_state(self, token):
        """Everything a team's page shows: its level, its guesses, and after a reveal, all."""
        team = self.require_team(token)
        row = self._level_row(team["level_id"])
        level = self.levels[row["id"]]
        now = self.clock()
        shown_at = math.inf if row["status"] == "revealed" else now
        guesses = [self._guess_view(guess, shown_at) for guess in self.store.guesses(team["id"])]
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
            state["reveal"] = self.reveal(row["id"])
        return state

    def reveal(self, level_id):
        """What everyone sees once a level is revealed: formula, curve, scoreboard, every
        team's path and the computer's runs. Computed once per level, then shared."""
        if level_id not in self._reveals:
            level = self.levels[level_id]
            # After the reveal no guess can be added, and every held-back result is shown.
            self._reveals[level_id] = {
                "expression": level.expression,
                "curve": self.curve(level_id),
                "scoreboard": self.scoreboard(level_id, now=math.inf),
                "paths": self._paths(level_id, math.inf),
                "computer": self._computer_with_par(level_id),
            }
        return self._reveals[level_id]

    def submit_guess(self, token, x, y=None):
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
            raise GameError(
                422,
                "out_of_range",
                f"x must be between {level.x_min:g} and {level.x_max:g}.",
                x_min=level.x_min,
                x_max=level.x_max,
            )
        slope_y = None
        if level.dimensions == 2:
            if y is None or y == "":
                raise GameError(422, "missing_field", "'y' is missing: this level takes a point (x, y).", field="y")
            y = parse_number(y, "y")
            if not level.y_min <= y <= level.y_max:
                raise GameError(
                    422,
                    "out_of_range_y",
                    f"y must be between {level.y_min:g} and {level.y_max:g}.",
                    y_min=level.y_min,
                    y_max=level.y_max,
                )
            fx, slope, slope_y = level.function.value_and_gradient(x, y)
            finite = math.isfinite(fx) and math.isfinite(slope) and math.isfinite(slope_y)
        else:
            if y is not None:
                raise GameError(422, "not_2d", "This level takes x only.", field="y")
            fx, slope = level.function.value_and_slope(x)
            finite = math.isfinite(fx) and math.isfinite(slope)
        if not finite:
            raise GameError(422, "undefined_here", f"The function is not defined at x = {x:g}; try another x.", x=x)
        with self.store.transaction():
            row = self._level_row(team["level_id"])
            if row["status"] != "open":
                raise GameError(409, "level_not_open", "This level is not open for guesses.", status=row["status"])
            now = self.clock()
            guesses = self.store.guesses(team["id"])
            if guesses and now < guesses[-1]["ready_at"]:
                wait = guesses[-1]["ready_at"] - now
                raise GameError(
                    409,
                    "guess_pending",
                    f"Your last guess is still being computed ({wait:.0f} s left); "
                    "wait for its result before guessing again.",
                    seconds_left=wait,
                )
            if len(guesses) >= level.budget:
                raise GameError(409, "budget_used", f"All {level.budget} guesses are used.", budget=level.budget)
            number = self.store.add_guess(team["id"], x, fx, slope, now, now + self.delay, y=y, slope_y=slope_y)
        guess = {
            "seq": number,
            "x": x,
            "fx": fx,
            "slope": slope,
            "ready_at": now + self.delay,
            "y": y,
            "slope_y": slope_y,
        }
        return {"guess": self._guess_view(guess, now), "guesses_left": level.budget - number}

    # -- the teacher ----------------------------------------------------------------

    def check_admin(self, token, client="unknown"):
        """Refuse (403) a wrong admin token; throttle (429) repeated failures from one place.

        The right token is never throttled, so students failing from the teacher's
        public address cannot lock the teacher out (and guessing 144 random bits is
        hopeless anyway).
        """
        given = token.encode("utf-8") if isinstance(token, str) and len(token) <= 200 else b""
        if not hmac.compare_digest(given, self.admin_token.encode("utf-8")):
            keys = [("admin", client)]
            self.throttle.check(keys)
            self.throttle.failure(keys)
            raise GameError(403, "admin_refused", "This page needs the teacher's link with its secret token.")

    def make_codes(self, teams):
        """Make sure teams 1 to ``teams`` each have a join code; returns every code.

        Codes already made are kept (a printed sheet stays valid).
        """
        if isinstance(teams, bool) or not isinstance(teams, int) or not 1 <= teams <= MAX_TEAM_NUMBER:
            raise GameError(
                422,
                "bad_team_count",
                f"The number of teams must be a whole number from 1 to {MAX_TEAM_NUMBER}.",
                max=MAX_TEAM_NUMBER,
            )
        have = {row["number"] for row in self.store.join_codes()}
        for number in range(1, teams + 1):
            while number not in have and not self.store.add_join_code(number, generate_code(), self.clock()):
                pass  # a clash of two random codes: draw again
        return self.codes()

    def sheet_key(self):
        """A key that opens the printable code sheet for :data:`SHEET_KEY_SECONDS`.

        The sheet is opened as a page of its own, so its link carries a key; a
        browser prints a page's link at its foot, and the key printed there is soon
        worth nothing, unlike the teacher's token.
        """
        now = self.clock()
        self._sheet_keys = {key: until for key, until in self._sheet_keys.items() if until > now}
        key = secrets.token_urlsafe(16)
        self._sheet_keys[key] = now + SHEET_KEY_SECONDS
        return {"key": key, "expires_in": SHEET_KEY_SECONDS}

    def check_sheet_key(self, key, client="unknown"):
        """Refuse (403) a sheet key that is wrong or expired; throttle repeated failures."""
        until = self._sheet_keys.get(key) if isinstance(key, str) else None
        if until is None or until <= self.clock():
            keys = [("admin", client)]
            self.throttle.check(keys)
            self.throttle.failure(keys)
            raise GameError(403, "admin_refused", "This page needs the teacher's link with its secret token.")

    def codes(self):
        """Every team's join code: ``{"codes": [{"team", "code"}, ...]}``."""
        return {"codes": [{"team": row["number"], "code": row["code"]} for row in self.store.join_codes()]}

    def set_max_teams(self, level_id, max_teams):
        """Cap the number of teams of a level (``None``: no cap beyond the codes made)."""
        self._level_row(level_id)
        if max_teams is not None and (
            isinstance(max_teams, bool) or not isinstance(max_teams, int) or not 1 <= max_teams <= MAX_TEAM_NUMBER
        ):
            raise GameError(
                422,
                "bad_team_count",
                f"max_teams must be a whole number from 1 to {MAX_TEAM_NUMBER} or null.",
                max=MAX_TEAM_NUMBER,
            )
        self.store.set_max_teams(level_id, max_teams)
        return self.admin_level(level_id)

    def kick(self, level_id, number):
        """Take team ``number`` out of a level: its logins end, it cannot join the level
        again, and it leaves the scoreboard."""
        self._level_row(level_id)
        team = self.store.team(level_id, number) if isinstance(number, int) else None
        if team is None or team["kicked_at"] is not None:
            raise GameError(404, "unknown_team", f"Team {number} has not joined level {level_id}.", team=number)
        self.store.kick_team(team["id"], self.clock())
        self._reveals.pop(level_id, None)
        return self.admin_level(level_id)

    def change_level(self, level_id, action):
        """Apply a teacher action (``open``, ``close`` or ``reveal``) to a level."""
        if action not in ACTIONS:
            raise GameError(404, "unknown_action", f"Unknown action {action!r}; use open, close or reveal.")
        status, allowed_from = ACTIONS[action]
        with self.store.transaction():
            row = self._level_row(level_id)
            if row["status"] not in allowed_from:
                raise GameError(
                    409,
                    "bad_transition",
                    f"A {row['status']} level cannot be made {status}.",
                    action=action,
                    status=row["status"],
                )
            self.store.set_level_status(level_id, status, self.clock())
        self._statuses[level_id] = status
        return self.admin_level(level_id)

    def status_of(self, level_id):
        """A level's status, from memory (the store is written first, on every change)."""
        if level_id not in self._statuses:
            self._statuses[level_id] = self._level_row(level_id)["status"]
        return self._statuses[level_id]

    def admin_overview(self):
        """All levels with their passwords, status and a count of teams and guesses."""
        levels = []
        for row in self.store.levels():
            level = self.levels[row["id"]]
            teams, guesses = self.store.counts(row["id"])
            levels.append(
                {
                    **self._public_level(row),
                    "password": level.password,
                    "expression": level.expression,
                    "teams": teams,
                    "guesses": guesses,
                    "start": level.start,
                    "learning_rates": level.learning_rates,
                }
            )
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
            teams.append(
                {
                    "team": path["team"],
                    "guesses_used": len(path["guesses"]),
                    "pending": any(guess["pending"] for guess in path["guesses"]),
                    "best": best,
                    "guesses": path["guesses"],
                }
            )
        return {
            "level": {
                **self._public_level(row),
                "password": level.password,
                "expression": level.expression,
                "start": level.start,
                "learning_rates": level.learning_rates,
                "computer_steps": DEFAULT_COMPUTER_STEPS,
                "max_teams": row["max_teams"],
                **({"start_y": level.start_y} if level.dimensions == 2 else {}),
            },
            "teams": teams,
            "scoreboard": self.scoreboard(level_id),
            "curve": self.curve(level_id),
        }

    def scoreboard(self, level_id, now=None):
        """Teams ranked by their best ``f(x)``; ties go to fewer guesses, then share a rank.

        Only results already released count; teams without one are left out.
        """
        entries = []
        for path in self._paths(level_id, self.clock() if now is None else now):
            if path["guesses"]:
                best = min(path["guesses"], key=lambda guess: (guess["fx"], guess["number"]))
                entries.append(
                    {
                        "team": path["team"],
                        "best_fx": best["fx"],
                        "best_x": best["x"],
                        "guesses": len(path["guesses"]),
                        **({"best_y": best["y"]} if "y" in best else {}),
                    }
                )
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
            writer.writerow(
                [
                    level_id,
                    entry["rank"],
                    entry["team"],
                    repr(entry["best_fx"]),
                    repr(entry["best_x"]),
                    entry["guesses"],
                ]
            )
        return out.getvalue()

    def guesses_csv(self, level_id):
        """Every released guess of a level as CSV text, by team and in order."""
        self._level_row(level_id)
        now = self.clock()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        two_d = self.levels[level_id].dimensions == 2
        # A 2-D level adds y and the gradient's y component at the end of each row.
        writer.writerow(
            ["level", "team", "guess", "x", "fx", "slope", "submitted_at_utc"] + (["y", "slope_y"] if two_d else [])
        )
        for guess in self.store.level_guesses(level_id):
            if guess["ready_at"] <= now:
                when = datetime.datetime.fromtimestamp(guess["submitted_at"], datetime.timezone.utc)
                writer.writerow(
                    [
                        level_id,
                        guess["team"],
                        guess["seq"],
                        repr(guess["x"]),
                        repr(guess["fx"]),
                        repr(guess["slope"]),
                        when.isoformat(timespec="seconds"),
                    ]
                    + ([repr(guess["y"]), repr(guess["slope_y"])] if two_d else [])
                )
        return out.getvalue()

    def _computer_with_par(self, level_id):
        """The computer's three runs, each with the step at which it came within
        :data:`PAR_TOLERANCE` of the curve's lowest point; the best of them is "par"."""
        played = self.computer_play(level_id, steps=MAX_COMPUTER_STEPS // 2)
        curve = self.curve(level_id)
        ys = (
            [z for row in curve["z"] for z in row if z is not None]
            if "z" in curve
            else [y for y in curve["y"] if y is not None]
        )
        target = min(ys) + PAR_TOLERANCE * (max(ys) - min(ys))
        for run in played["runs"]:
            run["par_steps"] = next((step for step, point in enumerate(run["path"]) if point["fx"] <= target), None)
        reached = [run["par_steps"] for run in played["runs"] if run["par_steps"] is not None]
        played["target_fx"] = target
        played["par"] = min(reached) + 1 if reached else None  # guesses = steps + the starting guess
        return played

    def computer_play(self, level_id, start=None, steps=None, learning_rates=None):
        """Let learnet's optimizers play a level; see :func:`learnet.game.computer.play`."""
        from learnet.game.computer import play

        self._level_row(level_id)
        level = self.levels[level_id]
        if level.dimensions == 2:
            # A 2-D level starts where the level says, or at [x, y].
            if start is None:
                start = [level.start, level.start_y]
            if not isinstance(start, list) or len(start) != 2:
                raise GameError(422, "bad_start", "start must be a point [x, y] on this level.", field="start")
            start = [parse_number(start[0], "start"), parse_number(start[1], "start")]
            if not (level.x_min <= start[0] <= level.x_max and level.y_min <= start[1] <= level.y_max):
                raise GameError(
                    422, "out_of_range", "start must be inside the level's range.", x_min=level.x_min, x_max=level.x_max
                )
        else:
            start = level.start if start is None else parse_number(start, "start")
            if not level.x_min <= start <= level.x_max:
                raise GameError(
                    422,
                    "out_of_range",
                    f"start must be between {level.x_min:g} and {level.x_max:g}.",
                    x_min=level.x_min,
                    x_max=level.x_max,
                )
        steps = DEFAULT_COMPUTER_STEPS if steps is None else steps
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_COMPUTER_STEPS:
            raise GameError(
                422,
                "bad_steps",
                f"steps must be a whole number from 1 to {MAX_COMPUTER_STEPS}.",
                max=MAX_COMPUTER_STEPS,
            )
        rates = dict(level.learning_rates)
        for name, value in (learning_rates or {}).items():
            if name not in rates:
                raise GameError(422, "bad_learning_rate", f"Unknown optimizer {name!r}.", field=name)
            value = parse_number(value, name)
            if not 0 < value <= 100:
                raise GameError(
                    422,
                    "bad_learning_rate",
                    f"The learning rate of {name} must be above 0 and at most 100.",
                    field=name,
                )
            rates[name] = value
        return {"start": start, "steps": steps, "learning_rates": rates, "runs": play(level, start, steps, rates)}
