"""``learnet game``: its options, its errors, and what it prints when it starts."""

import os
import stat

import httpx
import pytest

from learnet.cli import build_parser, main


def test_defaults():
    args = build_parser().parse_args(["game"])
    assert (args.host, args.port, args.delay, args.levels, args.db) == ("0.0.0.0", 12721, 10.0, None, "learnet-game.db")


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["game", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--delay", "--levels", "--db", "--admin-token", "12721"):
        assert option in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--delay", "-1"], "--delay must be"),
        (["--delay", "nan"], "--delay must be"),
        (["--port", "70000"], "--port must be"),
        (["--levels", "no-such-file.json"], "cannot read levels file"),
    ],
)
def test_bad_options_stop_with_a_message(tmp_path, capsys, argv, message):
    assert main(["game", "--db", str(tmp_path / "game.db"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_levels_file_names_the_level(tmp_path, capsys):
    levels = tmp_path / "levels.json"
    levels.write_text(
        '[{"expression": "x**2", "x_min": 0, "x_max": 1, "budget": 3},'
        ' {"expression": "os.system(1)", "x_min": 0, "x_max": 1, "budget": 3}]',
        encoding="utf-8",
    )
    assert main(["game", "--levels", str(levels), "--db", str(tmp_path / "game.db")]) == 2
    err = capsys.readouterr().err
    assert "level 2" in err and "not allowed" in err


def test_it_prints_both_links_and_serves_them(tmp_path, cli_server):
    server = cli_server(tmp_path / "game.db", "--delay", "3")
    out = "".join(server.lines)
    assert f"Teams:   http://127.0.0.1:{server.port}/" in out
    # A log is not a terminal: the token is masked there, the full link is in a private file.
    assert f"Teacher: http://127.0.0.1:{server.port}/admin?token={server.admin_token[:4]}…" in out
    assert server.admin_token not in out
    link_file = tmp_path / "game.db.teacher-link"
    assert link_file.read_text().strip() == f"http://127.0.0.1:{server.port}/admin?token={server.admin_token}"
    assert stat.S_IMODE(os.stat(link_file).st_mode) == 0o600
    for name in ("game.db", "game.db-wal", "game.db-shm"):  # the game is readable by its owner only
        if (tmp_path / name).exists():
            assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600, name
    assert "4 levels, 3 s delay" in out
    with httpx.Client(base_url=server.base) as http:
        assert "梯度下降遊戲" in http.get("/").text
        assert http.get("/admin").status_code == 200
        overview = http.get("/api/admin/levels", headers={"X-Admin-Token": server.admin_token}).json()
        assert overview["delay"] == 3
        assert len(overview["levels"]) == 4


@pytest.mark.parametrize("how", ["flag", "env"])
def test_the_teacher_token_can_be_set(tmp_path, cli_server, monkeypatch, how):
    chosen = "class-7b-secret-2026"
    if how == "flag":
        server = cli_server(tmp_path / "game.db", "--admin-token", chosen)
    else:
        monkeypatch.setenv("LEARNET_GAME_ADMIN_TOKEN", chosen)
        server = cli_server(tmp_path / "game.db")
    assert server.admin_token == chosen
    assert chosen not in "".join(server.lines)
    with httpx.Client(base_url=server.base) as http:
        assert http.get("/api/admin/levels", headers={"X-Admin-Token": chosen}).status_code == 200


def test_a_bad_teacher_token_stops_with_a_message(tmp_path, capsys):
    assert main(["game", "--db", str(tmp_path / "game.db"), "--admin-token", "short"]) == 2
    assert "admin token must be 12 to 200" in capsys.readouterr().err
