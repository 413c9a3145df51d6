"""A class in a real headless Chromium: join codes and their QR sheet, a phone (mobile
Chromium profile) typing negative x, and the projector view with podium and replay.

Screenshots go to ``test-artifacts/game/`` (git-ignored), to be looked at by a person.
"""

import os
import pathlib

import httpx
import pytest

from learnet.game.levels import Level
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
        f"the browser test drives Debian's chromium at {CHROMIUM}, which is not installed", allow_module_level=True
    )
from playwright import sync_api  # noqa: E402 - in the test extra; only the browser may be missing

expect = sync_api.expect
expect.set_options(timeout=30_000)

PASSWORD = "bowl42"
PHONE_TEAM = 3


@pytest.fixture
def playwright_and_browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield playwright, browser
        finally:
            browser.close()


def watch_console(page, problems):
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))


def boxes_overlap(a, b):
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.slow
def test_a_class_with_codes_phones_and_the_projector(tmp_path, playwright_and_browser, serve_app):
    playwright, browser = playwright_and_browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    level = Level(expression="0.5*(x - 1.5)**2 + 1", x_min=-8, x_max=8, budget=6, password=PASSWORD, name="Bowl")
    app = create_app(tmp_path / "class.db", delay=0.3, levels=[level])
    game = app.state.game
    problems = []

    with serve_app(app) as base:
        # The teacher makes codes for 6 teams and opens the printable sheet.
        teacher = browser.new_page(viewport={"width": 1366, "height": 1000})
        watch_console(teacher, problems)
        teacher.goto(f"{base}/admin?token={app.state.admin_token}")
        teacher.wait_for_selector("#level-view:not([hidden])")
        teacher.fill("#codes-count", "6")
        teacher.click("#make-codes")
        expect(teacher.locator("#codes-list .code-chip")).to_have_count(6)
        codes = {entry["team"]: entry["code"] for entry in game.codes()["codes"]}
        teacher.fill("#max-teams", "6")
        teacher.click("#save-cap")
        expect(teacher.locator("#max-teams")).to_have_value("6")
        teacher.click("#action-open")
        teacher.wait_for_selector("#level-status.pill-open")
        teacher.screenshot(path=ARTIFACTS / "admin-codes.png", full_page=True)

        with teacher.expect_popup() as opened:
            teacher.click("#codes-sheet")
        sheet = opened.value
        sheet.set_viewport_size({"width": 900, "height": 1100})
        expect(sheet.locator(".card img")).to_have_count(6)
        assert app.state.admin_token not in sheet.url  # printed at the page's foot: a short-lived key only
        for code in codes.values():
            expect(sheet.locator("body")).to_contain_text(code)
        sheet.screenshot(path=ARTIFACTS / "codes-sheet.png", full_page=True)
        qr_link = f"{base}/?code={codes[PHONE_TEAM]}"  # what the QR code on team 3's card holds

        # A phone scans team 3's QR code: the code is filled in, the team types the password.
        phone_context = browser.new_context(**playwright.devices["Pixel 7"])
        phone = phone_context.new_page()
        watch_console(phone, problems)
        phone.goto(qr_link)
        phone.wait_for_selector("#login-view:not([hidden])")
        assert phone.input_value("#code") == codes[PHONE_TEAM]
        assert "code=" not in phone.url  # taken out of the address bar
        phone.screenshot(path=ARTIFACTS / "phone-login.png")
        phone.fill("#password", PASSWORD)
        phone.tap("#login-button")
        phone.wait_for_selector("#game-view:not([hidden])")

        # Negative x on a phone: the sign button, and a minus typed on the keyboard.
        assert phone.get_attribute("#x", "type") == "text"
        phone.tap("#x")
        phone.keyboard.type("2.5")
        phone.tap("#sign")
        assert phone.input_value("#x") == "-2.5"
        phone.tap("#guess-button")
        expect(phone.locator("#guesses tbody tr")).to_have_count(1)
        phone.wait_for_selector("#guess-button:enabled")
        phone.tap("#x")
        phone.keyboard.type("-0.5")
        phone.tap("#guess-button")
        expect(phone.locator("#plot .guess-point")).to_have_count(2)
        phone.wait_for_selector("#guess-button:enabled")
        for x in ("7.9", "1.4", "1.6"):  # one at the top edge, two close together at the minimum
            phone.fill("#x", x)
            phone.tap("#guess-button")
            expect(phone.locator("#plot .guess-point")).to_have_count(["7.9", "1.4", "1.6"].index(x) + 3)
            phone.wait_for_selector("#guess-button:enabled")
        xs = [guess["x"] for guess in game.store.level_guesses(1)]
        assert xs == [-2.5, -0.5, 7.9, 1.4, 1.6]
        phone.screenshot(path=ARTIFACTS / "phone-play.png", full_page=True)

        # Every point's number is inside the plot and on no other number.
        plot = phone.locator("#plot").bounding_box()
        labels = [
            phone.locator("#plot .point-label").nth(i).bounding_box()
            for i in range(phone.locator("#plot .point-label").count())
        ]
        assert len(labels) == 5
        for box in labels:
            assert box["x"] >= plot["x"] and box["x"] + box["width"] <= plot["x"] + plot["width"] + 1
            assert box["y"] >= plot["y"] and box["y"] + box["height"] <= plot["y"] + plot["height"] + 1
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not boxes_overlap(a, b), (a, b)
        # The sign button and the x box fit on the phone's screen.
        width = phone.viewport_size["width"]
        for selector in ("#sign", "#x", "#guess-button"):
            box = phone.locator(selector).bounding_box()
            assert 0 <= box["x"] and box["x"] + box["width"] <= width, selector

        # Three more teams play through the API, so the podium is full.
        with httpx.Client(base_url=base, timeout=30) as http:
            for team, team_xs in ((1, [4.0, 2.0]), (2, [-6.0]), (4, [0.0, 3.0, 1.0])):
                token = http.post("/api/login", json={"code": codes[team], "password": PASSWORD}).json()["token"]
                for x in team_xs:
                    assert (
                        http.post(
                            "/api/guesses", json={"x": x}, headers={"Authorization": f"Bearer {token}"}
                        ).status_code
                        == 201
                    )
                    teacher.wait_for_timeout(350)  # the 0.3 s delay

        # The projector during play: counts and a countdown, no point and no x.
        with teacher.expect_popup() as opened:
            teacher.click("#projector-link")
        projector = opened.value
        watch_console(projector, problems)
        projector.set_viewport_size({"width": 1280, "height": 800})
        projector.wait_for_selector("#live:not([hidden])")
        assert "token=" not in projector.url
        expect(projector.locator("#count-teams")).to_contain_text("4")
        projector.fill("#clock-minutes", "3")
        projector.click("#clock-start")
        expect(projector.locator("#clock")).to_contain_text("2:5")
        assert projector.locator("svg circle").count() == 0
        projector.screenshot(path=ARTIFACTS / "projector-live.png")

        # The reveal: the race, the podium, par, the lesson; then the replay.
        teacher.on("dialog", lambda dialog: dialog.accept())
        teacher.click("#action-reveal")
        teacher.wait_for_selector("#level-status.pill-revealed")
        projector.wait_for_selector("#show:not([hidden])")
        expect(projector.locator("#podium .podium-step")).to_have_count(3)
        winner = projector.locator("#podium .place-1 .podium-team").text_content()
        assert winner == f"第 {PHONE_TEAM} 隊"  # team 3 came closest (x = 1.4 and 1.6)
        expect(projector.locator("#par")).to_contain_text("標準桿")
        expect(projector.locator("#lesson-caption")).to_contain_text("損失")
        assert projector.locator("#race .team-point").count() == 5 + 2 + 1 + 3
        computer = game.reveal(1)["computer"]
        race = max(5, computer["par"])  # the longest team made 5 guesses
        assert computer["par"] > 1
        assert projector.locator("#race .computer-point").count() == sum(
            min(len(run["path"]), race) for run in computer["runs"]
        )
        projector.screenshot(path=ARTIFACTS / "projector-podium.png")
        projector.click("#replay")
        expect(projector.locator("#replay-step")).to_have_text("3")
        assert projector.locator("#race .team-point").count() == 3 + 2 + 1 + 3  # up to 3 guesses a team
        projector.screenshot(path=ARTIFACTS / "projector-replay.png")
        projector.click("#lang")
        expect(projector.locator("#lesson-caption")).to_contain_text("loss")
        expect(projector.locator("#replay-step")).to_have_text("", timeout=1000 * (race + 30))  # ends with all
        projector.screenshot(path=ARTIFACTS / "projector-podium-en.png")

        # The phone after the reveal: the curve, the lesson, and no more polling.
        phone.wait_for_selector("#reveal:not([hidden])")
        expect(phone.locator("#lesson-caption")).to_contain_text("梯度")
        phone.screenshot(path=ARTIFACTS / "phone-reveal.png", full_page=True)
        asked = []
        phone.on("request", lambda request: "/api/" in request.url and asked.append(request.url))
        phone.wait_for_timeout(3000)
        assert asked == []
        phone_context.close()

    assert problems == [], problems


def test_the_2d_level_a_contour_map_with_gradient_arrows(tmp_path, playwright_and_browser, serve_app):
    """The momentum lesson's level: a guess is a point, its answer f and an arrow downhill."""
    _, browser = playwright_and_browser
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    app = create_app(tmp_path / "plane.db", delay=0)  # the built-in levels; the fourth is 2-D
    game = app.state.game
    level_id = 4
    assert game.levels[level_id].dimensions == 2
    game.change_level(level_id, "open")
    code = game.make_codes(2)["codes"][0]["code"]
    problems = []

    with serve_app(app) as base:
        team = browser.new_page(viewport={"width": 1280, "height": 900})
        watch_console(team, problems)
        team.goto(f"{base}/?code={code}")
        team.fill("#password", game.levels[level_id].password)
        team.click("#login-button")
        team.wait_for_selector("#y-part:not([hidden])")
        for count, (x, y) in enumerate([("-6", "2"), ("0", "-3"), ("3", "0.5")], start=1):
            team.fill("#x", x)
            team.fill("#y", y)
            team.click("#guess-button")
            expect(team.locator("#plot .guess-point")).to_have_count(count)
            team.wait_for_selector("#guess-button:enabled")
        assert team.locator("#plot .gradient-arrow").count() == 3
        assert team.locator("#plot .contour-map").count() == 0  # the landscape stays hidden
        guesses = game.store.level_guesses(level_id)
        assert [(g["x"], g["y"]) for g in guesses] == [(-6.0, 2.0), (0.0, -3.0), (3.0, 0.5)]
        # Each arrow points downhill: against the gradient the server computed.
        for i, guess in enumerate(guesses):
            arrow = team.locator("#plot .gradient-arrow").nth(i)
            dx = float(arrow.get_attribute("x2")) - float(arrow.get_attribute("x1"))
            dy = float(arrow.get_attribute("y2")) - float(arrow.get_attribute("y1"))
            assert dx * guess["slope"] <= 0 and -dy * guess["slope_y"] <= 0  # screen y grows downwards
        team.screenshot(path=ARTIFACTS / "team-2d-play.png", full_page=True)

        game.change_level(level_id, "reveal")
        team.reload()
        team.wait_for_selector("#reveal:not([hidden])")
        assert team.locator("#plot .contour-map rect").count() > 1000
        team.screenshot(path=ARTIFACTS / "team-2d-reveal.png", full_page=True)

        projector = browser.new_page(viewport={"width": 1280, "height": 800})
        watch_console(projector, problems)
        projector.goto(f"{base}/projector?level={level_id}&token={app.state.admin_token}")
        projector.wait_for_selector("#show:not([hidden])")
        assert projector.locator("#race .contour-map").count() == 1
        assert projector.locator("#race .computer-point").count() > 3
        projector.screenshot(path=ARTIFACTS / "projector-2d.png")

    assert problems == [], problems
