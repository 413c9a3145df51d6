"""The ``learnet`` command: ``learnet <subcommand> [options]``.

Each subcommand lives in its own module, which adds its parser with
``add_parser(subparsers)`` and sets ``handler``: a function of the parsed arguments
that returns the exit status.

Examples
--------
::

    learnet game --port 12721
    python -m learnet game --help
"""
import argparse
import sys


def build_parser():
    """The argument parser of the ``learnet`` command, with every subcommand."""
    from learnet import __version__
    from learnet.game import cli as game_cli

    parser = argparse.ArgumentParser(prog="learnet", description="learnet: deep learning from scratch on NumPy.")
    parser.add_argument("--version", action="version", version=f"learnet {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    game_cli.add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the ``learnet`` command with ``argv`` (default: the command line); returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(args)
