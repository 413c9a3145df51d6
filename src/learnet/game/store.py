"""The game's state in one SQLite file: levels, teams, sessions, guesses.

Everything a classroom would hate to lose lives here, written at the moment it
happens, so a server that is killed and started again finds the game exactly as
it was. The store knows SQL and nothing about the rules; :mod:`learnet.game.rules`
decides what may be written.

One connection is shared by the server's threads and guarded by a lock, and every
change is one transaction: a rule checked inside :meth:`Store.transaction` cannot be
raced by another request.
"""

import contextlib
import hashlib
import json
import os
import sqlite3
import threading

SCHEMA_VERSION = "2"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS levels (
    id INTEGER PRIMARY KEY,               -- 1, 2, 3, ...: the level's position
    definition TEXT NOT NULL,             -- JSON of Level.definition()
    password TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'waiting',
    opened_at REAL,
    closed_at REAL,
    revealed_at REAL,
    max_teams INTEGER                     -- the teacher's cap on teams (NULL: as many as have codes)
);
CREATE TABLE IF NOT EXISTS teams (
    id INTEGER PRIMARY KEY,
    level_id INTEGER NOT NULL REFERENCES levels(id),
    number INTEGER NOT NULL,
    joined_at REAL NOT NULL,
    kicked_at REAL,                       -- set when the teacher removed the team from the level
    UNIQUE (level_id, number)
);
CREATE TABLE IF NOT EXISTS join_codes (
    code TEXT PRIMARY KEY,                -- what the team types or scans, shown to the teacher
    number INTEGER NOT NULL UNIQUE,       -- the team it logs in as, on every level
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,          -- only a hash: the database never holds a usable token
    team_id INTEGER NOT NULL REFERENCES teams(id),
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS guesses (
    id INTEGER PRIMARY KEY,
    team_id INTEGER NOT NULL REFERENCES teams(id),
    seq INTEGER NOT NULL,                 -- 1, 2, 3, ... within the team
    x REAL NOT NULL,
    fx REAL NOT NULL,
    slope REAL NOT NULL,
    submitted_at REAL NOT NULL,
    ready_at REAL NOT NULL,               -- the result is shown from this time on
    y REAL,                               -- a 2-D level's second coordinate (NULL in 1-D)
    slope_y REAL,                         -- and the gradient's second component
    UNIQUE (team_id, seq)
);
CREATE INDEX IF NOT EXISTS guesses_by_team ON guesses (team_id, seq);
CREATE INDEX IF NOT EXISTS sessions_by_team ON sessions (team_id);
"""

# What version 1 lacked; added in place, so a game saved by an older learnet resumes.
_MIGRATE_1_TO_2 = """
ALTER TABLE levels ADD COLUMN max_teams INTEGER;
ALTER TABLE teams ADD COLUMN kicked_at REAL;
ALTER TABLE guesses ADD COLUMN y REAL;
ALTER TABLE guesses ADD COLUMN slope_y REAL;
"""


def _create_private(path):
    """Create ``path`` readable and writable by its owner only (0600), if it is missing.

    SQLite gives its ``-wal`` and ``-shm`` files the database file's permissions.
    """
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def hash_token(token):
    """The SHA-256 hex digest under which a session token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Store:
    """SQLite storage of one game.

    Parameters
    ----------
    path : str or os.PathLike
        The database file; created if missing. ``":memory:"`` keeps it in memory.
    """

    def __init__(self, path):
        self.path = str(path)
        self._lock = threading.RLock()
        if self.path != ":memory:" and not self.path.startswith("file:"):
            _create_private(self.path)
        self._connection = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._connection.row_factory = sqlite3.Row
        self._connection.execute("PRAGMA foreign_keys = ON")
        if self.path != ":memory:":
            # WAL: a committed change is in the file even if the process is killed
            # right after; NORMAL skips the fsync that only power loss would need.
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = NORMAL")
        self._connection.executescript(_SCHEMA.split("CREATE TABLE IF NOT EXISTS levels")[0])
        version = self.get_meta("schema_version")
        if version == "1":
            with self.transaction() as db:
                for statement in _MIGRATE_1_TO_2.strip().splitlines():
                    db.execute(statement)
        self._connection.executescript(_SCHEMA)
        with self.transaction():
            version = self.get_meta("schema_version")
            if version in (None, "1"):
                self.set_meta("schema_version", SCHEMA_VERSION)
            elif version != SCHEMA_VERSION:
                raise RuntimeError(
                    f"game database {self.path} has schema version {version}, "
                    f"this learnet reads version {SCHEMA_VERSION}"
                )

    def close(self):
        """Close the database connection."""
        with self._lock:
            self._connection.close()

    @contextlib.contextmanager
    def transaction(self):
        """Run a block as one transaction, alone (nested calls join the outer one)."""
        with self._lock:
            if self._connection.in_transaction:
                yield self._connection
                return
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def _query(self, sql, parameters=()):
        with self._lock:
            return self._connection.execute(sql, parameters).fetchall()

    # -- meta ---------------------------------------------------------------------

    def get_meta(self, key):
        """The text stored under ``key`` (the admin token, the schema version), or None."""
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key, value):
        """Store ``value`` (text) under ``key``."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- levels -------------------------------------------------------------------

    def add_level(self, level_id, definition, password):
        """Store a new level: its definition (a dict) and its password; it starts 'waiting'."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO levels (id, definition, password) VALUES (?, ?, ?)",
                (level_id, json.dumps(definition, sort_keys=True), password),
            )

    def levels(self):
        """All levels in order, each a dict with ``definition`` decoded."""
        return [self._level_row(row) for row in self._query("SELECT * FROM levels ORDER BY id")]

    def level(self, level_id):
        """One level as a dict, or None if there is no such level."""
        rows = self._query("SELECT * FROM levels WHERE id = ?", (level_id,))
        return self._level_row(rows[0]) if rows else None

    @staticmethod
    def _level_row(row):
        level = dict(row)
        level["definition"] = json.loads(level["definition"])
        return level

    def set_level_status(self, level_id, status, at):
        """Set a level's status (``open``, ``closed``, ``revealed``) and when it happened."""
        column = {"open": "opened_at", "closed": "closed_at", "revealed": "revealed_at"}[status]
        with self.transaction() as db:
            db.execute(f"UPDATE levels SET status = ?, {column} = ? WHERE id = ?", (status, at, level_id))

    # -- teams and sessions -------------------------------------------------------

    def team(self, level_id, number, create_at=None):
        """The team row; created (joined at ``create_at``) if missing and asked to."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM teams WHERE level_id = ? AND number = ?", (level_id, number)).fetchone()
            if row is None and create_at is not None:
                db.execute(
                    "INSERT INTO teams (level_id, number, joined_at) VALUES (?, ?, ?)", (level_id, number, create_at)
                )
                row = db.execute("SELECT * FROM teams WHERE level_id = ? AND number = ?", (level_id, number)).fetchone()
        return dict(row) if row else None

    def teams(self, level_id, with_kicked=False):
        """The teams that joined a level, by number (without kicked ones unless asked)."""
        kicked = "" if with_kicked else " AND kicked_at IS NULL"
        return [
            dict(row)
            for row in self._query(f"SELECT * FROM teams WHERE level_id = ?{kicked} ORDER BY number", (level_id,))
        ]

    def kick_team(self, team_id, at):
        """Remove a team from its level: mark it kicked and end its logins."""
        with self.transaction() as db:
            db.execute("UPDATE teams SET kicked_at = ? WHERE id = ?", (at, team_id))
            db.execute("DELETE FROM sessions WHERE team_id = ?", (team_id,))

    def set_max_teams(self, level_id, max_teams):
        """Set the teacher's cap on the number of teams of a level (None: no cap)."""
        with self.transaction() as db:
            db.execute("UPDATE levels SET max_teams = ? WHERE id = ?", (max_teams, level_id))

    # -- join codes ---------------------------------------------------------------

    def join_codes(self):
        """Every team's join code, by team number: a list of ``{"number", "code"}``."""
        return [dict(row) for row in self._query("SELECT number, code FROM join_codes ORDER BY number")]

    def add_join_code(self, number, code, at):
        """Give team ``number`` the join ``code``; False if the code is already taken."""
        with self.transaction() as db:
            try:
                db.execute("INSERT INTO join_codes (code, number, created_at) VALUES (?, ?, ?)", (code, number, at))
            except sqlite3.IntegrityError:
                return False
        return True

    def team_for_code(self, code):
        """The team number a join code belongs to, or None."""
        rows = self._query("SELECT number FROM join_codes WHERE code = ?", (code,))
        return rows[0]["number"] if rows else None

    def add_session(self, token, team_id, at):
        """Remember a login: the token's hash, for the team."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO sessions (token_hash, team_id, created_at) VALUES (?, ?, ?)",
                (hash_token(token), team_id, at),
            )

    def team_for_token(self, token):
        """The team a session token belongs to, with ``logged_in_at`` and its level's
        ``revealed_at`` (for the expiry), or None."""
        rows = self._query(
            "SELECT teams.*, sessions.created_at AS logged_in_at, levels.revealed_at AS revealed_at "
            "FROM sessions JOIN teams ON teams.id = sessions.team_id JOIN levels ON levels.id = teams.level_id "
            "WHERE sessions.token_hash = ?",
            (hash_token(token),),
        )
        return dict(rows[0]) if rows else None

    def end_session(self, token):
        """Forget a login."""
        with self.transaction() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (hash_token(token),))

    # -- guesses ------------------------------------------------------------------

    def add_guess(self, team_id, x, fx, slope, submitted_at, ready_at, y=None, slope_y=None):
        """Record a guess as the team's next one; returns its number (1, 2, ...).

        ``y`` and ``slope_y`` are the second coordinate and gradient component of a
        guess on a 2-D level.
        """
        with self.transaction() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM guesses WHERE team_id = ?", (team_id,)).fetchone()
            db.execute(
                "INSERT INTO guesses (team_id, seq, x, fx, slope, submitted_at, ready_at, y, slope_y) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (team_id, count + 1, x, fx, slope, submitted_at, ready_at, y, slope_y),
            )
        return count + 1

    def guesses(self, team_id):
        """A team's guesses, in the order they were made."""
        return [dict(row) for row in self._query("SELECT * FROM guesses WHERE team_id = ? ORDER BY seq", (team_id,))]

    def counts(self, level_id):
        """``(teams, guesses)`` of a level."""
        rows = self._query(
            "SELECT (SELECT COUNT(*) FROM teams WHERE level_id = ? AND kicked_at IS NULL) AS teams, "
            "(SELECT COUNT(*) FROM guesses JOIN teams ON teams.id = guesses.team_id WHERE teams.level_id = ? "
            "AND teams.kicked_at IS NULL) "
            "AS guesses",
            (level_id, level_id),
        )
        return rows[0]["teams"], rows[0]["guesses"]

    def level_guesses(self, level_id):
        """Every guess of a level, with the team number, by team then order."""
        return [
            dict(row)
            for row in self._query(
                "SELECT guesses.*, teams.number AS team FROM guesses JOIN teams ON teams.id = guesses.team_id "
                "WHERE teams.level_id = ? AND teams.kicked_at IS NULL ORDER BY teams.number, guesses.seq",
                (level_id,),
            )
        ]
