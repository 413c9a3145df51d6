"""End to end in a real headless Chromium: a team plays, the teacher reveals.

Screenshots of every page go to ``test-artifacts/game/`` at the repository root
(git-ignored), to be looked at by a person.
"""

import os
import pathlib

import httpx
import pytest

from learnet.game.server import create_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "game"

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"the end-to-end test drives Debian's chromium at {CHROMIUM}, which is not installed", allow_module_level=True
    )
from playwright import sync_api  # noqa: E402 - in the test extra; only the browser may be missing

expect = sync_api.expect
expect.set_options(timeout=30_000)  # waits for what the page shows; generous for a busy machine

TEAM = 7
GUESSES = ["-6", "0", "４"]  # the last one typed with a full-width digit, as a Chinese IME does


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def watch_console(page, problems):
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))


def test_team_plays_and_teacher_reveals(tmp_path, browser, serve_app):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = create_app(tmp_path / "e2e.db", delay=1.0)  # the built-in levels; a short real delay
    game = app.state.game
    password = game.levels[1].password
    problems = []

    with serve_app(app) as base:
        # The teacher opens Function 1 on the admin page.
        teacher = browser.new_page(viewport={"width": 1366, "height": 1000})
        watch_console(teacher, problems)
        teacher.goto(f"{base}/admin?token={app.state.admin_token}")
        teacher.wait_for_selector("#level-view:not([hidden])")
        assert "token=" not in teacher.url  # taken out of the address bar
        teacher.click("#action-open")
        teacher.wait_for_selector("#level-status.pill-open")

        # Two other teams play through the API, so the scoreboard has company.
        with httpx.Client(base_url=base) as http:
            codes = {entry["team"]: entry["code"] for entry in game.make_codes(TEAM)["codes"]}
            for team, xs in ((2, [5.0, 3.0]), (5, [-2.0])):
                token = http.post("/api/login", json={"code": codes[team], "password": password}).json()["token"]
                for x in xs:
                    assert (
                        http.post(
                            "/api/guesses", json={"x": x}, headers={"Authorization": f"Bearer {token}"}
                        ).status_code
                        == 201
                    )
                    _wait_released(http, token)

        # Team 7 logs in (Chinese page, the default) and makes three guesses.
        team = browser.new_page(viewport={"width": 1366, "height": 1000})
        watch_console(team, problems)
        team.goto(base)
        team.fill("#code", codes[TEAM].lower())  # codes are not case-sensitive
        team.fill("#password", password.upper())  # passwords are not case-sensitive
        team.click("#login-button")
        team.wait_for_selector("#game-view:not([hidden])")
        assert team.text_content("#team-badge") == f"第 {TEAM} 隊"
        for count, x in enumerate(GUESSES, start=1):
            team.fill("#x", x)
            team.click("#guess-button")
            if count == 2:
                team.wait_for_selector("#countdown:not([hidden])")
                team.screenshot(path=ARTIFACTS / "team-countdown.png")
            expect(team.locator("#plot .guess-point")).to_have_count(count)
            team.wait_for_selector("#guess-button:enabled")
        assert team.locator("#plot .guess-point").count() == 3
        assert team.locator("#plot .tangent").count() == 3
        assert team.locator("#guesses tbody tr").count() == 3
        assert team.text_content("#left") == "5 / 8"
        assert team.locator("#plot .other-point").count() == 0  # other teams stay hidden
        assert team.locator("#plot .true-curve").count() == 0
        team.screenshot(path=ARTIFACTS / "team-play.png", full_page=True)

        # A bad guess is refused with a message, and nothing is recorded.
        team.fill("#x", "99")
        team.click("#guess-button")
        expect(team.locator("#guess-error")).to_contain_text("-10")
        assert team.locator("#guesses tbody tr").count() == 3

        # The teacher sees the progress, reveals, and lets the computer play.
        expect(teacher.locator("#progress tbody tr")).to_have_count(3)
        expect(teacher.locator("#progress tbody")).to_contain_text(f"第 {TEAM} 隊")
        # The projected page does not give the answer away: no team's x before the reveal.
        assert set(teacher.locator("#progress td.best-x").all_text_contents()) <= {"（隱藏）", "—"}
        assert teacher.locator("#plot .team-point").count() == 0
        teacher.screenshot(path=ARTIFACTS / "admin-progress.png", full_page=True)
        teacher.on("dialog", lambda dialog: dialog.accept())
        teacher.click("#action-reveal")
        teacher.wait_for_selector("#level-status.pill-revealed")
        teacher.click("#computer-run")
        expect(teacher.locator("#computer-results li")).to_have_count(3)
        assert teacher.locator("#plot .computer-point").count() > 3
        assert teacher.locator("#plot .true-curve").count() == 1
        teacher.click("#lang")  # English, for the screenshot
        teacher.screenshot(path=ARTIFACTS / "admin-reveal.png", full_page=True)

        # The team's page shows the curve, the formula and the scoreboard with the team.
        team.wait_for_selector("#reveal:not([hidden])")
        rows = team.locator("#scoreboard tbody tr")
        assert rows.count() == 3
        assert team.locator("#scoreboard tbody tr.own-row").text_content().find(f"{TEAM}") >= 0
        assert team.locator("#plot .true-curve").count() == 1
        assert team.locator("#plot .other-point").count() == 3
        team.screenshot(path=ARTIFACTS / "team-reveal.png", full_page=True)
        team.click("#lang")
        assert team.text_content("#team-badge") == f"Team {TEAM}"
        team.screenshot(path=ARTIFACTS / "team-reveal-en.png", full_page=True)
        team.set_viewport_size({"width": 390, "height": 844})  # a phone
        team.screenshot(path=ARTIFACTS / "team-reveal-phone.png", full_page=True)

        # The login page, for the record.
        fresh = browser.new_page(viewport={"width": 800, "height": 700})
        watch_console(fresh, problems)
        fresh.goto(base)
        fresh.wait_for_selector("#login-view:not([hidden])")
        fresh.screenshot(path=ARTIFACTS / "team-login.png")

        # A teacher's link with a wrong token is refused once, and the page stops asking.
        stranger = browser.new_page(viewport={"width": 1000, "height": 400})
        refusals = []
        stranger.on("response", lambda response: "/api/admin/" in response.url and refusals.append(response.status))
        stranger.goto(f"{base}/admin?token=not-the-token")
        expect(stranger.locator("#admin-error")).to_contain_text("老師的專屬連結")
        stranger.wait_for_timeout(2500)  # longer than one refresh period
        assert refusals == [403]
        stranger.screenshot(path=ARTIFACTS / "admin-refused.png")

    # No script error and no resource blocked by the page's security policy; the one
    # refusal the browser reports is the bad guess above (422).
    assert [p for p in problems if "status of 422" not in p] == [], problems
    assert len(problems) == 1


def _wait_released(http, token, timeout=30.0):
    """Wait until a team's last guess has its result (the 1 s delay)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = http.get("/api/state", headers={"Authorization": f"Bearer {token}"}).json()
        if state["pending"] is None:
            return
        time.sleep(0.1)
    raise AssertionError("a guess was never released")
