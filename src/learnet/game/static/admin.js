// The teacher's page: open, close and reveal levels, watch every team, export the
// results, and let learnet's optimizers play the same function.
//
// The secret token arrives in the link (/admin?token=...). It is moved into this
// tab's session storage and taken out of the address bar, so a projected screen
// does not show it.
"use strict";

const ADMIN_TOKEN_KEY = "learnet-game-admin-token";
const SELECTED_KEY = "learnet-game-admin-level";
const POLL_MS = 2000;
const COMPUTER_COLORS = { gradient_descent: "#2a9d8f", momentum: "#e76f51", adam: "#6a4c93" };

const admin = {
  token: null,
  overview: null,
  detail: null,
  selected: Number(sessionStorage.getItem(SELECTED_KEY)) || null,
  showPassword: false,
  computer: {}, // level id -> the last "Let the computer play" answer
  formFor: null, // the level whose defaults fill the computer form
  poll: null, // the refresh timer
  codes: [], // [{team, code}]
};

(function takeToken() {
  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    sessionStorage.setItem(ADMIN_TOKEN_KEY, params.get("token"));
    history.replaceState(null, "", location.pathname);
  }
  admin.token = sessionStorage.getItem(ADMIN_TOKEN_KEY);
})();

function adminApi(method, path, body) {
  return api(method, path, { body, headers: { "X-Admin-Token": admin.token || "" } });
}

function showError(error) {
  const box = $("#admin-error");
  box.hidden = !error;
  box.textContent = error ? errorText(error) : "";
}

function levelTitle(level) {
  return level.name || t("function_n", { n: level.id });
}

// ---- loading --------------------------------------------------------------------

async function refresh() {
  try {
    admin.overview = await adminApi("GET", "/api/admin/levels");
    const ids = admin.overview.levels.map((level) => level.id);
    if (!ids.includes(admin.selected)) admin.selected = ids[0];
    admin.detail = await adminApi("GET", `/api/admin/levels/${admin.selected}`);
    showError(null);
    if (!admin.codesLoaded) {
      admin.codesLoaded = true; // once the token is known to be right
      loadCodes();
    }
  } catch (error) {
    showError(error);
    if (error.code === "admin_refused" || error.code === "too_many_attempts") {
      // A tab left open from an old game would keep failing and get this computer
      // throttled, the teacher's good tab included: stop asking.
      clearInterval(admin.poll);
    }
    return;
  }
  render();
}

function select(levelId) {
  admin.selected = levelId;
  sessionStorage.setItem(SELECTED_KEY, String(levelId));
  admin.detail = null;
  refresh();
}

// ---- teacher actions ------------------------------------------------------------

async function loadCodes(teams) {
  const errorBox = $("#codes-error");
  errorBox.textContent = "";
  try {
    admin.codes = (teams === undefined ? await adminApi("GET", "/api/admin/codes")
      : await adminApi("POST", "/api/admin/codes", { teams })).codes;
  } catch (error) {
    errorBox.textContent = errorText(error);
  }
  renderCodes();
}

function renderCodes() {
  $("#codes-list").replaceChildren(...admin.codes.map((entry) => element("span", { class: "code-chip" }, [
    element("b", { text: t("team_n", { n: entry.team }) }), " ", element("code", { text: entry.code })])));
  $("#codes-sheet").hidden = admin.codes.length === 0;
}

// The sheet is a page of its own, to print. Its link carries a key that expires
// soon, not the teacher's token: a printed page shows its link at the foot.
async function openSheet() {
  const tab = window.open("", "_blank");
  try {
    const { key } = await adminApi("POST", "/api/admin/codes/sheet-key");
    tab.location = `/api/admin/codes/sheet?key=${encodeURIComponent(key)}`;
  } catch (error) {
    tab.close();
    $("#codes-error").textContent = errorText(error);
  }
}

async function saveCap(event) {
  event.preventDefault();
  const text = normalizeNumberText($("#max-teams").value);
  try {
    await adminApi("POST", `/api/admin/levels/${admin.selected}/settings`,
      { max_teams: text === "" ? null : Number(text) });
    admin.capFor = null;
  } catch (error) {
    showError(error);
  }
  refresh();
}

async function kick(team) {
  if (!confirm(t("confirm_kick", { n: team }))) return;
  try {
    await adminApi("POST", `/api/admin/levels/${admin.selected}/teams/${team}/kick`);
  } catch (error) {
    showError(error);
  }
  refresh();
}

async function changeLevel(action) {
  if (action === "reveal" && !confirm(t("confirm_reveal"))) return;
  try {
    await adminApi("POST", `/api/admin/levels/${admin.selected}/${action}`);
  } catch (error) {
    showError(error);
  }
  refresh();
}

async function download(kind) {
  try {
    const response = await fetch(`/api/admin/levels/${admin.selected}/${kind}.csv`, {
      headers: { "X-Admin-Token": admin.token || "" }, cache: "no-store" });
    if (!response.ok) throw new ApiError(response.status, (await response.json()).error.code, "");
    const url = URL.createObjectURL(await response.blob());
    const link = element("a", { href: url, download: `level-${admin.selected}-${kind}.csv` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } catch (error) {
    showError(error);
  }
}

async function computerPlay(event) {
  event.preventDefault();
  const errorBox = $("#computer-error");
  errorBox.textContent = "";
  const number = (id) => normalizeNumberText($(id).value);
  const level = admin.detail.level;
  const start = level.dimensions === 2
    ? number("#cp-start").split(/[,，\s]+/).filter((part) => part !== "").map(Number)  // "x, y"
    : number("#cp-start");
  const body = {
    start,
    steps: Number.parseInt(number("#cp-steps"), 10),
    learning_rates: {},
  };
  for (const name of Object.keys(COMPUTER_COLORS)) body.learning_rates[name] = number(`#cp-lr-${name}`);
  $("#computer-run").disabled = true;
  try {
    admin.computer[admin.selected] = await adminApi("POST", `/api/admin/levels/${admin.selected}/computer-play`, body);
  } catch (error) {
    errorBox.textContent = errorText(error);
  } finally {
    $("#computer-run").disabled = false;
  }
  render();
}

// ---- drawing --------------------------------------------------------------------

function render() {
  const overview = admin.overview;
  if (!overview) return;
  $("#delay").textContent = t("delay_info", { s: fmt(overview.delay) });
  $("#delay").hidden = false;
  $("#level-tabs").replaceChildren(...overview.levels.map((level) => {
    const tab = element("button", { type: "button", class: `tab${level.id === admin.selected ? " active" : ""}` }, [
      levelTitle(level), element("span", { class: `pill pill-${level.status}`, text: t("status_word_" + level.status) }),
    ]);
    tab.addEventListener("click", () => select(level.id));
    return tab;
  }));
  if (!admin.detail) return;
  $("#level-view").hidden = false;
  const level = admin.detail.level;
  const summary = overview.levels.find((l) => l.id === level.id);
  $("#level-name").textContent = levelTitle(level);
  $("#level-status").textContent = t("status_word_" + level.status);
  $("#level-status").className = `pill pill-${level.status}`;
  $("#level-range").textContent = level.dimensions === 2
    ? t("range_2d", { min: fmt(level.x_min), max: fmt(level.x_max), ymin: fmt(level.y_min), ymax: fmt(level.y_max) })
    : t("range", { min: fmt(level.x_min), max: fmt(level.x_max) });
  $("#level-budget").textContent = t("budget", { n: level.budget });
  $("#level-password").textContent = level.password;
  $("#level-password").hidden = !admin.showPassword;
  $("#toggle-password").textContent = t(admin.showPassword ? "hide_password" : "show_password");
  $("#level-formula").textContent = `f(x) = ${level.expression}`;
  $("#action-open").disabled = !["waiting", "closed"].includes(level.status);
  $("#action-close").disabled = level.status !== "open";
  $("#action-reveal").disabled = !["open", "closed"].includes(level.status);
  $("#level-counts").textContent = t("teams_guesses", { teams: summary.teams, guesses: summary.guesses });

  if (admin.capFor !== level.id) {
    admin.capFor = level.id;
    $("#max-teams").value = level.max_teams == null ? "" : String(level.max_teams);
  }
  if (admin.formFor !== level.id) {
    // Fill the form with the level's defaults once, not on every refresh, so the
    // teacher's own values stay while the page updates.
    admin.formFor = level.id;
    $("#cp-start").value = level.dimensions === 2 ? `${fmt(level.start)}, ${fmt(level.start_y)}` : fmt(level.start);
    $("#cp-steps").value = String(level.computer_steps);
    for (const [name, rate] of Object.entries(level.learning_rates)) $(`#cp-lr-${name}`).value = fmt(rate);
  }

  renderProgress();
  renderScoreboard();
  renderPlot();
  renderComputer();
}

// During play the projected page must not give the answer away: the teams' best x
// is shown only after the reveal, or when the teacher ticks the box.
function showBestX() {
  return admin.detail.level.status === "revealed" || $("#show-best-x").checked;
}

function renderProgress() {
  const { level, teams } = admin.detail;
  const showX = showBestX();
  $("#show-best-x").closest("label").hidden = level.status === "revealed";
  $("#progress tbody").replaceChildren(...teams.map((team) => {
    const swatch = element("span", { class: "swatch" });
    swatch.style.background = teamColor(team.team);
    const kickButton = element("button", { type: "button", class: "secondary small kick", text: t("kick") });
    kickButton.addEventListener("click", () => kick(team.team));
    return element("tr", {}, [
      element("td", {}, [swatch, t("team_n", { n: team.team })]),
      element("td", { text: `${team.guesses_used} / ${level.budget}` }),
      element("td", { text: team.best ? fmt(team.best.fx) : "—" }),
      element("td", { class: "best-x", text: team.best ? (showX ? fmtPoint(team.best) : t("hidden")) : "—" }),
      element("td", { text: team.pending ? t("state_pending") : "", class: "muted" }),
      element("td", {}, [kickButton]),
    ]);
  }));
  $("#no-teams").hidden = teams.length > 0;
}

function renderScoreboard() {
  const showX = showBestX();
  $("#scoreboard tbody").replaceChildren(...admin.detail.scoreboard.map((entry) => element("tr", {}, [
    element("td", { text: entry.rank }),
    element("td", { text: t("team_n", { n: entry.team }) }),
    element("td", { text: fmt(entry.best_fx) }),
    element("td", { class: "best-x", text: showX ? fmtPoint({ x: entry.best_x, y: entry.best_y }) : t("hidden") }),
    element("td", { text: entry.guesses }),
  ])));
}

function renderPlot() {
  const { level, teams, curve } = admin.detail;
  const revealed = level.status === "revealed";
  $("#preview-curve").closest("label").hidden = revealed; // everyone sees it now
  const showCurve = revealed || $("#preview-curve").checked;
  // The teams' points give their x away too: drawn only when x may be shown.
  const series = showBestX() ? teams.map((team) => ({
    points: team.guesses.filter((g) => !g.pending), color: teamColor(team.team), kind: "team", line: true,
    label: String(team.team),
  })) : [];
  const legend = [];
  if (showCurve) legend.push(legendItem("#1f4e79", t("legend_curve"), "line"));
  if (teams.length) legend.push(legendItem("#9aa5b1", t("legend_teams")));
  const played = admin.computer[level.id];
  if (played) {
    for (const run of played.runs) {
      series.push({ points: run.path, color: COMPUTER_COLORS[run.optimizer], kind: "computer", line: true,
        arrows: level.dimensions === 2 && run.path.length <= 30 });
      legend.push(legendItem(COMPUTER_COLORS[run.optimizer], t("opt_" + run.optimizer)));
    }
  }
  drawLevel($("#plot"), level, showCurve ? curve : null, series);
  $("#legend").replaceChildren(...legend);
}

function renderComputer() {
  const played = admin.computer[admin.selected];
  const runs = played ? played.runs.filter((run) => run.path.length) : [];
  $("#computer-results").replaceChildren(...runs.map((run) => {
    const last = run.path[run.path.length - 1];
    const item = element("li", {}, [legendItem(COMPUTER_COLORS[run.optimizer], t("computer_result", {
      opt: t("opt_" + run.optimizer), steps: run.path.length - 1, x: fmtPoint(last), fx: fmt(last.fx) }))]);
    return item;
  }));
}

// ---- start ----------------------------------------------------------------------

setupLanguageToggle($("#lang"), render);
window.addEventListener("resize", render); // the plot follows the screen's width
$("#toggle-password").addEventListener("click", () => {
  admin.showPassword = !admin.showPassword;
  render();
});
for (const action of ["open", "close", "reveal"]) {
  $(`#action-${action}`).addEventListener("click", () => changeLevel(action));
}
$("#export-scoreboard").addEventListener("click", () => download("scoreboard"));
$("#export-guesses").addEventListener("click", () => download("guesses"));
$("#preview-curve").addEventListener("change", render);
$("#computer-form").addEventListener("submit", computerPlay);
$("#show-best-x").addEventListener("change", render);
$("#cap-form").addEventListener("submit", saveCap);
$("#codes-sheet").addEventListener("click", openSheet);
// A tab opened by this one starts with a copy of its session storage, token included:
// the projector's link needs no token in it.
$("#projector-link").addEventListener("click", () => window.open(`/projector?level=${admin.selected}`, "_blank"));
$("#codes-form").addEventListener("submit", (event) => {
  event.preventDefault();
  loadCodes(Number(normalizeNumberText($("#codes-count").value)));
});
admin.poll = setInterval(refresh, POLL_MS);
refresh();
