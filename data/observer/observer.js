// SPDX-License-Identifier: MIT
// observer.js — the otter observer's dashboard: polls the JSON API of
// the endpoint that served it, once a second, and draws the supervision
// tree (SVG), the restart and crash history (canvas) and the process
// table. Everything shown is set as text (textContent), never as HTML:
// names and labels are the program's, not ours.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:")
    ? document.createElementNS(SVG, tag.slice(4))
    : document.createElement(tag);
  for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function api(path) {
  const r = await fetch(path, { cache: "no-store" });
  const body = await r.json();
  if (body.error) throw new Error(path + ": " + body.error);
  return body;
}

// ---- the tree ---------------------------------------------------------

// Lays out the tree left to right: a leaf per row, a parent in the middle
// of its children's rows, a column per depth.
function layout(node, depth, rows) {
  node.depth = depth;
  const kids = node.children || [];
  if (kids.length === 0) {
    node.row = rows.n++;
  } else {
    for (const k of kids) layout(k, depth + 1, rows);
    node.row = (kids[0].row + kids[kids.length - 1].row) / 2;
  }
  rows.depth = Math.max(rows.depth, depth);
}

// A node's text: its id (a dynamic child has none: its label or name),
// and below it, smaller, its registered name or label when they differ.
function label(n) {
  const main = n.id || n.label || n.name || n.pid || "?";
  const sub = [n.name, n.label].filter((x) => x && x !== main).join(" ");
  return [main, sub];
}

function drawTree(t) {
  const box = $("tree");
  box.replaceChildren();
  const roots = t.roots || [];
  $("tree-summary").textContent =
    roots.length + " root(s), " + t.supervisors + " supervisor(s)";
  if (roots.length === 0) {
    box.append(el("p", { class: "empty" }, "no supervisors"));
    return;
  }
  const top = { children: roots, virtual: true };
  const rows = { n: 0, depth: 0 };
  layout(top, -1, rows);
  const COL = 170, ROW = 32, X0 = 14, Y0 = 16;
  const w = X0 + rows.depth * COL + 220, h = Y0 + rows.n * ROW;
  const svg = el("svg:svg", { width: w, height: h, viewBox: `0 0 ${w} ${h}` });
  const at = (n) => [X0 + n.depth * COL, Y0 + n.row * ROW];
  const walk = (n) => {
    for (const k of n.children || []) {
      if (!n.virtual) {
        const [x1, y1] = at(n), [x2, y2] = at(k), mx = (x1 + x2) / 2;
        svg.append(el("svg:path", {
          class: "edge",
          d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`,
        }));
      }
      walk(k);
    }
    if (n.virtual) return;
    const [x, y] = at(n);
    const g = el("svg:g", {
      class: "node " + (n.status === "running" ? n.type : n.status),
      "data-id": n.id || "", "data-pid": n.pid || "",
    });
    g.append(el("svg:circle", { cx: x, cy: y, r: n.type === "supervisor" ? 7 : 5 }));
    const [main, sub] = label(n);
    g.append(el("svg:text", { x: x + 11, y: y + 4 }, main));
    const line2 = el("svg:text", { class: "sub", x: x + 11, y: y + 16 }, sub);
    if (n.restarts) {
      line2.append(el("svg:tspan", { class: "restarts", dx: sub ? 6 : 0 },
        "↻ " + n.restarts));
    }
    g.append(line2);
    g.append(el("svg:title", {}, (n.pid || "not running") +
      (n.restarts !== undefined ? ", restarts: " + n.restarts : "")));
    svg.append(g);
  };
  walk(top);
  box.append(svg);
}

// ---- the history ------------------------------------------------------

function drawHistory(hist) {
  const c = $("history"), ctx = c.getContext("2d");
  const W = c.width, H = c.height, pad = 18;
  ctx.clearRect(0, 0, W, H);
  const n = hist.seconds, cr = hist.crashes, rs = hist.restarts;
  let max = 1;
  for (let i = 0; i < n; i++) max = Math.max(max, cr[i], rs[i]);
  const bw = (W - pad) / n, css = getComputedStyle(document.documentElement);
  ctx.fillStyle = "#999";
  ctx.font = "11px sans-serif";
  ctx.fillText(String(max), 2, 10);
  ctx.fillText("-5 min", pad, H - 2);
  ctx.fillText("now", W - 22, H - 2);
  const base = H - 14, scale = (base - 12) / max;
  for (let i = 0; i < n; i++) {
    const x = pad + i * bw;
    if (rs[i]) {
      ctx.fillStyle = css.getPropertyValue("--restart") || "#2f6fb0";
      ctx.fillRect(x, base - rs[i] * scale, Math.max(1, bw / 2), rs[i] * scale);
    }
    if (cr[i]) {
      ctx.fillStyle = css.getPropertyValue("--crash") || "#c0392b";
      ctx.fillRect(x + bw / 2, base - cr[i] * scale, Math.max(1, bw / 2),
        cr[i] * scale);
    }
  }
  $("history-summary").textContent =
    hist.crashes_total + " crash(es), " + hist.restarts_total + " restart(s)";
  const ol = $("events");
  ol.replaceChildren();
  for (const e of hist.events) {
    const when = new Date(e.wall_ms).toLocaleTimeString();
    ol.append(el("li", { class: e.kind },
      `${when} ${e.kind} ${e.name || e.pid || ""} ${e.what || ""}`));
  }
}

// ---- the processes ----------------------------------------------------

function drawPs(ps) {
  $("ps-summary").textContent =
    ps.processes.length + " of " + ps.total + " by " + ps.sort;
  const body = $("ps-body");
  body.replaceChildren();
  for (const p of ps.processes) {
    if (p.gone) continue; // ended between the walk and its details
    const tr = el("tr");
    tr.append(el("td", { class: "pid" }, p.pid));
    for (const k of ["name", "label", "behaviour", "entry", "status"])
      tr.append(el("td", {}, p[k] || ""));
    for (const k of ["mailbox", "memory", "messages_in"])
      tr.append(el("td", { class: "n" }, String(p[k] ?? "")));
    body.append(tr);
  }
}

// ---- the loop ---------------------------------------------------------

async function refresh() {
  const sort = $("ps-sort").value;
  try {
    const [tree, ps, hist] = await Promise.all([
      api("/api/tree"),
      api("/api/ps?sort=" + encodeURIComponent(sort) + "&limit=50"),
      api("/api/history"),
    ]);
    drawTree(tree);
    drawPs(ps);
    drawHistory(hist);
    const s = $("status");
    s.className = "status";
    s.textContent = "live, updated " + new Date().toLocaleTimeString();
    document.body.dataset.updated = String(Date.now());
  } catch (err) {
    const s = $("status");
    s.className = "status error";
    s.textContent = "not reachable: " + err.message;
  }
}

refresh();
setInterval(refresh, 1000);
$("ps-sort").addEventListener("change", refresh);
