"""``learnet game``: its options, its errors, and what it prints when it starts."""
import httpx
import pytest

from learnet.cli import build_parser, main


def test_defaults():
    args = build_parser().parse_args(["game"])
    assert (args.host, args.port, args.delay, args.levels, args.db) == ("0.0.0.0", 12721, 10.0, None,
                                                                        "learnet-game.db")


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["game", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--host", "--port", "--delay", "--levels", "--db", "12721"):
        assert option in out


@pytest.mark.parametrize("argv, message", [
    (["--delay", "-1"], "--delay must be"),
    (["--delay", "nan"], "--delay must be"),
    (["--port", "70000"], "--port must be"),
    (["--levels", "no-such-file.json"], "cannot read levels file"),
])
def test_bad_options_stop_with_a_message(tmp_path, capsys, argv, message):
    assert main(["game", "--db", str(tmp_path / "game.db"), *argv]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_levels_file_names_the_level(tmp_path, capsys):
    levels = tmp_path / "levels.json"
    levels.write_text('[{"expression": "x**2", "x_min": 0, "x_max": 1, "budget": 3},'
                      ' {"expression": "os.system(1)", "x_min": 0, "x_max": 1, "budget": 3}]', encoding="utf-8")
    assert main(["game", "--levels", str(levels), "--db", str(tmp_path / "game.db")]) == 2
    err = capsys.readouterr().err
    assert "level 2" in err and "not allowed" in err


def test_it_prints_both_links_and_serves_them(tmp_path, cli_server):
    server = cli_server(tmp_path / "game.db", "--delay", "3")
    out = "".join(server.lines)
    assert f"Teams:   http://127.0.0.1:{server.port}/" in out
    assert f"Teacher: http://127.0.0.1:{server.port}/admin?token={server.admin_token}" in out
    assert "3 levels, 3 s delay" in out
    with httpx.Client(base_url=server.base) as http:
        assert "梯度下降遊戲" in http.get("/").text
        assert http.get("/admin").status_code == 200
        overview = http.get("/api/admin/levels", headers={"X-Admin-Token": server.admin_token}).json()
        assert overview["delay"] == 3
        assert len(overview["levels"]) == 3
