"""The game's web server: a FastAPI app over :class:`learnet.game.rules.Game`.

Pages
-----
``/``        the team page (log in, guess, see the plot)
``/admin``   the teacher's page (``/admin?token=...``, the link printed at start)

Team API (``Authorization: Bearer <token from /api/login>``)
-------------------------------------------------------------
``POST /api/login``     ``{"team": 3, "password": "..."}`` -> ``{"token", "team", "level"}``
``GET  /api/state``     the team's level, guesses, best, guesses left (and all, once revealed)
``POST /api/guesses``   ``{"x": 1.5}`` -> the pending guess; its result comes after the delay

Teacher API (``X-Admin-Token: <token>``)
----------------------------------------
``GET  /api/admin/levels``                        every level, with password and status
``GET  /api/admin/levels/{id}``                   progress of every team, scoreboard, curve
``POST /api/admin/levels/{id}/open|close|reveal``
``GET  /api/admin/levels/{id}/scoreboard.csv``    and ``guesses.csv``
``POST /api/admin/levels/{id}/computer-play``     ``{"start", "steps", "learning_rates"}``

A refused request answers a 4xx status with
``{"error": {"code": ..., "message": ..., "params": {...}}}``.
"""
import json
import time
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from learnet.game.rules import Game, GameError
from learnet.game.store import Store

#: The largest request body accepted, in bytes (a guess is a few dozen).
MAX_BODY = 16_384

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


class _FreshJSONResponse(JSONResponse):
    """A JSON answer that no browser or proxy keeps: the game changes every second.

    The busiest endpoints return one directly: their answers are plain dicts of
    numbers and text, which need none of FastAPI's conversion work.
    """

    def __init__(self, content, status_code=200, headers=None, **kwargs):
        super().__init__(content, status_code, {"Cache-Control": "no-store", **(headers or {})}, **kwargs)


def _client(request):
    return request.client.host if request.client else "unknown"


async def _json_object(request):
    body = await request.body()
    if len(body) > MAX_BODY:
        raise GameError(413, "bad_request", f"The request is larger than {MAX_BODY} bytes.")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
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
    if not text.isdigit():
        raise GameError(404, "unknown_level", f"There is no level {text!r}.", level=text)
    return int(text)


def create_app(db_path, delay=10.0, levels=None, clock=time.time):
    """Build the game's web app over the game stored in ``db_path``.

    Parameters
    ----------
    db_path : str or os.PathLike
        The SQLite file holding the game; a new game is created if it is empty,
        otherwise the game in it is resumed.
    delay : float
        Seconds before a guess's result is shown (10 in class, 0 in tests).
    levels : list of learnet.game.levels.Level, optional
        The levels of a new game (default: the three built-in ones).
    clock : callable
        Returns the time in seconds; tests pass a fake clock.

    Returns
    -------
    fastapi.FastAPI
        The app; ``app.state.game`` is the :class:`~learnet.game.rules.Game` and
        ``app.state.admin_token`` the teacher's secret token.
    """
    game = Game(Store(db_path), levels=levels, delay=delay, clock=clock)
    # The interactive API docs load their scripts from a CDN; a classroom may be offline.
    app = FastAPI(title="learnet gradient-descent game", docs_url=None, redoc_url=None, openapi_url=None,
                  default_response_class=_FreshJSONResponse)
    app.state.game = game
    app.state.admin_token = game.admin_token

    @app.exception_handler(GameError)
    async def refused(request, error):
        headers = {}
        if error.status == 429:
            headers["Retry-After"] = str(error.params["retry_after"])
        return _FreshJSONResponse({"error": error.as_dict()}, status_code=error.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request, error):
        return _FreshJSONResponse({"error": {"code": "bad_request", "message": "The request is not valid.",
                                             "params": {}}}, status_code=422)

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

    @app.post("/api/login")
    async def login(request: Request):
        data = await _json_object(request)
        return _FreshJSONResponse(game.login(_required(data, "team"), data.get("password"), _client(request)))

    @app.get("/api/state")
    async def state(request: Request):
        return _FreshJSONResponse(game.team_state(_bearer(request)))

    @app.post("/api/guesses", status_code=201)
    async def guess(request: Request):
        token = _bearer(request)
        game.require_team(token)  # a stranger learns nothing about what a body should hold
        data = await _json_object(request)
        return _FreshJSONResponse(game.submit_guess(token, _required(data, "x")), status_code=201)

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
        return Response(game.scoreboard_csv(level), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="level-{level}-scoreboard.csv"', "Cache-Control": "no-store"})

    @app.get("/api/admin/levels/{level_id}/guesses.csv")
    async def guesses_csv(level_id: str, request: Request):
        admin(request)
        level = _level_id(level_id)
        return Response(game.guesses_csv(level), media_type="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="level-{level}-guesses.csv"', "Cache-Control": "no-store"})

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

    @app.post("/api/admin/levels/{level_id}/{action}")
    async def change_level(level_id: str, action: str, request: Request):
        admin(request)
        return game.change_level(_level_id(level_id), action)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
