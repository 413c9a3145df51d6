"""The game in a real classroom: join codes, caps, kicks, expiry, hostile input, the
reveal computed once, the event stream, and the printable code sheet."""

import json
import os
import stat
import threading

import httpx
import pytest

from learnet.game import rules, server
from learnet.game.store import Store


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---- join codes ------------------------------------------------------------------------


def test_codes_are_made_once_per_team_and_kept(game):
    made = game.admin("POST", "/codes", json={"teams": 3}).json()["codes"]
    assert [entry["team"] for entry in made] == [1, 2, 3]
    assert len({entry["code"] for entry in made}) == 3
    assert all(rules.normalize_code(entry["code"]) == entry["code"] for entry in made)
    more = game.admin("POST", "/codes", json={"teams": 5}).json()["codes"]
    assert more[:3] == made  # a printed sheet stays valid
    assert game.admin("GET", "/codes").json()["codes"] == more


@pytest.mark.parametrize("teams", [0, 1000, 2.5, "30", None, True])
def test_a_bad_number_of_codes_is_refused(game, teams):
    response = game.admin("POST", "/codes", json={"teams": teams})
    assert response.status_code == 422
    assert game.admin("GET", "/codes").json()["codes"] == []


def test_codes_need_the_teacher(game):
    assert game.http.get("/api/admin/codes").status_code == 403
    assert game.http.post("/api/admin/codes", json={"teams": 3}).status_code == 403
    assert game.http.post("/api/admin/codes/sheet-key").status_code == 403
    assert game.http.get("/api/admin/codes/sheet?key=wrong-key").status_code == 403
    # The teacher's token is not a sheet key: a printed sheet never shows it.
    assert game.http.get(f"/api/admin/codes/sheet?key={game.app.state.admin_token}").status_code == 403


def test_knowing_the_password_is_not_enough_to_play_as_a_team(game):
    """The attack of the issue: one address made 900 teams with the password on the board."""
    game.open(1)
    game.admin("POST", "/codes", json={"teams": 30})
    answers = [
        game.http.post("/api/login", json={"code": f"{n:04d}-AAAA", "password": game.pw1}).status_code
        for n in range(40)
    ]
    assert set(answers) <= {401, 429} and 429 in answers
    assert game.app.state.game.store.counts(1) == (0, 0)


def test_the_code_sheet_has_a_qr_code_per_team_that_reads_back(game):
    segno = pytest.importorskip("segno")
    codes = game.admin("POST", "/codes", json={"teams": 4}).json()["codes"]
    key = game.admin("POST", "/codes/sheet-key").json()["key"]
    response = game.http.get(f"/api/admin/codes/sheet?key={key}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert page.count('src="data:image/svg+xml') == 4
    for entry in codes:
        assert entry["code"] in page
    # The QR code holds the join link: the same bytes segno makes for it.
    link = f"http://testserver/?code={codes[0]['code']}"
    assert segno.make(link, error="m").svg_data_uri(scale=4, border=2) in page


def test_a_sheet_key_expires(game, clock):
    key = game.admin("POST", "/codes/sheet-key").json()["key"]
    assert game.http.get(f"/api/admin/codes/sheet?key={key}").status_code == 200
    clock.advance(rules.SHEET_KEY_SECONDS + 1)
    assert game.http.get(f"/api/admin/codes/sheet?key={key}").status_code == 403


# ---- caps and kicks -------------------------------------------------------------------


def test_the_teacher_caps_the_teams_of_a_level(game):
    game.open(1)
    assert game.admin("POST", "/levels/1/settings", json={"max_teams": 2}).json()["level"]["max_teams"] == 2
    assert game.login(1, game.pw1).status_code == 200
    assert game.login(2, game.pw1).status_code == 200
    full = game.login(3, game.pw1)
    assert full.status_code == 409 and full.json()["error"]["code"] == "level_full"
    assert full.json()["error"]["params"]["max_teams"] == 2
    assert game.login(1, game.pw1).status_code == 200  # a team already in logs in again
    assert game.login(3, game.pw2).status_code == 200  # the cap is per level
    game.admin("POST", "/levels/1/settings", json={"max_teams": None})
    assert game.login(3, game.pw1).status_code == 200


@pytest.mark.parametrize("body", [{"max_teams": 0}, {"max_teams": -3}, {"max_teams": "5"}, {"max_teams": 1.5}, {}])
def test_a_bad_cap_is_refused_and_changes_nothing(game, body):
    response = game.admin("POST", "/levels/1/settings", json=body)
    assert response.status_code == 422
    assert game.admin("GET", "/levels/1").json()["level"]["max_teams"] is None


def test_a_kicked_team_is_out(game, clock):
    game.open(1)
    kicked, other = game.token(4, game.pw1), game.token(5, game.pw1)
    for token, x in ((kicked, 0.0), (other, 2.0)):
        assert game.guess(token, x).status_code == 201
    clock.advance(10)
    detail = game.admin("POST", "/levels/1/teams/4/kick").json()
    assert [team["team"] for team in detail["teams"]] == [5]
    assert [entry["team"] for entry in detail["scoreboard"]] == [5]
    assert game.http.get("/api/state", headers=bearer(kicked)).status_code == 401
    again = game.login(4, game.pw1)
    assert again.status_code == 403 and again.json()["error"]["code"] == "kicked"
    assert game.login(4, game.pw2).status_code == 200  # only out of that level
    assert game.state(other)["guesses_left"] == 2
    assert game.admin("GET", "/levels").json()["levels"][0]["teams"] == 1


@pytest.mark.parametrize(
    "path", ["/levels/1/teams/9/kick", "/levels/1/teams/abc/kick", "/levels/7/teams/1/kick", "/levels/1/teams/²/kick"]
)
def test_kicking_a_team_that_is_not_there_is_refused(game, path):
    game.token(1, game.pw1)
    response = game.admin("POST", path)
    assert response.status_code == 404
    assert game.admin("GET", "/levels").json()["levels"][0]["teams"] == 1


# ---- logins expire -------------------------------------------------------------------------


def test_a_login_expires_after_its_level_is_revealed(game, clock):
    game.open(1)
    token = game.token(1, game.pw1)
    game.admin("POST", "/levels/1/reveal")
    clock.advance(rules.AFTER_REVEAL_SECONDS - 1)
    assert game.state(token)["reveal"] is not None
    clock.advance(2)
    response = game.http.get("/api/state", headers=bearer(token))
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_logged_in"


def test_a_login_expires_after_a_school_day(game, clock):
    token = game.token(1, game.pw1)
    clock.advance(rules.SESSION_SECONDS + 1)
    assert game.http.get("/api/state", headers=bearer(token)).status_code == 401
    assert game.login(1, game.pw1).status_code == 200  # logging in again works


def test_logout_ends_the_login(game):
    token = game.token(1, game.pw1)
    assert game.http.post("/api/logout", headers=bearer(token)).status_code == 200
    assert game.http.get("/api/state", headers=bearer(token)).status_code == 401


# ---- hostile input -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 5000,
        b'{"a":' * 5000,
        b'{"code": ' + b"9" * 5000 + b"}",
        b"\xff\xfe{",
        b"null",
        b'"text"',
    ],
)
def test_hostile_login_bodies_get_a_4xx(game, body):
    response = game.http.post("/api/login", content=body, headers={"Content-Type": "application/json"})
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["message"]


@pytest.mark.parametrize(
    "x", ["9" * 400, int("9" * 400), "-" + "9" * 400, "1e400", "²", "١", "0x10", "1_000", [[[[1]]]], {"x": 1}]
)
def test_hostile_guesses_get_a_422_and_record_nothing(game, x):
    game.open(1)
    token = game.token(1, game.pw1)
    body = json.dumps({"x": x}).encode()
    response = game.http.post("/api/guesses", content=body, headers=bearer(token))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] in {"not_a_number", "not_finite"}
    assert game.state(token)["guesses"] == []


@pytest.mark.parametrize("code", ["²", "²" * 8, "ＡＢＣＤ－ＥＦＧＨ", "\x00" * 8, "A" * 10_000])
def test_odd_codes_are_a_refused_login(game, code):
    response = game.http.post("/api/login", json={"code": code, "password": game.pw1})
    assert response.status_code in (401, 413)


def test_a_large_body_is_refused_before_it_is_read(game):
    response = game.http.post("/api/login", content=b"x" * (server.MAX_BODY + 1))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_streamed_body_is_cut_off_at_the_limit(tmp_path, serve_app):
    """A body sent in chunks without a length is refused while it arrives, not after."""
    from conftest import small_levels

    app = server.create_app(tmp_path / "g.db", levels=small_levels())
    sent = []

    def chunks():
        for _ in range(2000):  # 128 MiB if it were all read
            sent.append(1)
            yield b"[" * 65536

    with serve_app(app) as base, httpx.Client(base_url=base, timeout=30) as http:
        response = http.post("/api/login", content=chunks())
    assert response.status_code == 413
    assert len(sent) < 500  # the server hung up long before the end


# ---- the database file ------------------------------------------------------------------


def test_the_database_is_readable_by_its_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        store = Store(tmp_path / "class.db")
        with store.transaction() as db:
            db.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        for name in ("class.db", "class.db-wal", "class.db-shm"):
            if (tmp_path / name).exists():
                assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
        store.close()
    finally:
        os.umask(old)


def test_a_version_1_game_is_upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE levels (id INTEGER PRIMARY KEY, definition TEXT NOT NULL, password TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL DEFAULT 'waiting', opened_at REAL, closed_at REAL, revealed_at REAL);
        CREATE TABLE teams (id INTEGER PRIMARY KEY, level_id INTEGER NOT NULL, number INTEGER NOT NULL,
            joined_at REAL NOT NULL, UNIQUE (level_id, number));
        CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, team_id INTEGER NOT NULL, created_at REAL NOT NULL);
        CREATE TABLE guesses (id INTEGER PRIMARY KEY, team_id INTEGER NOT NULL, seq INTEGER NOT NULL,
            x REAL NOT NULL, fx REAL NOT NULL, slope REAL NOT NULL, submitted_at REAL NOT NULL,
            ready_at REAL NOT NULL, UNIQUE (team_id, seq));
        INSERT INTO guesses (team_id, seq, x, fx, slope, submitted_at, ready_at) VALUES (1, 1, 0.5, 2, -1, 0, 0);
        INSERT INTO meta VALUES ('schema_version', '1');
        INSERT INTO levels (id, definition, password) VALUES (1, '{}', 'alpha1');
        INSERT INTO teams (level_id, number, joined_at) VALUES (1, 3, 0);
    """)
    old.commit()
    old.close()
    store = Store(path)
    assert store.get_meta("schema_version") == "2"
    assert [team["number"] for team in store.teams(1)] == [3]
    assert [(guess["x"], guess["y"]) for guess in store.guesses(1)] == [(0.5, None)]
    store.close()


# ---- the reveal, once ------------------------------------------------------------------------


def test_the_reveal_is_computed_once_per_level(game, clock, monkeypatch):
    game.open(1)
    tokens = [game.token(team, game.pw1) for team in (1, 2, 3)]
    for token, x in zip(tokens, (-1.0, 0.5, 2.0)):
        game.guess(token, x)
    game.admin("POST", "/levels/1/reveal")
    referee = game.app.state.game
    calls = []
    original = referee._paths
    monkeypatch.setattr(referee, "_paths", lambda *a, **k: calls.append(1) or original(*a, **k))
    first = game.state(tokens[0])["reveal"]
    computed = len(calls)
    assert computed >= 1
    for token in tokens * 5:
        assert game.state(token)["reveal"] == first
    assert len(calls) == computed  # the polls after the first read what was computed
    # Everything is shown at the reveal, even a result still held back a moment ago.
    assert [entry["team"] for entry in first["scoreboard"]] == [2, 3, 1]  # f = 2.25, 3, 6
    assert first["computer"]["par"] >= 2
    assert {run["optimizer"] for run in first["computer"]["runs"]} == {"gradient_descent", "momentum", "adam"}
    projector = game.admin("GET", "/levels/1/reveal").json()
    assert projector == first


def test_the_projector_reveal_waits_for_the_reveal(game):
    game.open(1)
    response = game.admin("GET", "/levels/1/reveal")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_revealed"
    assert game.http.get("/api/admin/levels/1/reveal").status_code == 403


def test_par_is_the_computer_s_best_count_of_guesses(game):
    game.open(1)
    game.admin("POST", "/levels/1/reveal")
    computer = game.admin("GET", "/levels/1/reveal").json()["computer"]
    steps = [run["par_steps"] for run in computer["runs"] if run["par_steps"] is not None]
    assert computer["par"] == min(steps) + 1
    for run in computer["runs"]:
        if run["par_steps"] is not None:
            assert run["path"][run["par_steps"]]["fx"] <= computer["target_fx"]
            assert all(point["fx"] > computer["target_fx"] for point in run["path"][: run["par_steps"]])


# ---- pushed updates ---------------------------------------------------------------------------


def read_events(lines):
    return [json.loads(line[5:]) for line in lines if line.startswith("data:")]


def test_the_event_stream_ends_with_the_reveal(game):
    game.open(1)
    token = game.token(1, game.pw1)
    game.admin("POST", "/levels/1/reveal")
    with game.http.stream("GET", f"/api/events?token={token}") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert read_events(response.iter_lines()) == [{"status": "revealed", "logged_in": True}]


def test_the_event_stream_needs_a_login(game):
    response = game.http.get("/api/events?token=nope")
    assert response.status_code == 401


def test_the_event_stream_pushes_the_reveal(tmp_path, serve_app, monkeypatch):
    from conftest import small_levels

    monkeypatch.setattr(server, "EVENTS_POLL_SECONDS", 0.05)
    app = server.create_app(tmp_path / "g.db", delay=0, levels=small_levels())
    referee = app.state.game
    referee.change_level(1, "open")
    code = referee.make_codes(1)["codes"][0]["code"]
    token = referee.login(code, "alpha1")["token"]
    events = []
    with (
        serve_app(app) as base,
        httpx.Client(base_url=base, timeout=30) as http,
        http.stream("GET", f"/api/events?token={token}") as response,
    ):
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                break
        threading.Timer(0.3, lambda: referee.change_level(1, "reveal")).start()
        events += read_events(lines)
    assert events == [{"status": "open", "logged_in": True}, {"status": "revealed", "logged_in": True}]
