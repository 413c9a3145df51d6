"""Load test: 50 teams guessing at once (delay 0) on a real server on 127.0.0.1.

Bounded in count (50 teams x 12 guesses, each followed by a state read, as the page
does) and in time (an overall deadline); it stops by itself. It asserts only
correctness: every guess is recorded exactly once and returned in order. The
latency and throughput it measures are printed (run with ``-s``) and written to
``test-artifacts/game/load.txt``, never asserted.
"""

import asyncio
import json
import pathlib
import statistics
import time

import httpx

TEAMS = 50
GUESSES = 12
DEADLINE_S = 180  # a bound against a hang, far above a normal run; never a timing check
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "game"


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def xs_for(team):
    """The guesses of one team: distinct per team and per guess, to catch any mix-up."""
    return [round(-9.5 + 0.9 * n + team / 1000, 6) for n in range(GUESSES)]


async def play_team(http, team, code, password, latencies):
    async def timed(method, url, **kwargs):
        start = time.perf_counter()
        response = await http.request(method, url, **kwargs)
        latencies.append(time.perf_counter() - start)
        return response

    response = await timed("POST", "/api/login", json={"code": code, "password": password})
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    for number, x in enumerate(xs_for(team), start=1):
        response = await timed("POST", "/api/guesses", json={"x": x}, headers=headers)
        assert response.status_code == 201, response.text
        assert response.json()["guess"]["number"] == number
        response = await timed("GET", "/api/state", headers=headers)
        assert response.status_code == 200, response.text
    return headers


async def load(base, codes, password):
    latencies = []
    limits = httpx.Limits(max_connections=TEAMS + 5, max_keepalive_connections=TEAMS + 5)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        headers = await asyncio.wait_for(
            asyncio.gather(*(play_team(http, team, codes[team], password, latencies) for team in range(1, TEAMS + 1))),
            timeout=DEADLINE_S,
        )
        elapsed = time.perf_counter() - started
        states = await asyncio.gather(*(http.get("/api/state", headers=h) for h in headers))
    return latencies, elapsed, [state.json() for state in states]


def test_fifty_teams_guessing_at_once(tmp_path, cli_server, join_codes):
    levels = tmp_path / "levels.json"
    levels.write_text(
        json.dumps(
            [
                {
                    "expression": "(x - 1)**2 + sin(3*x)",
                    "x_min": -10,
                    "x_max": 10,
                    "budget": GUESSES,
                    "password": "loadtest",
                }
            ]
        ),
        encoding="utf-8",
    )
    server = cli_server(tmp_path / "load.db", "--delay", "0", "--levels", str(levels))
    with httpx.Client(base_url=server.base) as http:
        assert http.post("/api/admin/levels/1/open", headers={"X-Admin-Token": server.admin_token}).status_code == 200
        codes = join_codes(http, server.admin_token, TEAMS)

    latencies, elapsed, states = asyncio.run(load(server.base, codes, "loadtest"))

    # Every guess recorded exactly once, and returned in the order it was made.
    for team, state in enumerate(states, start=1):
        assert state["team"] == team
        assert [g["number"] for g in state["guesses"]] == list(range(1, GUESSES + 1))
        assert [g["x"] for g in state["guesses"]] == xs_for(team)
        assert state["guesses_left"] == 0
    with httpx.Client(base_url=server.base) as http:
        overview = http.get("/api/admin/levels", headers={"X-Admin-Token": server.admin_token}).json()
    assert overview["levels"][0]["guesses"] == TEAMS * GUESSES
    assert overview["levels"][0]["teams"] == TEAMS

    requests = len(latencies)
    report = (
        f"load test: {TEAMS} teams x {GUESSES} guesses (+ a state read after each), delay 0, "
        f"127.0.0.1\n  {requests} requests in {elapsed:.2f} s = {requests / elapsed:.0f} requests/s\n"
        f"  latency p50 {1000 * statistics.median(latencies):.1f} ms, "
        f"p99 {1000 * percentile(latencies, 0.99):.1f} ms, max {1000 * max(latencies):.1f} ms\n"
    )
    print("\n" + report)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load.txt").write_text(report, encoding="utf-8")
