// The team page: log in, guess, wait, see f(x) and the tangent on the plot.
//
// The server is the referee: this page only shows what /api/state says and sends
// guesses. The countdown uses the server's "seconds_left", so a wrong clock on the
// team's computer does not matter.
"use strict";

const TOKEN_KEY = "learnet-game-token";
// The page asks for its state after its own guesses and when a result is due; the
// level's changes (opened, closed, revealed) are pushed by the server's event
// stream. Polling is only a slow fallback, and stops after the reveal.
const POLL_MS = 15000;

const page = {
  token: localStorage.getItem(TOKEN_KEY),
  state: null,
  pollTimer: null,
  countdown: null, // {timer} while a guess is being computed
  shownStatus: null, // the level status the page shows now
  events: null, // the EventSource of the level's changes
};

(function takeCode() {
  // A scanned QR code opens /?code=...: fill it in and take it out of the address bar.
  const params = new URLSearchParams(location.search);
  if (params.has("code")) {
    $("#code").value = params.get("code").slice(0, 20);
    history.replaceState(null, "", location.pathname);
  }
})();

function listen() {
  if (page.events || !page.token || !window.EventSource) return;
  const events = new EventSource(`/api/events?token=${encodeURIComponent(page.token)}`);
  page.events = events;
  events.addEventListener("level", (message) => {
    const change = JSON.parse(message.data);
    if (!change.logged_in) return logout();
    if (change.status === "revealed") stopListening(); // nothing changes after the reveal
    if (!page.state || change.status !== page.state.level.status) refresh();
  });
}

function stopListening() {
  if (page.events) page.events.close();
  page.events = null;
}

function authHeaders() {
  return { Authorization: `Bearer ${page.token}` };
}

function levelTitle(level) {
  return level.name || t("function_n", { n: level.id });
}

// ---- logging in and out ---------------------------------------------------------

function showLogin() {
  $("#login-view").hidden = false;
  $("#game-view").hidden = true;
  $("#logout").hidden = true;
  $("#team-badge").hidden = true;
  (($("#code").value ? $("#password") : $("#code"))).focus();
}

function logout() {
  if (page.token) api("POST", "/api/logout", { headers: authHeaders() }).catch(() => {});
  stopListening();
  localStorage.removeItem(TOKEN_KEY);
  page.token = null;
  page.state = null;
  stopCountdown();
  showLogin();
}

async function login(event) {
  event.preventDefault();
  const errorBox = $("#login-error");
  errorBox.textContent = "";
  $("#login-button").disabled = true;
  try {
    const result = await api("POST", "/api/login", {
      body: { code: $("#code").value, password: $("#password").value },
    });
    page.token = result.token;
    localStorage.setItem(TOKEN_KEY, result.token);
    $("#password").value = "";
    $("#code").value = "";
    await refresh();
  } catch (error) {
    errorBox.textContent = errorText(error);
  } finally {
    $("#login-button").disabled = false;
  }
}

// ---- guessing -------------------------------------------------------------------

async function guess(event) {
  event.preventDefault();
  const errorBox = $("#guess-error");
  errorBox.textContent = "";
  const twoD = page.state && page.state.level.dimensions === 2;
  const text = normalizeNumberText($("#x").value);
  const textY = normalizeNumberText($("#y").value);
  if (text === "" || !Number.isFinite(Number(text)) || (twoD && (textY === "" || !Number.isFinite(Number(textY))))) {
    errorBox.textContent = t("err_not_a_number");
    return;
  }
  $("#guess-button").disabled = true;
  try {
    await api("POST", "/api/guesses", { body: twoD ? { x: text, y: textY } : { x: text }, headers: authHeaders() });
    $("#x").value = "";
    $("#y").value = "";
  } catch (error) {
    errorBox.textContent = errorText(error);
    if (error.code === "not_logged_in") return logout();
  }
  await refresh();
}

function stopCountdown() {
  if (page.countdown) clearInterval(page.countdown.timer);
  page.countdown = null;
  $("#countdown").hidden = true;
}

function startCountdown(secondsLeft) {
  stopCountdown();
  const total = Math.max(page.state.delay, secondsLeft, 0.001);
  const end = performance.now() + secondsLeft * 1000;
  const tick = () => {
    const left = Math.max(0, (end - performance.now()) / 1000);
    $("#countdown-text").textContent = t("computing", { s: Math.ceil(left) });
    $("#countdown-bar").style.width = `${100 * (1 - left / total)}%`;
    if (left <= 0) {
      stopCountdown();
      refresh();
    }
  };
  page.countdown = { timer: setInterval(tick, 200) };
  $("#countdown").hidden = false;
  tick();
}

// ---- showing the state ----------------------------------------------------------

async function refresh() {
  if (!page.token) return showLogin();
  try {
    page.state = await api("GET", "/api/state", { headers: authHeaders() });
    if ($("#guess-error").textContent === t("err_network")) $("#guess-error").textContent = "";
  } catch (error) {
    if (error.status === 401) {
      page.token = null; // an expired or ended login: nothing to log out of
      return logout();
    }
    if (error.code === "network") $("#guess-error").textContent = t("err_network");
    return;
  }
  render();
}

function render() {
  const state = page.state;
  if (!state) return;
  const level = state.level;
  $("#login-view").hidden = true;
  $("#game-view").hidden = false;
  $("#logout").hidden = false;
  $("#team-badge").hidden = false;
  $("#team-badge").textContent = t("team_n", { n: state.team });
  $("#level-name").textContent = levelTitle(level);
  const twoD = level.dimensions === 2;
  $("#level-range").textContent = twoD
    ? t("range_2d", { min: fmt(level.x_min), max: fmt(level.x_max), ymin: fmt(level.y_min), ymax: fmt(level.y_max) })
    : t("range", { min: fmt(level.x_min), max: fmt(level.x_max) });
  $("#y-part").hidden = !twoD;
  $("#plot-hint").dataset.i18n = twoD ? "arrow_hint" : "tangent_hint";
  $("#plot-hint").textContent = t($("#plot-hint").dataset.i18n);
  $("#guesses thead th:nth-child(2)").textContent = twoD ? "(x, y)" : t("col_x");
  $("#guesses thead th:nth-child(4)").textContent = t(twoD ? "col_gradient" : "col_slope");
  $("#level-budget").textContent = t("budget", { n: level.budget });
  const status = $("#status");
  if (page.shownStatus !== level.status) {
    // A message about the last guess means nothing once the level has moved on.
    $("#guess-error").textContent = "";
    if (level.status !== "open") $("#x").value = "";
    page.shownStatus = level.status;
  }
  status.textContent = t("status_" + level.status);
  status.className = `status status-${level.status}`;

  const done = state.guesses.filter((g) => !g.pending);
  const latest = done[done.length - 1];
  const at = (p) => (p.y === undefined ? fmt(p.x) : `${fmt(p.x)}, ${fmt(p.y)}`);
  $("#latest").textContent = latest
    ? `f(${at(latest)}) = ${fmt(latest.fx)}, ${t(latest.slope_y === undefined ? "slope" : "col_gradient")} ${fmtSlope(latest)}`
    : "—";
  $("#best").textContent = state.best ? `f(${at(state.best)}) = ${fmt(state.best.fx)}` : "—";
  $("#left").textContent = `${state.guesses_left} / ${level.budget}`;

  const body = $("#guesses tbody");
  body.replaceChildren(...state.guesses.map((g) => {
    const best = state.best && g.number === state.best.number;
    return element("tr", { class: best ? "best-row" : "" }, g.pending
      ? [element("td", { text: g.number }), element("td", { text: fmtPoint(g) }),
         element("td", { text: t("pending_row"), colspan: "2", class: "muted" })]
      : [element("td", { text: g.number }), element("td", { text: fmtPoint(g) }),
         element("td", { text: fmt(g.fx) }), element("td", { text: fmtSlope(g) })]);
  }));
  $("#no-guesses").hidden = state.guesses.length > 0;

  const canGuess = level.status === "open" && !state.pending && state.guesses_left > 0;
  $("#x").disabled = !canGuess;
  $("#y").disabled = !canGuess;
  $("#guess-button").disabled = !canGuess;
  if (state.pending && !page.countdown) startCountdown(state.pending.seconds_left);
  if (!state.pending && page.countdown) stopCountdown();

  drawTeamPlot();
  renderReveal();
  if (level.status === "revealed") stopListening();
  else listen();
}

function flipSign(box) {
  const text = box.value.trim();
  box.value = text.startsWith("-") || text.startsWith("−") ? text.slice(1) : "-" + text;
  box.focus();
}

function drawTeamPlot() {
  const state = page.state;
  const reveal = state.reveal;
  const series = [];
  const legend = [];
  if (reveal) {
    for (const path of reveal.paths) {
      if (path.team === state.team) continue;
      series.push({ points: path.guesses, color: "#9aa5b1", kind: "other", line: false });
    }
    legend.push(legendItem("#1f4e79", t("legend_curve"), "line"));
    legend.push(legendItem("#9aa5b1", t("legend_others")));
  }
  const own = state.guesses.filter((g) => !g.pending);
  const twoD = state.level.dimensions === 2;
  series.push({ points: own, color: "#d1495b", kind: "own", tangents: true, arrows: true, numbered: true,
    line: true, highlightLast: true });
  legend.unshift(legendItem("#d1495b", t("legend_yours")));
  if (twoD) {
    legend.push(legendItem("#d1495b", t("legend_arrow"), "line"));
    if (reveal) legend[1] = legendItem("#2a9d8f", t("legend_contour"));
  }
  drawLevel($("#plot"), state.level, reveal ? reveal.curve : null, series);
  $("#legend").replaceChildren(...legend);
}

function renderReveal() {
  const reveal = page.state.reveal;
  $("#reveal").hidden = !reveal;
  if (!reveal) return;
  $("#formula").textContent = `f(x) = ${reveal.expression}`;
  $("#scoreboard tbody").replaceChildren(...reveal.scoreboard.map((entry) =>
    element("tr", { class: entry.team === page.state.team ? "own-row" : "" }, [
      element("td", { text: entry.rank }),
      element("td", { text: t("team_n", { n: entry.team }) }),
      element("td", { text: fmt(entry.best_fx) }),
      element("td", { text: fmtPoint({ x: entry.best_x, y: entry.best_y }) }),
      element("td", { text: entry.guesses }),
    ])));
}

// ---- start ----------------------------------------------------------------------

setupLanguageToggle($("#lang"), render);
window.addEventListener("resize", render); // the plot follows the screen's width
$("#login-form").addEventListener("submit", login);
$("#guess-form").addEventListener("submit", guess);
$("#logout").addEventListener("click", logout);
$("#sign").addEventListener("click", () => flipSign($("#x")));
$("#sign-y").addEventListener("click", () => flipSign($("#y")));
page.pollTimer = setInterval(() => {
  const revealed = page.state && page.state.level.status === "revealed";
  if (page.token && !page.countdown && !revealed) refresh();
}, POLL_MS);
refresh();
