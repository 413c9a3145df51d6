"""The classroom gradient-descent game.

Teams guess ``x`` on a hidden function and get back ``f(x)`` and the tangent there;
the lowest ``f(x)`` wins. Then the teacher reveals that the slope was pointing the
way all along, and lets learnet's own optimizers play the same function.

Start it with ``learnet game`` (needs the ``game`` extra: ``pip install "learnet[game]"``).
The pieces:

* :mod:`~learnet.game.expressions`: safe formulas, evaluated and differentiated by learnet
* :mod:`~learnet.game.levels`: the built-in levels and custom levels from a JSON file
* :mod:`~learnet.game.store`: the game's state in SQLite (survives a restart)
* :mod:`~learnet.game.rules`: the referee: every rule, checked on the server
* :mod:`~learnet.game.computer`: "Let the computer play" with learnet's optimizers
* :mod:`~learnet.game.server`: the FastAPI app and the pages in ``static/``
* :mod:`~learnet.game.cli`: the ``learnet game`` command
"""

from learnet.game.expressions import Expression, ExpressionError
from learnet.game.levels import BUILTIN_LEVELS, Level, LevelError, load_levels

__all__ = ["BUILTIN_LEVELS", "Expression", "ExpressionError", "Level", "LevelError", "create_app", "load_levels"]


def create_app(db_path, delay=10.0, levels=None, clock=None, admin_token=None):
    """Build the game's web app; see :func:`learnet.game.server.create_app`.

    Imported on first use, so ``import learnet.game`` works without the web extra.
    """
    import time

    from learnet.game.server import create_app as _create_app

    return _create_app(db_path, delay=delay, levels=levels, clock=clock or time.time, admin_token=admin_token)
