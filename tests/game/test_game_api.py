"""Every rule of the game, checked through the HTTP API with a fake clock."""

import csv
import io
import threading

import httpx
import pytest

from learnet.game.levels import Level


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


# ---- logging in --------------------------------------------------------------------


def test_login_with_a_level_password_joins_that_level(game):
    first = game.login(3, game.pw1).json()
    second = game.login(3, game.pw2).json()
    assert first["level"]["id"] == 1 and second["level"]["id"] == 2
    assert first["team"] == 3 and first["token"] != second["token"]
    assert game.state(first["token"])["level"]["id"] == 1
    assert game.state(second["token"])["level"]["id"] == 2


def test_password_ignores_case_and_spaces_and_code_ignores_case_dashes_and_width(game):
    code = game.code(12)
    typed = "  " + code.lower().replace("-", " ") + " "
    response = game.http.post("/api/login", json={"code": typed, "password": f"  {game.pw1.upper()} "})
    assert response.status_code == 200
    assert response.json()["team"] == 12
    full_width = "".join(chr(ord(c) + 0xFEE0) if c != "-" else c for c in code)  # as a Chinese IME types it
    assert game.http.post("/api/login", json={"code": full_width, "password": game.pw1}).status_code == 200


def test_wrong_login_does_not_say_which_part_was_wrong(game):
    token = game.token(4, game.pw1)  # team 4 exists on level 1
    code = game.code(4)
    wrong_password = game.http.post("/api/login", json={"code": code, "password": "nope-nope"})
    wrong_code = game.http.post("/api/login", json={"code": "ABCD-EFGH", "password": game.pw1})
    not_a_code = game.http.post("/api/login", json={"code": "12", "password": game.pw1})
    almost_right = game.login(4, game.pw1 + "x")
    responses = (wrong_password, wrong_code, not_a_code, almost_right)
    assert {r.status_code for r in responses} == {401}
    assert len({r.text for r in responses}) == 1
    assert wrong_code.json()["error"]["code"] == "login_refused"
    assert game.state(token)["team"] == 4  # a failed login does not touch the team


@pytest.mark.parametrize("code", [0, -1, 2.5, True, [1], {"a": 1}, "²", "x" * 41])
def test_a_code_that_is_not_text_is_a_refused_login(game, code):
    response = game.http.post("/api/login", json={"code": code, "password": game.pw1})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "login_refused"


@pytest.mark.parametrize("body", [{"team": 3, "password": "alpha1"}, {"password": "alpha1"}, {"code": ""}])
def test_a_login_needs_a_code(game, body):
    response = game.http.post("/api/login", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] in {"code_needed", "missing_field"}
    assert game.app.state.game.store.counts(1) == (0, 0)


def test_missing_password_is_a_refused_login(game):
    response = game.http.post("/api/login", json={"code": game.code(3)})
    assert response.status_code == 401


def test_failed_logins_are_throttled_per_code_then_allowed_again(game, clock):
    for _ in range(5):
        assert game.login(5, "wrong1").status_code == 401
    refused = game.login(5, "wrong1")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert game.login(5, game.pw1).status_code == 200  # the right code and password always get in
    assert game.login(6, "wrong1").status_code == 401  # another team's code is not blocked
    clock.advance(61)
    assert game.login(5, "wrong1").status_code == 401


def test_many_wrong_codes_from_one_place_are_throttled_but_right_codes_still_get_in(game):
    """A class shares one public address: a student trying codes must not lock it out."""
    codes = [
        game.http.post(
            "/api/login", json={"code": f"ABCD-EF{chr(65 + n % 20)}{n % 8 + 2}", "password": game.pw1}
        ).status_code
        for n in range(35)
    ]
    assert codes[:30] == [401] * 30
    assert set(codes[30:]) == {429}
    for team in range(1, 6):
        assert game.login(team, game.pw1).status_code == 200


# ---- who may guess ---------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}])
def test_guess_and_state_need_a_session(game, headers):
    game.open(1)
    assert game.http.post("/api/guesses", json={"x": 1}, headers=headers).status_code == 401
    response = game.http.get("/api/state", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_logged_in"


def test_no_guess_before_the_level_opens_or_after_it_closes(game, clock):
    token = game.token(1, game.pw1)
    waiting = game.guess(token, 1.0)
    assert waiting.status_code == 409 and waiting.json()["error"]["code"] == "level_not_open"
    game.open(1)
    assert game.guess(token, 1.0).status_code == 201
    clock.advance(10)
    assert game.admin("POST", "/levels/1/close").status_code == 200
    closed = game.guess(token, 2.0)
    assert closed.status_code == 409 and closed.json()["error"]["params"]["status"] == "closed"
    assert len(game.state(token)["guesses"]) == 1


# ---- the delay and the pending guess -------------------------------------------------------


def test_result_is_held_back_for_the_delay(game, clock):
    game.open(1)
    token = game.token(1, game.pw1)
    response = game.guess(token, 3.0)
    assert response.status_code == 201
    guess = response.json()["guess"]
    assert guess["pending"] and guess["seconds_left"] == 10
    assert "fx" not in guess and "slope" not in guess
    clock.advance(9.5)
    state = game.state(token)
    assert state["pending"]["number"] == 1 and state["best"] is None
    assert "fx" not in state["guesses"][0]
    assert state["pending"]["seconds_left"] == pytest.approx(0.5)
    clock.advance(0.5)
    state = game.state(token)
    assert state["pending"] is None
    assert state["guesses"][0]["fx"] == pytest.approx(6.0)  # (3 - 1)**2 + 2
    assert state["guesses"][0]["slope"] == pytest.approx(4.0)  # 2 * (3 - 1)


def test_a_guess_before_the_delay_ends_is_refused_and_not_recorded(game, clock):
    game.open(1)
    token = game.token(1, game.pw1)
    assert game.guess(token, 3.0).status_code == 201
    clock.advance(4)
    early = game.guess(token, 2.0)
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "guess_pending"
    assert early.json()["error"]["params"]["seconds_left"] == pytest.approx(6)
    assert [g["x"] for g in game.state(token)["guesses"]] == [3.0]
    clock.advance(6)
    assert game.guess(token, 2.0).status_code == 201


def test_the_pending_rule_holds_for_the_team_not_the_login(game, clock):
    game.open(1)
    laptop = game.token(8, game.pw1)
    phone = game.token(8, game.pw1)
    assert game.guess(laptop, 1.0).status_code == 201
    assert game.guess(phone, 2.0).json()["error"]["code"] == "guess_pending"
    assert len(game.state(phone)["guesses"]) == 1


def test_with_no_delay_results_come_at_once(make_game):
    game = make_game(delay=0)
    game.open(2)
    token = game.token(1, game.pw2)
    for x in (-1.0, 0.5, 1.0):
        guess = game.guess(token, x).json()["guess"]
        assert not guess["pending"]
        assert guess["fx"] == pytest.approx(x * x - x)
        assert guess["slope"] == pytest.approx(2 * x - 1)


def test_concurrent_guesses_of_one_team_record_exactly_one(make_game, serve_app):
    game = make_game(delay=10)
    game.open(1)
    token = game.token(2, game.pw1)
    with serve_app(game.app) as base:
        barrier = threading.Barrier(12)
        codes = []

        def shoot(x):
            with httpx.Client(base_url=base, timeout=20) as http:
                barrier.wait()
                codes.append(http.post("/api/guesses", json={"x": x}, headers=bearer(token)).status_code)

        threads = [threading.Thread(target=shoot, args=(x / 4,)) for x in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert sorted(codes) == [201] + [409] * 11
    assert len(game.state(token)["guesses"]) == 1


# ---- the budget ----------------------------------------------------------------------------


def test_budget_is_enforced(game, clock):
    game.open(1)
    token = game.token(1, game.pw1)
    for n, x in enumerate((0.0, 1.0, 2.0), start=1):
        response = game.guess(token, x)
        assert response.status_code == 201
        assert response.json()["guesses_left"] == 3 - n
        clock.advance(10)
    over = game.guess(token, 1.5)
    assert over.status_code == 409 and over.json()["error"]["code"] == "budget_used"
    state = game.state(token)
    assert len(state["guesses"]) == 3 and state["guesses_left"] == 0
    assert state["best"]["x"] == 1.0


# ---- bad x ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, code",
    [
        ({"x": "abc"}, "not_a_number"),
        ({"x": "1,5"}, "not_a_number"),
        ({"x": "nan"}, "not_a_number"),
        ({"x": "inf"}, "not_a_number"),
        ({"x": True}, "not_a_number"),
        ({"x": [1]}, "not_a_number"),
        ({"x": {"value": 1}}, "not_a_number"),
        ({"x": None}, "missing_field"),
        ({"x": ""}, "missing_field"),
        ({}, "missing_field"),
        ({"x": -5.000001}, "out_of_range"),
        ({"x": 5.000001}, "out_of_range"),
        ({"x": 1e308}, "out_of_range"),
    ],
)
def test_bad_x_is_refused_with_a_clear_message_and_nothing_recorded(game, body, code):
    game.open(1)
    token = game.token(1, game.pw1)
    response = game.http.post("/api/guesses", json=body, headers=bearer(token))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if code == "out_of_range":
        assert "-5" in error["message"] and "5" in error["message"]
        assert error["params"] == {"x_min": -5.0, "x_max": 5.0}
    assert game.state(token)["guesses"] == []


@pytest.mark.parametrize("raw", [b'{"x": NaN}', b'{"x": Infinity}', b'{"x": -Infinity}', b'{"x": 1e999}'])
def test_non_finite_json_numbers_are_refused(game, raw):
    game.open(1)
    token = game.token(1, game.pw1)
    response = game.http.post(
        "/api/guesses", content=raw, headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "not_finite"
    assert game.state(token)["guesses"] == []


@pytest.mark.parametrize("raw", [b"x=1", b"[1, 2]", b'"1"', b"{", b"\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_refused(game, raw):
    game.open(1)
    token = game.token(1, game.pw1)
    response = game.http.post("/api/guesses", content=raw, headers=bearer(token))
    assert response.status_code == 400
    assert game.state(token)["guesses"] == []


def test_range_ends_and_decimal_text_are_accepted(make_game):
    game = make_game(delay=0)
    game.open(1)
    first, second = game.token(1, game.pw1), game.token(2, game.pw1)  # 3 guesses each
    for token, xs in ((first, (-5, 5, "2.5")), (second, ("-1e-3", " 4 ", "+.5E1"))):
        for x in xs:
            assert game.guess(token, x).status_code == 201
    assert [g["x"] for g in game.state(first)["guesses"]] == [-5.0, 5.0, 2.5]
    assert [g["x"] for g in game.state(second)["guesses"]] == [-0.001, 4.0, 5.0]


def test_x_where_the_function_is_undefined_is_refused(make_game):
    game = make_game(
        delay=0, levels=[Level(expression="log(x) + x**2", x_min=-1, x_max=2, budget=5, password="logs42")]
    )
    game.open(1)
    token = game.token(1, "logs42")
    refused = game.guess(token, -0.5)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "undefined_here"
    assert game.guess(token, 0.0).status_code == 422  # log(0) = -inf
    assert game.guess(token, 0.5).status_code == 201
    assert len(game.state(token)["guesses"]) == 1


# ---- what a team may see ---------------------------------------------------------------------


def test_a_team_never_sees_the_formula_or_other_teams_before_the_reveal(make_game):
    game = make_game(delay=0)
    game.open(1)
    mine, theirs = game.token(1, game.pw1), game.token(2, game.pw1)
    game.guess(mine, 0.25)
    game.guess(theirs, -3.875)
    response = game.http.get("/api/state", headers=bearer(mine))
    text = response.text
    assert "-3.875" not in text and "x - 1" not in text and "expression" not in text
    state = response.json()
    assert state["reveal"] is None
    assert [g["x"] for g in state["guesses"]] == [0.25]


def test_after_the_reveal_everyone_sees_curve_formula_paths_and_scoreboard(make_game):
    game = make_game(delay=0)
    game.open(1)
    mine, theirs = game.token(1, game.pw1), game.token(2, game.pw1)
    game.guess(mine, 0.25)
    game.guess(theirs, -3.875)
    assert game.admin("POST", "/levels/1/reveal").status_code == 200
    reveal = game.state(mine)["reveal"]
    assert reveal["expression"] == "(x - 1)**2 + 2"
    assert reveal["curve"]["x"][0] == -5 and reveal["curve"]["x"][-1] == 5
    assert min(reveal["curve"]["y"]) == pytest.approx(2.0, abs=1e-3)
    assert {p["team"]: [g["x"] for g in p["guesses"]] for p in reveal["paths"]} == {1: [0.25], 2: [-3.875]}
    assert [e["team"] for e in reveal["scoreboard"]] == [1, 2]
    assert game.guess(mine, 1.0).json()["error"]["code"] == "level_not_open"


# ---- the teacher ---------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"X-Admin-Token": "wrong"}, {"X-Admin-Token": ""}])
def test_teacher_api_refuses_a_wrong_token(game, headers):
    for method, path in [
        ("GET", "/api/admin/levels"),
        ("GET", "/api/admin/levels/1"),
        ("POST", "/api/admin/levels/1/open"),
        ("GET", "/api/admin/levels/1/guesses.csv"),
        ("POST", "/api/admin/levels/1/computer-play"),
    ]:
        response = game.http.request(method, path, headers=headers)
        assert response.status_code == 403, path
        assert response.json()["error"]["code"] == "admin_refused"
    assert game.app.state.game.store.level(1)["status"] == "waiting"  # the open was not done


def test_a_team_token_is_not_a_teacher_token(game):
    token = game.token(1, game.pw1)
    response = game.http.get("/api/admin/levels", headers={"X-Admin-Token": token})
    assert response.status_code == 403


def test_wrong_teacher_tokens_are_throttled_but_never_lock_the_teacher_out(game, clock):
    for _ in range(10):
        assert game.http.get("/api/admin/levels", headers={"X-Admin-Token": "guess"}).status_code == 403
    refused = game.http.get("/api/admin/levels", headers={"X-Admin-Token": "guess"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    # Same address (the class behind one router), the right token: still in.
    assert game.admin("GET", "/levels").status_code == 200
    clock.advance(61)
    assert game.http.get("/api/admin/levels", headers={"X-Admin-Token": "guess"}).status_code == 403


def test_teacher_sees_passwords_and_every_team(game, clock):
    overview = game.admin("GET", "/levels").json()
    assert [level["password"] for level in overview["levels"]] == [game.pw1, game.pw2]
    assert overview["levels"][0]["name"] == "Bowl" and overview["levels"][1]["name"] is None
    game.open(1)
    a, b = game.token(1, game.pw1), game.token(2, game.pw1)
    game.guess(a, 0.0)
    clock.advance(10)
    game.guess(a, 2.0)
    game.guess(b, 1.0)
    detail = game.admin("GET", "/levels/1").json()
    progress = {team["team"]: team for team in detail["teams"]}
    assert progress[1]["guesses_used"] == 2 and progress[1]["pending"]
    assert progress[1]["best"]["x"] == 0.0  # the pending 2.0 has no result yet
    assert progress[2]["guesses_used"] == 1 and progress[2]["best"] is None
    assert detail["level"]["expression"] == "(x - 1)**2 + 2"


@pytest.mark.parametrize(
    "start, action, code",
    [
        ("waiting", "close", 409),
        ("waiting", "reveal", 409),
        ("open", "open", 409),
        ("revealed", "open", 409),
        ("revealed", "close", 409),
        ("revealed", "reveal", 409),
    ],
)
def test_level_changes_follow_the_life_of_a_level(game, start, action, code):
    if start != "waiting":
        game.open(1)
    if start == "revealed":
        game.admin("POST", "/levels/1/reveal")
    response = game.admin("POST", f"/levels/1/{action}")
    assert response.status_code == code
    assert response.json()["error"]["code"] == "bad_transition"


def test_a_closed_level_can_be_opened_again(game):
    game.open(1)
    game.admin("POST", "/levels/1/close")
    assert game.open(1)["level"]["status"] == "open"


def test_unknown_levels_and_actions_are_404(game):
    assert game.admin("GET", "/levels/9").status_code == 404
    assert game.admin("GET", "/levels/one").status_code == 404
    assert game.admin("POST", "/levels/1/explode").status_code == 404
    assert game.admin("GET", "/levels/9/scoreboard.csv").status_code == 404


# ---- the scoreboard and the export -------------------------------------------------------------


def play(game, team, xs, clock):
    token = game.token(team, game.pw1)
    for x in xs:
        assert game.guess(token, x).status_code == 201
        clock.advance(10)
    return token


def test_scoreboard_ranks_best_fx_then_fewer_guesses(game, clock):
    game.open(1)
    play(game, 1, [3.0, 1.0], clock)  # best 2.0 in 2 guesses
    play(game, 2, [1.0], clock)  # best 2.0 in 1 guess: first
    play(game, 3, [-1.0, 1.0], clock)  # same as team 1: shares its rank
    play(game, 4, [1.5, 1.25, 0.5], clock)  # best 2.0625
    game.token(5, game.pw1)  # logged in, never guessed: not ranked
    board = game.admin("GET", "/levels/1").json()["scoreboard"]
    assert [(e["rank"], e["team"], e["guesses"]) for e in board] == [(1, 2, 1), (2, 1, 2), (2, 3, 2), (4, 4, 3)]
    assert board[0]["best_fx"] == 2.0 and board[0]["best_x"] == 1.0
    assert board[3]["best_fx"] == pytest.approx(2.0625)


def test_a_pending_result_does_not_count_until_it_is_released(game, clock):
    game.open(1)
    play(game, 1, [2.0], clock)
    token = game.token(2, game.pw1)
    game.guess(token, 1.0)
    assert [e["team"] for e in game.admin("GET", "/levels/1").json()["scoreboard"]] == [1]
    clock.advance(10)
    assert [e["team"] for e in game.admin("GET", "/levels/1").json()["scoreboard"]] == [2, 1]


def test_results_export_as_csv(game, clock):
    game.open(1)
    play(game, 2, [3.0, 1.5], clock)
    play(game, 1, [-1.0], clock)
    response = game.admin("GET", "/levels/1/scoreboard.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["rank"], r["team"], float(r["best_fx"]), r["guesses"]) for r in rows] == [
        ("1", "2", 2.25, "2"),
        ("2", "1", 6.0, "1"),
    ]
    guesses = list(csv.DictReader(io.StringIO(game.admin("GET", "/levels/1/guesses.csv").text)))
    assert [(g["team"], g["guess"], float(g["x"]), float(g["fx"]), float(g["slope"])) for g in guesses] == [
        ("1", "1", -1.0, 6.0, -4.0),
        ("2", "1", 3.0, 6.0, 4.0),
        ("2", "2", 1.5, 2.25, 1.0),
    ]
    assert guesses[0]["submitted_at_utc"].endswith("+00:00")


# ---- the pages ------------------------------------------------------------------------------


def test_pages_and_their_files_are_served_without_any_outside_source(game):
    for path in ("/", "/admin"):
        response = game.http.get(path)
        assert response.status_code == 200
        assert "default-src 'self'" in response.headers["content-security-policy"]
        assert "http://" not in response.text and "https://" not in response.text
    for name in ("i18n.js", "common.js", "team.js", "admin.js", "style.css", "favicon.svg"):
        response = game.http.get(f"/static/{name}")
        assert response.status_code == 200, name
        assert "https://" not in response.text and "cdn" not in response.text.lower(), name
    assert game.http.get("/docs").status_code == 404  # FastAPI's docs would load a CDN


def test_both_languages_have_every_word():
    import pathlib
    import re

    source = (pathlib.Path(__file__).parents[2] / "src/learnet/game/static/i18n.js").read_text(encoding="utf-8")
    blocks = re.split(r'^  (?:"zh-Hant"|en): \{$', source, flags=re.M)[1:]
    keys = [set(re.findall(r"^    (\w+):", block, flags=re.M)) for block in blocks]
    assert len(keys) == 2 and keys[0] == keys[1] and len(keys[0]) > 50
    package = pathlib.Path(__file__).parents[2] / "src/learnet/game"
    used = set()
    for name in ("index.html", "admin.html", "common.js", "team.js", "admin.js"):
        text = (package / "static" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r'data-i18n="(\w+)"', text)) | set(re.findall(r'\bt\("(\w+)"[,)]', text))
    # Keys the pages build from a prefix and a value the server sends.
    from learnet.game.levels import DEFAULT_LEARNING_RATES
    from learnet.game.rules import STATUSES

    used |= {f"status_{s}" for s in STATUSES} | {f"status_word_{s}" for s in STATUSES}
    used |= {f"opt_{name}" for name in DEFAULT_LEARNING_RATES}
    codes = set()
    for name in ("rules.py", "server.py"):
        codes |= set(re.findall(r'GameError\(\s*\d+,\s*"(\w+)"', (package / name).read_text(encoding="utf-8")))
    used |= {f"err_{code}" for code in codes}
    assert len(codes) > 12
    assert used <= keys[0], used - keys[0]
