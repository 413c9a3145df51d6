"""Classroom load on the game: many teams guessing at once on a real ``learnet game``.

Run by hand (never part of the tests)::

    python benchmarks/game_load.py                       # 200 teams x 30 guesses
    python benchmarks/game_load.py --kill-after 3000     # kill -9 the server after 3000 guesses, restart it
    python benchmarks/game_load.py --events              # each team also holds its event stream open

Each team logs in with its join code, then makes its guesses one after another, each
followed by the state read the team's page makes. The server runs as its own process
(``python -m learnet game``, delay 0) on 127.0.0.1, as in class. With ``--kill-after``
the server is killed with SIGKILL mid-load and started again on the same database;
a team whose request failed reads its state and carries on from what the server
recorded, as the page does.

At the end every team's guesses are checked: all there, each once, in order. The
latencies of all requests (login, guess, state) are printed: p50, p99, max, and the
requests per second. The numbers depend on the machine and on what else runs on it; the CPU time of the
server and of this load generator (which shares the machine) is printed too.
Needs ``aiohttp`` (a light client, so the generator takes less of the CPU from the
server it measures): ``pip install aiohttp``.
"""

import argparse
import asyncio
import json
import os
import pathlib
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import aiohttp
import httpx

LEVEL = {"expression": "(x - 1)**2 + sin(3*x)", "x_min": -10, "x_max": 10, "password": "loadtest"}


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def xs_for(team, guesses):
    """Distinct guesses per team and per guess, so a mix-up or a duplicate shows."""
    return [round(-9.5 + 19.0 * n / guesses + team / 10_000, 6) for n in range(guesses)]


class Server:
    def __init__(self, db, levels, port):
        self.db, self.levels, self.port = db, levels, port
        self.process = None

    def start(self):
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
                "--delay",
                "0",
                "--levels",
                str(self.levels),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=dict(os.environ, PYTHONUNBUFFERED="1"),
        )
        deadline = time.monotonic() + 90
        while "Press Ctrl+C" not in (line := self.process.stdout.readline()):
            if not line or time.monotonic() > deadline:
                raise RuntimeError("the game server did not start")
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            time.sleep(0.05)
        link = pathlib.Path(f"{self.db}.teacher-link").read_text(encoding="utf-8")
        self.admin_token = re.search(r"token=(\S+)", link).group(1)
        return self

    def cpu_seconds(self):
        """CPU time the server process used so far (Linux), or None."""
        try:
            fields = pathlib.Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return None

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


class Reply:
    """What the load needs of an answer: its status and its JSON."""

    def __init__(self, status, text):
        self.status_code, self.text = status, text

    def json(self):
        return json.loads(self.text)


async def listen(http, base, token, done, progress):
    """Hold the level's event stream open, as each team's page does, until the load ends."""
    while not done.is_set():
        try:
            async with http.get(f"{base}/api/events", params={"token": token}) as response:
                async for line in response.content:
                    progress["events"] += line.startswith(b"data:")
                    if done.is_set():
                        return
        except (aiohttp.ClientError, asyncio.TimeoutError):
            pass
        await asyncio.sleep(1.0)  # the browser waits a moment before it reconnects


async def play_team(http, base, team, code, guesses, latencies, progress, streams=None):
    async def request(method, path, **kwargs):
        start = time.perf_counter()
        try:
            async with http.request(method, base + path, **kwargs) as response:
                reply = Reply(response.status, await response.text())
        except (aiohttp.ClientError, asyncio.TimeoutError):
            progress["errors"] += 1
            await asyncio.sleep(0.2)  # the server is down (killed): try again, as the page does
            return None
        latencies.append(time.perf_counter() - start)
        return reply

    response = None
    while response is None:
        response = await request("POST", "/api/login", json={"code": code, "password": LEVEL["password"]})
    assert response.status_code == 200, response.text
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    if streams is not None:
        streams.append(asyncio.create_task(listen(http, base, response.json()["token"], streams.done, progress)))
    xs = xs_for(team, guesses)
    made = 0
    while made < guesses:
        response = await request("POST", "/api/guesses", json={"x": xs[made]}, headers=headers)
        if response is not None and response.status_code != 201:
            raise AssertionError(f"team {team}: {response.status_code} {response.text}")
        state = None
        while state is None:  # never guess again before knowing whether the last guess landed
            state = await request("GET", "/api/state", headers=headers)
        assert state.status_code == 200, state.text
        recorded = len(state.json()["guesses"])
        # After a failed request the server's record says whether the guess landed.
        if recorded not in (made, made + 1):
            raise AssertionError(f"team {team}: {recorded} guesses recorded after {made} made")
        made = recorded
        progress["guesses"] += response is not None
    return headers


class Streams(list):
    """The teams' event-stream tasks, and the signal that ends them."""

    def __init__(self):
        super().__init__()
        self.done = asyncio.Event()


async def run_load(base, codes, guesses, server, kill_after, events=False):
    latencies = []
    progress = {"guesses": 0, "errors": 0, "events": 0}
    streams = Streams() if events else None
    connector = aiohttp.TCPConnector(limit=2 * len(codes) + 10)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=None, sock_read=120)
    ) as http:

        async def killer():
            while progress["guesses"] < kill_after:
                await asyncio.sleep(0.05)
            server.kill()
            print(f"  killed the server (SIGKILL) after {progress['guesses']} guesses; starting it again", flush=True)
            await asyncio.to_thread(server.start)

        started = time.perf_counter()
        tasks = [
            play_team(http, base, team, code, guesses, latencies, progress, streams) for team, code in codes.items()
        ]
        if kill_after:
            tasks.append(killer())
        results = await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
        if streams is not None:
            streams.done.set()
            for task in streams:
                task.cancel()
            await asyncio.gather(*streams, return_exceptions=True)
    return latencies, elapsed, results[: len(codes)], progress


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--guesses", type=int, default=30)
    parser.add_argument(
        "--events", action="store_true", help="each team also holds the level's event stream open, as its page does"
    )
    parser.add_argument(
        "--kill-after",
        type=int,
        default=0,
        metavar="N",
        help="kill -9 the server after N guesses in all, then start it again (default: never)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as folder:
        folder = pathlib.Path(folder)
        levels = folder / "levels.json"
        levels.write_text(json.dumps([{**LEVEL, "budget": args.guesses}]), encoding="utf-8")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = Server(folder / "load.db", levels, port).start()
        base = f"http://127.0.0.1:{port}"
        try:
            admin = {"X-Admin-Token": server.admin_token}
            with httpx.Client(base_url=base, timeout=60) as http:
                assert http.post("/api/admin/levels/1/open", headers=admin).status_code == 200
                made = http.post("/api/admin/codes", json={"teams": args.teams}, headers=admin).json()["codes"]
            codes = {entry["team"]: entry["code"] for entry in made}
            server_cpu, client_cpu = server.cpu_seconds(), sum(os.times()[:2])
            latencies, elapsed, headers, progress = asyncio.run(
                run_load(base, codes, args.guesses, server, args.kill_after, args.events)
            )
            if server_cpu is not None and not args.kill_after:
                server_cpu = server.cpu_seconds() - server_cpu
            else:
                server_cpu = server.cpu_seconds()
            client_cpu = sum(os.times()[:2]) - client_cpu
            with httpx.Client(base_url=base, timeout=60) as http:
                states = [http.get("/api/state", headers=h).json() for h in headers]
            for team, state in zip(codes, states):
                assert [g["number"] for g in state["guesses"]] == list(range(1, args.guesses + 1)), team
                assert [g["x"] for g in state["guesses"]] == xs_for(team, args.guesses), team
            with httpx.Client(base_url=base, timeout=60) as http:
                overview = http.get("/api/admin/levels", headers={"X-Admin-Token": server.admin_token}).json()
            assert overview["levels"][0]["guesses"] == args.teams * args.guesses
        finally:
            server.stop()

    print(
        f"game load: {args.teams} teams x {args.guesses} guesses, each followed by a state read; delay 0; "
        f"127.0.0.1; {os.cpu_count()} CPUs"
        + (f"; server killed (SIGKILL) and restarted after {args.kill_after} guesses" if args.kill_after else "")
        + (f"; every team holding its event stream open ({progress['events']} events received)" if args.events else "")
    )
    print(f"  every guess recorded once and in order: {args.teams * args.guesses} guesses checked")
    print(
        f"  {len(latencies)} requests in {elapsed:.1f} s = {len(latencies) / elapsed:.0f} requests/s"
        f" ({progress['errors']} failed while the server was down, retried)"
    )
    print(
        f"  latency p50 {1000 * statistics.median(latencies):.0f} ms, p99 {1000 * percentile(latencies, 0.99):.0f} ms,"
        f" max {1000 * max(latencies):.0f} ms"
    )
    if server_cpu is not None:
        print(
            f"  CPU time: server {server_cpu:.1f} s ({1000 * server_cpu / len(latencies):.2f} ms a request"
            + (", since its restart" if args.kill_after else "")
            + f"), this load generator {client_cpu:.1f} s"
        )


if __name__ == "__main__":
    main()
