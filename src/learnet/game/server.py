"""The game's web server: a FastAPI app over :class:`learnet.game.rules.Game`.

Pages
-----
``/``        the team page (log in, guess, see the plot)
``/admin``   the teacher's page (``/admin?token=...``, the link printed at start)

Team API (``Authorization: Bearer <token from /api/login>``)
-------------------------------------------------------------
``POST /api/login``     ``{"code": "K7MQ-2PXD", "password": "..."}`` -> ``{"token", "team", "level"}``
``POST /api/logout``    ends the login
``GET  /api/state``     the team's level, guesses, best, guesses left (and all, once revealed)
``POST /api/guesses``   ``{"x": 1.5}`` (``{"x": 1.5, "y": -2}`` on a 2-D level) -> the pending guess;
                        its result comes after the delay
``GET  /api/events?token=...``  server-sent events: the level's status whenever it changes;
                        the stream ends with the reveal (the page then stops asking)

Teacher API (``X-Admin-Token: <token>``)
----------------------------------------
``GET  /api/admin/codes``, ``POST`` ``{"teams": 30}``  the teams' join codes (made once, kept)
``POST /api/admin/codes/sheet-key``               a key that opens the sheet for 10 minutes
``GET  /api/admin/codes/sheet?key=...``           the codes as a printable page of QR codes
``GET  /api/admin/levels``                        every level, with password and status
``GET  /api/admin/levels/{id}``                   progress of every team, scoreboard, curve
``POST /api/admin/levels/{id}/open|close|reveal``
``POST /api/admin/levels/{id}/settings``          ``{"max_teams": 20}`` (``null``: no cap)
``POST /api/admin/levels/{id}/teams/{n}/kick``    take a team out of the level
``GET  /api/admin/levels/{id}/reveal``            what the projector shows after the reveal
``GET  /api/admin/levels/{id}/scoreboard.csv``    and ``guesses.csv``
``POST /api/admin/levels/{id}/computer-play``     ``{"start", "steps", "learning_rates"}``

A refused request answers a 4xx status with
``{"error": {"code": ..., "message": ..., "params": {...}}}``; a body over
:data:`MAX_BODY` bytes is refused before it is read.
"""

import asyncio
import html
import json
import time
from importlib import resources
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from learnet.game.rules import Game, GameError
from learnet.game.store import Store

#: The largest request body accepted, in bytes (a guess is a few dozen).
MAX_BODY = 16_384

#: How long one event stream lasts before the browser reconnects, and how often it looks.
EVENTS_SECONDS = 60.0
EVENTS_POLL_SECONDS = 0.5
EVENTS_LOGIN_CHECK_SECONDS = 5.0

STATIC_DIR = str(resources.files("learnet.game") / "static")

_PAGE_HEADERS = {
    # Everything comes from this server: no CDN, no inline script.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


# The sheet is one self-contained page: its QR codes are inline SVG, its style inline.
_SHEET_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def codes_sheet_html(codes, base_url):
    """A printable page: one card per team with its number, join code and a QR code of
    the join link (made with ``segno``)."""
    import segno

    cards = []
    for entry in codes:
        link = f"{base_url}/?code={entry['code']}"
        qr = segno.make(link, error="m").svg_data_uri(scale=4, border=2)
        cards.append(
            f'<div class="card"><div class="team">隊伍 Team {entry["team"]}</div>'
            f'<img alt="QR {html.escape(entry["code"])}" src="{qr}">'
            f'<div class="code">{html.escape(entry["code"])}</div>'
            f'<div class="link">{html.escape(base_url)}/</div></div>'
        )
    style = (
        "body{font-family:sans-serif;margin:1cm}h1{font-size:16pt}.cards{display:flex;flex-wrap:wrap;gap:4mm}"
        ".card{border:1px dashed #888;padding:3mm;width:55mm;text-align:center;break-inside:avoid}"
        ".team{font-size:14pt;font-weight:bold}.code{font:bold 16pt monospace;letter-spacing:1px}"
        ".link{font-size:8pt;color:#444}img{width:40mm;height:40mm}"
    )
    return (
        f'<!DOCTYPE html><html lang="zh-Hant"><head><meta charset="utf-8"><title>Join codes</title>'
        f"<style>{style}</style></head><body><h1>梯度下降遊戲 · 加入代碼 Join codes</h1>"
        f"<p>掃描 QR code 或輸入代碼，再輸入黑板上的關卡密碼。Scan or type the code, then the level password "
        f'on the board.</p><div class="cards">{"".join(cards) or "<p>No codes yet.</p>"}</div></body></html>'
    )


class _FreshJSONResponse(JSONResponse):
    """A JSON answer that no browser or proxy keeps: the game changes every second.

    The busiest endpoints return one directly: their answers are plain dicts of
    numbers and text, which need none of FastAPI's conversion work.
    """

    def __init__(self, content, status_code=200, headers=None, **kwargs):
        super().__init__(content, status_code, {"Cache-Control": "no-store", **(headers or {})}, **kwargs)


class BodyLimit:
    """ASGI middleware: refuse (413) a request body over ``limit`` bytes before reading it.

    A declared ``Content-Length`` over the limit is refused at once; a body sent in
    chunks is counted as it arrives and cut off as soon as it passes the limit, so
    the server never holds more than ``limit`` bytes of it.
    """

    def __init__(self, app, limit):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._refuse(send)
        seen = 0
        too_large = False

        async def counted():
            nonlocal seen, too_large
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    too_large = True
                    raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)
        except Exception:
            if not too_large:
                raise
            await self._refuse(send)

    async def _refuse(self, send):
        body = json.dumps(
            {
                "error": {
                    "code": "too_large",
                    "message": f"The request is larger than {self.limit} bytes.",
                    "params": {"limit": self.limit},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _client(request):
    return request.client.host if request.client else "unknown"


async def _json_object(request):
    body = await request.body()
    if len(body) > MAX_BODY:
        raise GameError(413, "bad_request", f"The request is larger than {MAX_BODY} bytes.")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        # RecursionError: thousands of nested brackets; ValueError also covers an
        # integer of more digits than Python converts.
        raise GameError(400, "bad_request", "The request body must be a JSON object.") from None
    if not isinstance(data, dict):
        raise GameError(400, "bad_request", "The request body must be a JSON object.")
    return data


def _required(data, key):
    if key not in data or data[key] is None or data[key] == "":
        raise GameError(422, "missing_field", f"{key!r} is missing.", field=key)
    return data[key]


def _bearer(request):
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _level_id(text):
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise GameError(404, "unknown_level", f"There is no level {text!r}.", level=text)
    return int(text)


def create_app(db_path, delay=10.0, levels=None, clock=time.time, admin_token=None):
    """Build the game's web app over the game stored in ``db_path``.

    Parameters
    ----------
    db_path : str or os.PathLike
        The SQLite file holding the game; a new game is created if it is empty,
        otherwise the game in it is resumed.
    delay : float
        Seconds before a guess's result is shown (10 in class, 0 in tests).
    levels : list of learnet.game.levels.Level, optional
        The levels of a new game (default: the four built-in ones).
    clock : callable
        Returns the time in seconds; tests pass a fake clock.
    admin_token : str, optional
        The teacher's secret token (default: the one stored in the game, made at random
        when the game is created).

    Returns
    -------
    fastapi.FastAPI
        The app; ``app.state.game`` is the :class:`~learnet.game.rules.Game` and
        ``app.state.admin_token`` the teacher's secret token.
    """
    game = Game(Store(db_path), levels=levels, delay=delay, clock=clock, admin_token=admin_token)
    # The interactive API docs load their scripts from a CDN; a classroom may be offline.
    app = FastAPI(
        title="learnet gradient-descent game",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        default_response_class=_FreshJSONResponse,
    )
    app.state.game = game
    app.state.admin_token = game.admin_token
    app.add_middleware(BodyLimit, limit=MAX_BODY)

    @app.exception_handler(GameError)
    async def refused(request, error):
        headers = {}
        if error.status == 429:
            headers["Retry-After"] = str(error.params["retry_after"])
        return _FreshJSONResponse({"error": error.as_dict()}, status_code=error.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, error):
        return _FreshJSONResponse(
            {"error": {"code": "bad_request", "message": "The request is not valid.", "params": {}}}, status_code=422
        )

    def admin(request):
        game.check_admin(request.headers.get("x-admin-token"), _client(request))

    # -- pages ----------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    async def team_page():
        return FileResponse(f"{STATIC_DIR}/index.html", headers=_PAGE_HEADERS)

    @app.get("/admin", include_in_schema=False)
    async def admin_page():
        return FileResponse(f"{STATIC_DIR}/admin.html", headers=_PAGE_HEADERS)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon():
        return FileResponse(f"{STATIC_DIR}/favicon.svg", media_type="image/svg+xml")

    # -- teams ----------------------------------------------------------------------

    @app.get("/projector", include_in_schema=False)
    async def projector_page():
        return FileResponse(f"{STATIC_DIR}/projector.html", headers=_PAGE_HEADERS)

    @app.post("/api/login")
    async def login(request: Request):
        data = await _json_object(request)
        if "code" not in data and "team" in data:
            raise GameError(
                422, "code_needed", "Each team logs in with its own join code from the teacher.", field="code"
            )
        return _FreshJSONResponse(game.login(_required(data, "code"), data.get("password"), _client(request)))

    @app.post("/api/logout")
    async def logout(request: Request):
        return _FreshJSONResponse(game.logout(_bearer(request)))

    def stream_team(token: str = ""):
        # A dependency runs before the stream starts, so a stranger gets a plain 401.
        return game.require_team(token)

    @app.get("/api/events", response_class=EventSourceResponse)
    async def events(team: Annotated[dict, Depends(stream_team)], token: str = ""):
        level_id = team["level_id"]
        deadline = time.monotonic() + EVENTS_SECONDS
        checked = time.monotonic()
        last = None
        while True:
            # The status comes from memory, and the login is looked up every few
            # seconds only: a class of open streams costs the database next to nothing.
            status = game.status_of(level_id)
            alive = True
            if time.monotonic() - checked > EVENTS_LOGIN_CHECK_SECONDS or status != (last or {}).get("status"):
                alive = game.store.team_for_token(token) is not None
                checked = time.monotonic()
            now = {"status": status, "logged_in": alive}
            if now != last:
                yield ServerSentEvent(data=now, event="level")
                last = now
            if status == "revealed" or not alive or time.monotonic() > deadline:
                return  # the browser reconnects to a stream that ends early; after the reveal the page closes it
            await asyncio.sleep(EVENTS_POLL_SECONDS)

    @app.get("/api/state")
    async def state(request: Request):
        return _FreshJSONResponse(game.team_state(_bearer(request)))

    @app.post("/api/guesses", status_code=201)
    async def guess(request: Request):
        token = _bearer(request)
        game.require_team(token)  # a stranger learns nothing about what a body should hold
        data = await _json_object(request)
        return _FreshJSONResponse(game.submit_guess(token, _required(data, "x"), data.get("y")), status_code=201)

    # -- the teacher ------------------------------------------------------------------

    @app.get("/api/admin/levels")
    async def admin_levels(request: Request):
        admin(request)
        return game.admin_overview()

    @app.get("/api/admin/levels/{level_id}")
    async def admin_level(level_id: str, request: Request):
        admin(request)
        return game.admin_level(_level_id(level_id))

    @app.get("/api/admin/levels/{level_id}/scoreboard.csv")
    async def scoreboard_csv(level_id: str, request: Request):
        admin(request)
        level = _level_id(level_id)
        return Response(
            game.scoreboard_csv(level),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="level-{level}-scoreboard.csv"',
                "Cache-Control": "no-store",
            },
        )

    @app.get("/api/admin/levels/{level_id}/guesses.csv")
    async def guesses_csv(level_id: str, request: Request):
        admin(request)
        level = _level_id(level_id)
        return Response(
            game.guesses_csv(level),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="level-{level}-guesses.csv"',
                "Cache-Control": "no-store",
            },
        )

    @app.post("/api/admin/levels/{level_id}/computer-play")
    async def computer_play(level_id: str, request: Request):
        admin(request)
        data = await _json_object(request)
        level = _level_id(level_id)
        rates = data.get("learning_rates")
        if rates is not None and not isinstance(rates, dict):
            raise GameError(422, "bad_learning_rate", "learning_rates must be an object.", field="learning_rates")
        # Optimizer steps take a moment: run them off the event loop.
        return await run_in_threadpool(game.computer_play, level, data.get("start"), data.get("steps"), rates)

    @app.get("/api/admin/codes")
    async def codes(request: Request):
        admin(request)
        return game.codes()

    @app.post("/api/admin/codes")
    async def make_codes(request: Request):
        admin(request)
        data = await _json_object(request)
        return game.make_codes(_required(data, "teams"))

    @app.post("/api/admin/codes/sheet-key")
    async def codes_sheet_key(request: Request):
        admin(request)
        return game.sheet_key()

    @app.get("/api/admin/codes/sheet", include_in_schema=False)
    async def codes_sheet(request: Request, key: str = ""):
        game.check_sheet_key(key, _client(request))
        base = str(request.base_url).rstrip("/")
        return Response(
            codes_sheet_html(game.codes()["codes"], base),
            media_type="text/html; charset=utf-8",
            headers={**_PAGE_HEADERS, "Content-Security-Policy": _SHEET_CSP},
        )

    @app.post("/api/admin/levels/{level_id}/settings")
    async def settings(level_id: str, request: Request):
        admin(request)
        data = await _json_object(request)
        if "max_teams" not in data:
            raise GameError(422, "missing_field", "'max_teams' is missing.", field="max_teams")
        return game.set_max_teams(_level_id(level_id), data["max_teams"])

    @app.post("/api/admin/levels/{level_id}/teams/{number}/kick")
    async def kick(level_id: str, number: str, request: Request):
        admin(request)
        if not (number.isascii() and number.isdigit() and len(number) <= 3):
            raise GameError(404, "unknown_team", f"There is no team {number[:10]!r}.", team=number[:10])
        return game.kick(_level_id(level_id), int(number))

    @app.get("/api/admin/levels/{level_id}/reveal")
    async def reveal(level_id: str, request: Request):
        admin(request)
        level = _level_id(level_id)
        if game._level_row(level)["status"] != "revealed":
            raise GameError(409, "not_revealed", "The level is not revealed yet.")
        return await run_in_threadpool(game.reveal, level)

    @app.post("/api/admin/levels/{level_id}/{action}")
    async def change_level(level_id: str, action: str, request: Request):
        admin(request)
        return game.change_level(_level_id(level_id), action)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
