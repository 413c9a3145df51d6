"""Helpers for the game's tests: a fake clock, an API client, and real servers.

Every server a test starts listens on a free port of 127.0.0.1 and is stopped by
the same test.
"""

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("fastapi", reason="the game needs the 'game' extra (fastapi, uvicorn)")

from fastapi.testclient import TestClient  # noqa: E402

from learnet.game.levels import Level  # noqa: E402
from learnet.game.server import create_app  # noqa: E402

PASSWORD_1 = "alpha1"
PASSWORD_2 = "bravo2"


def small_levels():
    """Two small levels with known passwords, for the API tests."""
    return [
        Level(expression="(x - 1)**2 + 2", x_min=-5, x_max=5, budget=3, password=PASSWORD_1, name="Bowl"),
        Level(expression="x**2 - x", x_min=-2, x_max=2, budget=5, password=PASSWORD_2),
    ]


class FakeClock:
    """A clock that moves only when told: ``clock.advance(10)``."""

    def __init__(self, start=1_800_000_000.0):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


class GameClient:
    """A TestClient with short-hands for the game's API."""

    def __init__(self, app):
        self.app = app
        self.http = TestClient(app)
        self.admin_headers = {"X-Admin-Token": app.state.admin_token}
        passwords = [level.password for _, level in sorted(app.state.game.levels.items())]
        self.pw1, self.pw2 = (passwords + [None])[:2]

    def admin(self, method, path, **kwargs):
        return self.http.request(method, "/api/admin" + path, headers=self.admin_headers, **kwargs)

    def open(self, level_id):
        response = self.admin("POST", f"/levels/{level_id}/open")
        assert response.status_code == 200, response.text
        return response.json()

    def code(self, team):
        """Team ``team``'s join code (made, with those of the teams before it, if missing)."""
        codes = self.app.state.game.make_codes(max(team, len(self.app.state.game.codes()["codes"])))["codes"]
        return codes[team - 1]["code"]

    def login(self, team, password, **kwargs):
        return self.http.post("/api/login", json={"code": self.code(team), "password": password}, **kwargs)

    def token(self, team, password):
        response = self.login(team, password)
        assert response.status_code == 200, response.text
        return response.json()["token"]

    def guess(self, token, x):
        return self.http.post("/api/guesses", json={"x": x}, headers={"Authorization": f"Bearer {token}"})

    def guess_xy(self, token, x, y):
        return self.http.post("/api/guesses", json={"x": x, "y": y}, headers={"Authorization": f"Bearer {token}"})

    def state(self, token):
        response = self.http.get("/api/state", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def make_game(tmp_path, clock):
    """``make_game(delay=10, levels=small_levels(), db="game.db")`` -> GameClient."""
    made = []

    def make(delay=10.0, levels="small", db="game.db"):
        levels = small_levels() if levels == "small" else levels
        client = GameClient(create_app(tmp_path / db, delay=delay, levels=levels, clock=clock))
        made.append(client)
        return client

    yield make
    for client in made:
        client.http.close()
        client.app.state.game.store.close()


@pytest.fixture
def game(make_game):
    """A game of the two small levels with a 10 s delay on a fake clock."""
    return make_game()


def make_join_codes(http, admin_token, teams):
    """Make the join codes of teams 1..teams over the API; ``{team: code}``."""
    response = http.post("/api/admin/codes", json={"teams": teams}, headers={"X-Admin-Token": admin_token})
    assert response.status_code == 200, response.text
    return {entry["team"]: entry["code"] for entry in response.json()["codes"]}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def server_in_thread(app):
    """Serve ``app`` with uvicorn in a thread of this process; yields the base URL."""
    import uvicorn

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the game server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


class CliServer:
    """``learnet game`` run as a child process on 127.0.0.1 (what a teacher starts)."""

    def __init__(self, db, *extra):
        self.db = db
        self.extra = extra
        self.process = None

    def start(self, timeout=90):
        self.port = free_port()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "learnet",
                "game",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--db",
                str(self.db),
                *self.extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.lines = []
        deadline = time.monotonic() + timeout
        while not any("Press Ctrl+C" in line for line in self.lines):
            line = self.process.stdout.readline()
            if not line or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("learnet game did not start:\n" + "".join(self.lines))
            self.lines.append(line)
        # Drain the rest of the output in the background so the pipe never fills.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.port}"
        # The log shows the token masked; the full teacher's link is in a private file.
        with open(f"{self.db}.teacher-link", encoding="utf-8") as link:
            self.admin_token = re.search(r"token=(\S+)", link.read()).group(1)
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.kill()
                raise RuntimeError("learnet game did not open its port:\n" + "".join(self.lines))
            time.sleep(0.05)
        return self

    def kill(self):
        """Kill the server at once (SIGKILL): no chance to tidy up."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture
def join_codes():
    """``join_codes(http, admin_token, teams)`` -> ``{team: code}``, made over the API."""
    return make_join_codes


@pytest.fixture
def serve_app():
    """``with serve_app(app) as base_url:`` serves an app in a thread, then stops it."""
    return server_in_thread


@pytest.fixture
def cli_server():
    """``cli_server(db, *args)`` -> a started CliServer; every one is stopped afterwards."""
    started = []

    def start(db, *extra):
        server = CliServer(db, *extra)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()
