// The projector view: what the whole class looks at.
//
// During play it shows only how many teams joined, how many guesses were made and a
// countdown: no point, no x, nothing that gives the answer away. After the reveal it
// shows the race (every team's path on the curve), the podium, a replay of every
// team's guesses in order next to the computer's gradient descent, momentum and Adam
// runs, the computer's step count as "par", and the lesson in one caption.
//
// It opens from the teacher's page as /projector?level=N, with a copy of that page's
// session storage, which holds the teacher's token (a link with ?token=... works
// too: the token then moves into session storage, out of the address bar).
"use strict";

const PROJECTOR_TOKEN_KEY = "learnet-game-admin-token";
const PROJECTOR_POLL_MS = 2000;
const REPLAY_STEP_MS = 700;
const RUN_COLORS = { gradient_descent: "#2a9d8f", momentum: "#e76f51", adam: "#6a4c93" };

const show = { token: null, level: 1, detail: null, reveal: null, replayStep: null, replayTimer: null,
  clockEnd: null, clockTotal: null };

(function takeParams() {
  const params = new URLSearchParams(location.search);
  if (params.has("token")) sessionStorage.setItem(PROJECTOR_TOKEN_KEY, params.get("token"));
  show.level = Number.parseInt(params.get("level") || "1", 10) || 1;
  history.replaceState(null, "", `${location.pathname}?level=${show.level}`);
  show.token = sessionStorage.getItem(PROJECTOR_TOKEN_KEY);
})();

function projectorApi(path) {
  return api("GET", path, { headers: { "X-Admin-Token": show.token || "" } });
}

async function refresh() {
  try {
    show.detail = await projectorApi(`/api/admin/levels/${show.level}`);
    if (show.detail.level.status === "revealed" && !show.reveal) {
      show.reveal = await projectorApi(`/api/admin/levels/${show.level}/reveal`);
    }
    $("#projector-error").hidden = true;
  } catch (error) {
    $("#projector-error").hidden = false;
    $("#projector-error").textContent = errorText(error);
    return;
  }
  render();
}

function render() {
  if (!show.detail) return;
  const level = show.detail.level;
  $("#level-name").textContent = level.name || t("function_n", { n: level.id });
  $("#level-status").textContent = t("status_word_" + level.status);
  $("#level-status").className = `pill pill-${level.status}`;
  const revealed = Boolean(show.reveal);
  $("#live").hidden = revealed;
  $("#show").hidden = !revealed;
  if (!revealed) {
    const guesses = show.detail.teams.reduce((sum, team) => sum + team.guesses_used, 0);
    $("#count-teams").textContent = t("teams_joined", { n: show.detail.teams.length });
    $("#count-guesses").textContent = t("guesses_made", { n: guesses });
    return;
  }
  $("#formula").textContent = `f(x) = ${show.reveal.expression}`;
  const par = show.reveal.computer.par;
  $("#par").textContent = par ? t("par", { n: par }) : t("par_none");
  renderPodium();
  drawRace();
}

function renderPodium() {
  const top = show.reveal.scoreboard.filter((entry) => entry.rank <= 3).slice(0, 3);
  const order = [1, 0, 2].filter((i) => i < top.length); // second, first, third: the winner in the middle
  $("#podium").replaceChildren(...order.map((i) => {
    const entry = top[i];
    const step = element("div", { class: `podium-step place-${entry.rank}` }, [
      element("div", { class: "podium-team", text: t("team_n", { n: entry.team }) }),
      element("div", { class: "podium-fx", text: `f = ${fmt(entry.best_fx)}` }),
      element("div", { class: "podium-rank", text: String(entry.rank) }),
    ]);
    step.style.borderTopColor = teamColor(entry.team);
    return step;
  }));
}

// The race: every team's released guesses in order; during a replay only the first
// `replayStep` guesses of each team and steps of each computer run.
// As many steps as the longest team's path, or as the computer's best run needed to
// reach the bottom ("par"), whichever is more; the computer's later steps add nothing.
function raceLength() {
  return Math.max(1, ...show.reveal.paths.map((p) => p.guesses.length), show.reveal.computer.par || 0);
}

function drawRace() {
  const reveal = show.reveal;
  const upTo = show.replayStep;
  const cut = (points) => (upTo === null ? points : points.slice(0, upTo));
  const series = reveal.paths.map((path) => ({
    points: cut(path.guesses), color: teamColor(path.team), kind: "team", line: true, label: String(path.team),
  }));
  const map = show.detail.level.dimensions === 2;
  const legend = [map ? legendItem("#2a9d8f", t("legend_contour")) : legendItem("#1f4e79", t("legend_curve"), "line"),
    legendItem("#9aa5b1", t("legend_teams"))];
  for (const run of reveal.computer.runs) {
    const path = run.path.slice(0, raceLength());
    series.push({ points: upTo === null ? path : path.slice(0, upTo), color: RUN_COLORS[run.optimizer],
      kind: "computer", line: true });
    legend.push(legendItem(RUN_COLORS[run.optimizer], t("opt_" + run.optimizer)));
  }
  drawLevel($("#race"), show.detail.level, reveal.curve, series);
  $("#race-legend").replaceChildren(...legend);
  $("#replay-step").textContent = upTo === null ? "" : `${upTo}`;
}

function replay() {
  clearInterval(show.replayTimer);
  const longest = raceLength();
  show.replayStep = 1;
  drawRace();
  show.replayTimer = setInterval(() => {
    show.replayStep += 1;
    if (show.replayStep >= longest) {
      clearInterval(show.replayTimer);
      show.replayStep = null; // the end: everything, as before
    }
    drawRace();
  }, REPLAY_STEP_MS);
}

function startClock(event) {
  event.preventDefault();
  const minutes = Number(normalizeNumberText($("#clock-minutes").value));
  if (!(minutes > 0 && minutes <= 120)) return;
  show.clockTotal = minutes * 60;
  show.clockEnd = performance.now() + show.clockTotal * 1000;
}

function tickClock() {
  if (show.clockEnd === null) return;
  const left = Math.max(0, (show.clockEnd - performance.now()) / 1000);
  const m = Math.floor(left / 60);
  const s = String(Math.floor(left % 60)).padStart(2, "0");
  $("#clock").textContent = `${m}:${s}`;
  $("#clock-bar").style.width = `${100 * (1 - left / show.clockTotal)}%`;
  $("#clock").classList.toggle("over", left === 0);
}

setupLanguageToggle($("#lang"), render);
window.addEventListener("resize", render);
$("#replay").addEventListener("click", replay);
$("#clock-form").addEventListener("submit", startClock);
setInterval(() => {
  if (!show.reveal) refresh(); // after the reveal nothing changes: no more asking
}, PROJECTOR_POLL_MS);
setInterval(tickClock, 250);
refresh();
