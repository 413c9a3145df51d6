"""``learnet game``: start the classroom gradient-descent game.

Examples
--------
::

    learnet game                          # port 12721, 10 s delay, built-in levels
    learnet game --delay 5 --db class-7b.db
    learnet game --levels my-levels.json --db new-game.db
    LEARNET_GAME_ADMIN_TOKEN=my-own-secret-123 learnet game

The teacher's link holds a secret token. It is printed in full only to a terminal;
where the output goes to a file or a shared log, only its first characters are shown
and the full link is written to ``<db>.teacher-link`` (readable by its owner only).
"""

import os
import socket
import sys

ADMIN_TOKEN_ENV = "LEARNET_GAME_ADMIN_TOKEN"

DEFAULT_PORT = 12721
DEFAULT_DB = "learnet-game.db"


def add_parser(subparsers):
    """Add the ``game`` subcommand to an ``argparse`` subparsers object."""
    parser = subparsers.add_parser(
        "game",
        help="start the classroom gradient-descent game (web server)",
        description="Start the classroom gradient-descent game. Teams open the printed URL; "
        "the teacher opens the admin URL. The game is saved in the database file "
        "and resumes when started again with the same --db.",
    )
    parser.add_argument(
        "--host", default="0.0.0.0", help="address to listen on (default: 0.0.0.0, every network of this computer)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    parser.add_argument(
        "--delay", type=float, default=10.0, help="seconds before a guess's result is shown (default: 10)"
    )
    parser.add_argument(
        "--levels", metavar="FILE", help="JSON file of custom levels (default: the four built-in levels)"
    )
    parser.add_argument(
        "--db", metavar="FILE", default=DEFAULT_DB, help=f"SQLite file holding the game (default: {DEFAULT_DB})"
    )
    parser.add_argument(
        "--admin-token",
        metavar="TOKEN",
        default=None,
        help=f"the teacher's secret token (default: ${ADMIN_TOKEN_ENV}, else the one saved in the "
        "game, made at random for a new game)",
    )
    parser.set_defaults(handler=run)
    return parser


def _addresses(host):
    """The addresses teams can type: the host itself, or this computer's addresses."""
    if host not in ("0.0.0.0", "::", ""):
        return [host]
    found = []
    try:
        for address in socket.gethostbyname_ex(socket.gethostname())[2]:
            if not address.startswith("127.") and address not in found:
                found.append(address)
    except OSError:
        pass
    return found or ["127.0.0.1"]


def mask(token):
    """A token as shown in shared logs: its first four characters only."""
    return token[:4] + "…" if len(token) > 4 else "…"


def _write_private(path, text):
    """Write ``text`` to ``path``, readable and writable by its owner only."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, 0o600)  # an older file may have been more open


def run(args):
    """Start the game server; returns the exit status."""
    import math

    try:
        import uvicorn

        from learnet.game.server import create_app
    except ImportError as error:
        print(
            f'learnet game needs the web server extra ({error.name} is missing): pip install "learnet[game]"',
            file=sys.stderr,
        )
        return 2
    from learnet.game.levels import LevelError, load_levels

    if not (math.isfinite(args.delay) and args.delay >= 0):
        print(f"error: --delay must be a number of seconds >= 0, got {args.delay}", file=sys.stderr)
        return 2
    if not 0 < args.port < 65536:
        print(f"error: --port must be from 1 to 65535, got {args.port}", file=sys.stderr)
        return 2
    try:
        levels = load_levels(args.levels) if args.levels else None
        admin_token = args.admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None
        app = create_app(args.db, delay=args.delay, levels=levels, admin_token=admin_token)
    except (LevelError, RuntimeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    game = app.state.game
    bases = [f"http://{f'[{host}]' if ':' in host else host}:{args.port}" for host in _addresses(args.host)]
    print(f"learnet gradient-descent game: {len(game.levels)} levels, {args.delay:g} s delay, saved in {args.db}")
    for base in bases:
        print(f"  Teams:   {base}/")
    link = f"{bases[0]}/admin?token={app.state.admin_token}"
    link_file = f"{args.db}.teacher-link"
    _write_private(link_file, link + "\n")
    if sys.stdout.isatty():
        print(f"  Teacher: {link}   (keep this link secret)")
    else:
        print(f"  Teacher: {bases[0]}/admin?token={mask(app.state.admin_token)}   (the full link is in {link_file})")
    print(f"  Projector: {bases[0]}/projector (opened from the teacher's page)")
    if args.host in ("0.0.0.0", "::", "") and bases[0].startswith("http://127."):
        print("  (teams on other computers replace 127.0.0.1 with this computer's network address)")
    print("Press Ctrl+C to stop; start again with the same --db to resume.", flush=True)
    # Open event streams end by themselves within a minute; Ctrl+C need not wait for them.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", timeout_graceful_shutdown=3)
    return 0
