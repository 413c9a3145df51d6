// Shared by the team page and the teacher's page: talking to the server, showing
// numbers and errors, and drawing the coordinate plot as inline SVG.
"use strict";

// ---- the server ---------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, params) {
    super(message);
    this.status = status;
    this.code = code;
    this.params = params || {};
  }
}

// fetch() a JSON API; a refused request throws ApiError with the server's code.
async function api(method, path, { body, headers = {} } = {}) {
  const options = { method, headers: { ...headers }, cache: "no-store" };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, "network", String(error));
  }
  const type = response.headers.get("Content-Type") || "";
  const data = type.includes("application/json") ? await response.json() : await response.text();
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || "http_" + response.status,
      error.message || response.statusText, error.params);
  }
  return data;
}

// A refusal in the current language (the server's English message as a fallback).
function errorText(error) {
  const key = "err_" + error.code;
  const params = { ...error.params };
  for (const name of ["x_min", "x_max", "x"]) {
    if (typeof params[name] === "number") params[name] = fmt(params[name]);
  }
  const text = t(key, params);
  return text === key ? error.message : text;
}

// ---- numbers --------------------------------------------------------------------

// Five significant digits, without trailing zeros: 1.5, 0.00012346, 2.3457e+21.
function fmt(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value === 0) return "0";
  return String(Number(value.toPrecision(5)));
}

// Digits and signs typed with a Chinese input method are full-width: make them plain.
function normalizeNumberText(text) {
  return text
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFF10 + 48))
    .replace(/[\uFF0E\u3002]/g, ".")
    .replace(/[\uFF0D\u2212\u2013]/g, "-")
    .replace(/\uFF0B/g, "+")
    .replace(/[\uFF45\uFF25]/g, "e")
    .trim();
}

// ---- small DOM helpers ----------------------------------------------------------

function $(selector, root = document) {
  return root.querySelector(selector);
}

function element(tag, attributes = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "text") node.textContent = value;
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// A distinct, steady colour for a team number: twelve well-separated colours,
// then golden-angle hues for larger classes.
const TEAM_COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#0f9ba8",
  "#c71585", "#808000", "#9a6324", "#000075", "#b8860b", "#2f4f4f"];
function teamColor(team) {
  if (team >= 1 && team <= TEAM_COLORS.length) return TEAM_COLORS[team - 1];
  return `hsl(${(team * 137.508) % 360}, 65%, 40%)`;
}

// ---- the plot -------------------------------------------------------------------

const SVG_NS = "http://www.w3.org/2000/svg";
const PLOT = { left: 64, right: 20, top: 20, bottom: 48, tangent: 46 };

// The drawing is as wide as the plot on screen (400 to 800 units), so its text
// keeps a readable size on a phone as on a projector.
function plotSize(svg) {
  const width = Math.round(Math.min(800, Math.max(400, svg.clientWidth || 800)));
  return { width, height: Math.round(width * 0.6) };
}

function svgNode(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Round numbers for the ticks of an axis from `low` to `high`.
function niceTicks(low, high, count) {
  const raw = (high - low) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || 10 * power;
  const ticks = [];
  for (let v = Math.ceil(low / step) * step; v <= high + step * 1e-9; v += step) {
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return ticks;
}

// Draw the coordinate plot into `svg`.
//
// options.xMin, options.xMax : the level's range (the x axis)
// options.curve              : {x: [...], y: [...]} the true function, or null
// options.series             : [{points: [{x, fx, slope}], color, kind, tangents, numbered, line, label}]
//   (numbered: each point shows its guess number; label: the last point shows this text)
//   kind "own" points get class guess-point, "other" other-point, "computer" computer-point;
//   each tangent is a <line class="tangent">, the same length on screen whatever its slope.
function drawPlot(svg, options) {
  const { xMin, xMax } = options;
  const curve = options.curve;
  const series = options.series || [];
  const { width, height } = plotSize(svg);
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);

  // The y range holds every point (and the curve, when shown), with a margin.
  const ys = [];
  for (const s of series) for (const p of s.points) if (Number.isFinite(p.fx)) ys.push(p.fx);
  if (curve) for (const y of curve.y) if (Number.isFinite(y)) ys.push(y);
  let yMin = ys.length ? Math.min(...ys) : 0;
  let yMax = ys.length ? Math.max(...ys) : 1;
  if (yMax - yMin < 1e-9) {
    const pad = Math.max(1, Math.abs(yMin) * 0.5);
    yMin -= pad;
    yMax += pad;
  }
  const margin = (yMax - yMin) * 0.1;
  yMin -= margin;
  yMax += margin;

  const plotW = width - PLOT.left - PLOT.right;
  const plotH = height - PLOT.top - PLOT.bottom;
  const sx = (x) => PLOT.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y) => PLOT.top + ((yMax - y) / (yMax - yMin)) * plotH;

  const defs = svgNode("defs");
  const clip = svgNode("clipPath", { id: "plot-area" });
  clip.append(svgNode("rect", { x: PLOT.left, y: PLOT.top, width: plotW, height: plotH }));
  defs.append(clip);
  svg.append(defs);
  svg.append(svgNode("rect", { class: "plot-bg", x: PLOT.left, y: PLOT.top, width: plotW, height: plotH }));

  // Grid, ticks and axes.
  const grid = svgNode("g", { class: "grid" });
  for (const x of niceTicks(xMin, xMax, width < 600 ? 5 : 10)) {
    grid.append(svgNode("line", { x1: sx(x), x2: sx(x), y1: PLOT.top, y2: PLOT.top + plotH,
      class: x === 0 ? "axis-line" : "grid-line" }));
    grid.append(svgNode("text", { x: sx(x), y: PLOT.top + plotH + 18, class: "tick", "text-anchor": "middle" }, fmt(x)));
  }
  for (const y of niceTicks(yMin, yMax, 7)) {
    grid.append(svgNode("line", { x1: PLOT.left, x2: PLOT.left + plotW, y1: sy(y), y2: sy(y),
      class: y === 0 ? "axis-line" : "grid-line" }));
    grid.append(svgNode("text", { x: PLOT.left - 8, y: sy(y) + 4, class: "tick", "text-anchor": "end" }, fmt(y)));
  }
  grid.append(svgNode("text", { x: PLOT.left + plotW, y: height - 6, class: "axis-name", "text-anchor": "end" }, "x"));
  grid.append(svgNode("text", { x: 8, y: PLOT.top + 10, class: "axis-name" }, "f(x)"));
  svg.append(grid);

  const area = svgNode("g", { "clip-path": "url(#plot-area)" });
  svg.append(area);

  if (curve) {
    let d = "";
    let pen = false;
    curve.x.forEach((x, i) => {
      const y = curve.y[i];
      if (!Number.isFinite(y)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`;
      pen = true;
    });
    area.append(svgNode("path", { d, class: "true-curve" }));
  }

  const labels = [];
  for (const s of series) {
    const points = s.points.filter((p) => Number.isFinite(p.fx));
    const group = svgNode("g", { class: `series series-${s.kind}` });
    if (s.line && points.length > 1) {
      const d = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.fx).toFixed(1)}`).join("");
      group.append(svgNode("path", { d, class: "path-line", stroke: s.color }));
    }
    points.forEach((p, i) => {
      const cx = sx(p.x);
      const cy = sy(p.fx);
      if (s.tangents && Number.isFinite(p.slope)) {
        // Direction (1, slope) in data units, turned into screen units and scaled
        // to the same length for every point.
        const dx = plotW / (xMax - xMin);
        const dy = (-p.slope * plotH) / (yMax - yMin);
        const norm = Math.hypot(dx, dy);
        const ux = (dx / norm) * PLOT.tangent;
        const uy = (dy / norm) * PLOT.tangent;
        group.append(svgNode("line", { class: "tangent", x1: cx - ux, y1: cy - uy, x2: cx + ux, y2: cy + uy,
          stroke: s.color }));
      }
      const last = s.highlightLast && i === points.length - 1;
      group.append(svgNode("circle", { class: `${s.kind === "own" ? "guess" : s.kind}-point${last ? " latest" : ""}`,
        cx, cy, r: s.kind === "other" ? 4 : 6, fill: s.color }));
      if (s.numbered) {
        labels.push({ cx, cy, text: String(p.number ?? i + 1) });
      } else if (s.label && i === points.length - 1) {
        labels.push({ cx, cy, text: s.label, color: s.color });
      }
    });
    area.append(group);
  }
  placeLabels(svg, labels, { left: PLOT.left, top: PLOT.top, right: PLOT.left + plotW, bottom: PLOT.top + plotH });
}

// Put each point's label next to it where it is neither cut off by the plot's edge
// nor on top of a label already placed: above right, below right, above left, below
// left, then further out. Labels are drawn outside the clipped area, so a point near
// the top keeps its number.
function placeLabels(svg, labels, box) {
  const placed = [];
  const layer = svgNode("g", { class: "labels" });
  const overlaps = (a, b) => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
  for (const label of labels) {
    const w = 8 * label.text.length + 2;
    const h = 14;
    let best = null;
    for (const reach of [1, 2, 3]) {
      for (const [dx, dy] of [[8, -9], [8, 19], [-8 - w, -9], [-8 - w, 19]]) {
        const x = label.cx + dx * (dx > 0 ? reach : 1) - (dx < 0 ? 8 * (reach - 1) : 0);
        const y = label.cy + (dy < 0 ? dy - h * (reach - 1) : dy + h * (reach - 1));
        const rect = { x1: x, x2: x + w, y1: y - h + 3, y2: y + 3 };
        const inside = rect.x1 >= box.left && rect.x2 <= box.right + 16 && rect.y1 >= box.top - 16
          && rect.y2 <= box.bottom;
        if (inside && !placed.some((other) => overlaps(rect, other))) {
          best = { x, y, rect };
          break;
        }
      }
      if (best) break;
    }
    if (!best) continue; // no free place near the point: better no number than an unreadable pile
    placed.push(best.rect);
    const attributes = { class: "point-label", x: best.x, y: best.y };
    if (label.color) attributes.fill = label.color;
    layer.append(svgNode("text", attributes, label.text));
  }
  svg.append(layer);
}

// A legend row: a coloured swatch and a label.
function legendItem(color, label, kind = "dot") {
  const swatch = element("span", { class: `swatch swatch-${kind}` });
  swatch.style.background = kind === "line" ? "transparent" : color;
  swatch.style.borderColor = color;
  return element("span", { class: "legend-item" }, [swatch, label]);
}

// ---- the 2-D map ------------------------------------------------------------------

// The colour of a height t from 0 (lowest, dark blue) to 1 (highest, pale yellow).
function mapColor(t) {
  const stops = [[31, 78, 121], [42, 157, 143], [233, 196, 106], [253, 246, 227]];
  const position = Math.min(0.999, Math.max(0, t)) * (stops.length - 1);
  const i = Math.floor(position);
  const f = position - i;
  const mix = stops[i].map((c, k) => Math.round(c + f * (stops[i + 1][k] - c)));
  return `rgb(${mix[0]},${mix[1]},${mix[2]})`;
}

const CONTOUR_BANDS = 14;

// Draw a 2-D level into `svg`: a filled contour map of the hidden f(x, y) (when
// options.grid is given), and each series' points with an arrow of minus the
// gradient: the way downhill.
//
// options.xMin, xMax, yMin, yMax : the level's ranges
// options.grid                    : {x: [...], y: [...], z: [[...] per y]} or null
// options.series                  : [{points: [{x, y, fx, slope, slope_y}], color, kind, arrows, numbered,
//                                     line, label}]
function drawMap(svg, options) {
  const { xMin, xMax, yMin, yMax } = options;
  const series = options.series || [];
  const { width, height } = plotSize(svg);
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const plotW = width - PLOT.left - PLOT.right;
  const plotH = height - PLOT.top - PLOT.bottom;
  const sx = (x) => PLOT.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const sy = (y) => PLOT.top + ((yMax - y) / (yMax - yMin)) * plotH;

  const defs = svgNode("defs");
  const clip = svgNode("clipPath", { id: "map-area" });
  clip.append(svgNode("rect", { x: PLOT.left, y: PLOT.top, width: plotW, height: plotH }));
  defs.append(clip);
  svg.append(defs);
  svg.append(svgNode("rect", { class: "plot-bg", x: PLOT.left, y: PLOT.top, width: plotW, height: plotH }));
  const area = svgNode("g", { "clip-path": "url(#map-area)" });
  svg.append(area);

  if (options.grid) {
    // Bands on a logarithmic scale of the height above the lowest point, so the
    // valley floor, where the game is played, gets as many bands as the walls.
    const { x: gx, y: gy, z } = options.grid;
    let zMin = Infinity;
    let zMax = -Infinity;
    for (const row of z) for (const v of row) if (Number.isFinite(v)) { zMin = Math.min(zMin, v); zMax = Math.max(zMax, v); }
    const scale = Math.log1p(Math.max(zMax - zMin, 1e-12));
    const band = (v) => Math.floor((Math.log1p(v - zMin) / scale) * CONTOUR_BANDS) / CONTOUR_BANDS;
    const map = svgNode("g", { class: "contour-map" });
    const cw = plotW / (gx.length - 1);
    const ch = plotH / (gy.length - 1);
    z.forEach((row, j) => row.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      map.append(svgNode("rect", { x: (sx(gx[i]) - cw / 2).toFixed(1), y: (sy(gy[j]) - ch / 2).toFixed(1),
        width: (cw + 0.6).toFixed(1), height: (ch + 0.6).toFixed(1), fill: mapColor(band(v)) }));
    }));
    area.append(map);
  }

  const grid = svgNode("g", { class: "grid" });
  for (const x of niceTicks(xMin, xMax, width < 600 ? 5 : 10)) {
    grid.append(svgNode("line", { x1: sx(x), x2: sx(x), y1: PLOT.top, y2: PLOT.top + plotH,
      class: x === 0 ? "axis-line" : "grid-line" }));
    grid.append(svgNode("text", { x: sx(x), y: PLOT.top + plotH + 18, class: "tick", "text-anchor": "middle" }, fmt(x)));
  }
  for (const y of niceTicks(yMin, yMax, 6)) {
    grid.append(svgNode("line", { x1: PLOT.left, x2: PLOT.left + plotW, y1: sy(y), y2: sy(y),
      class: y === 0 ? "axis-line" : "grid-line" }));
    grid.append(svgNode("text", { x: PLOT.left - 8, y: sy(y) + 4, class: "tick", "text-anchor": "end" }, fmt(y)));
  }
  grid.append(svgNode("text", { x: PLOT.left + plotW, y: height - 6, class: "axis-name", "text-anchor": "end" }, "x"));
  grid.append(svgNode("text", { x: 8, y: PLOT.top + 10, class: "axis-name" }, "y"));
  svg.append(grid);

  const labels = [];
  for (const s of series) {
    const points = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const group = svgNode("g", { class: `series series-${s.kind}` });
    if (s.line && points.length > 1) {
      const d = points.map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
      group.append(svgNode("path", { d, class: "path-line", stroke: s.color }));
    }
    points.forEach((p, i) => {
      const cx = sx(p.x);
      const cy = sy(p.y);
      if (s.arrows && Number.isFinite(p.slope) && Number.isFinite(p.slope_y)) {
        // Minus the gradient, in screen units, drawn the same length everywhere.
        const dx = (-p.slope * plotW) / (xMax - xMin);
        const dy = (p.slope_y * plotH) / (yMax - yMin);
        const norm = Math.hypot(dx, dy);
        if (norm > 0) {
          const ux = dx / norm;
          const uy = dy / norm;
          const tipX = cx + ux * PLOT.tangent;
          const tipY = cy + uy * PLOT.tangent;
          group.append(svgNode("line", { class: "gradient-arrow", x1: cx, y1: cy, x2: tipX, y2: tipY, stroke: s.color }));
          const head = [[tipX, tipY], [tipX - 9 * ux + 5 * uy, tipY - 9 * uy - 5 * ux],
            [tipX - 9 * ux - 5 * uy, tipY - 9 * uy + 5 * ux]];
          group.append(svgNode("polygon", { class: "arrow-head", fill: s.color,
            points: head.map((q) => q.map((v) => v.toFixed(1)).join(",")).join(" ") }));
        }
      }
      const last = s.highlightLast && i === points.length - 1;
      group.append(svgNode("circle", { class: `${s.kind === "own" ? "guess" : s.kind}-point${last ? " latest" : ""}`,
        cx, cy, r: s.kind === "other" ? 4 : 6, fill: s.color }));
      if (s.numbered) labels.push({ cx, cy, text: String(p.number ?? i + 1) });
      else if (s.label && i === points.length - 1) labels.push({ cx, cy, text: s.label, color: s.color });
    });
    area.append(group);
  }
  placeLabels(svg, labels, { left: PLOT.left, top: PLOT.top, right: PLOT.left + plotW, bottom: PLOT.top + plotH });
}

// Draw a level's plot: the curve for a 1-D level, the map for a 2-D one.
function drawLevel(svg, level, curve, series) {
  if (level.dimensions === 2) {
    drawMap(svg, { xMin: level.x_min, xMax: level.x_max, yMin: level.y_min, yMax: level.y_max, grid: curve, series });
  } else {
    drawPlot(svg, { xMin: level.x_min, xMax: level.x_max, curve, series });
  }
}

// A point as the tables show it: "x" on a curve, "(x, y)" on a map.
function fmtPoint(p) {
  return p.y === undefined || p.y === null ? fmt(p.x) : `(${fmt(p.x)}, ${fmt(p.y)})`;
}

// The slope, or the gradient "(gx, gy)" on a map.
function fmtSlope(p) {
  return p.slope_y === undefined || p.slope_y === null ? fmt(p.slope) : `(${fmt(p.slope)}, ${fmt(p.slope_y)})`;
}
