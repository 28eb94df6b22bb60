// Baton's console: each page's figures, read from and written to the /v1 API with the
// browser's console session (its cookie, and its CSRF token on every change).
"use strict";

const P = JSON.parse(document.getElementById("page-data").textContent);
const LOCALE = P.language === "zh" ? "zh-CN" : "en-GB";
const REFRESH_MS = 15000;

// ---- words, numbers, times -------------------------------------------------------------

function T(key, values) {
  let text = P.texts[key] || key;
  for (const [name, value] of Object.entries(values || {})) {
    text = text.split("{" + name + "}").join(String(value));
  }
  return text;
}

const hqTime = new Intl.DateTimeFormat(LOCALE, {
  timeZone: P.hq_timezone, dateStyle: "short", timeStyle: "short",
});
const hqDay = new Intl.DateTimeFormat("en-CA", {
  timeZone: P.hq_timezone, year: "numeric", month: "2-digit", day: "2-digit",
});

const hqClock = new Intl.DateTimeFormat("en-CA", {
  timeZone: P.hq_timezone, year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", hourCycle: "h23",
});

// An instant as HQ's wall clock, "YYYY-MM-DD HH:MM", which is how Plotly takes a date.
function wall(iso) {
  const parts = Object.fromEntries(hqClock.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

function when(iso) {
  return iso ? hqTime.format(new Date(iso)) : "";
}

function today(offsetDays) {
  const day = new Date(Date.now() + (offsetDays || 0) * 86400000);
  return hqDay.format(day); // YYYY-MM-DD in HQ's time zone
}

function money(minor, currency) {
  if (minor === null || minor === undefined) return "";
  const format = new Intl.NumberFormat(LOCALE, { style: "currency", currency: currency || "CNY" });
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(minor / 10 ** digits);
}

function percent(rate) {
  return rate === null || rate === undefined ? "–" : Math.round(rate * 100) + "%";
}

function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 120 ? Math.round(value) + " s" : Math.round(value / 60) + " min";
}

function status(value) {
  return T("status." + value) === "status." + value ? value : T("status." + value);
}

// ---- the API -----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || "HTTP " + status);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options) {
  const init = { method: "GET", credentials: "same-origin", headers: { Accept: "application/json" } };
  if (options && options.method) init.method = options.method;
  if (init.method !== "GET") init.headers["X-CSRF-Token"] = P.csrf;
  if (options && options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    window.location.assign("/console/sign-in?m=ended");
    throw new ApiError(401, null);
  }
  const body = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

function query(params) {
  const kept = Object.entries(params).filter(([, v]) => v !== "" && v !== null && v !== undefined);
  return kept.length ? "?" + new URLSearchParams(kept).toString() : "";
}

// ---- building the page ---------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function slot(name) {
  return document.querySelector(`[data-table="${name}"]`);
}

function link(href, text) {
  return el("a", { href }, text);
}

function orderLink(id) {
  return id ? link("/console/orders/" + encodeURIComponent(id), id.slice(0, 14)) : "";
}

function dealerLink(id) {
  return id ? link("/console/dealers/" + encodeURIComponent(id), id) : "";
}

// A column: [heading text key, row -> cell (text or a node), optional class].
function table(target, columns, rows, append) {
  let body = target.querySelector("tbody");
  if (!append || !body) {
    target.replaceChildren();
    if (!rows.length) {
      target.append(el("p", { class: "muted", text: T("none") }));
      return;
    }
    const head = el("tr", {}, columns.map(([key, , cls]) => el("th", { class: cls, text: T(key) })));
    body = el("tbody");
    target.append(el("div", { class: "scroll" }, el("table", {}, el("thead", {}, head), body)));
  }
  for (const row of rows) {
    body.append(el("tr", {}, columns.map(([, cell, cls]) => el("td", { class: cls }, cell(row)))));
  }
}

function failed(target, error) {
  target.replaceChildren(el("p", { class: "error", role: "alert", text: T("error", { message: error.message }) }));
}

// A filtered list read a page at a time, with a More button and a CSV link of the same filter.
function listing({ path, name, columns, target, form, limit, fixed }) {
  form = form || document.querySelector("[data-filters]");
  let cursor = null;
  const more = el("button", { type: "button", class: "more", text: T("more") });
  const params = () => {
    const given = form ? Object.fromEntries(new FormData(form).entries()) : {};
    return Object.assign(given, fixed || {});
  };
  async function load(append) {
    const asked = Object.assign(params(), { limit: limit || 50 }, append ? { cursor } : {});
    try {
      const body = await api(path + query(asked));
      table(target, columns, body[name], append);
      cursor = body.next_cursor;
      more.hidden = !cursor;
      target.append(more);
    } catch (error) {
      failed(target, error);
    }
    const csv = form && form.querySelector("[data-csv]");
    if (csv) csv.href = path + query(Object.assign(params(), { format: "csv" }));
  }
  more.addEventListener("click", () => load(true));
  if (form) {
    form.addEventListener("submit", (event) => { event.preventDefault(); load(false); });
    form.addEventListener("reset", () => setTimeout(() => load(false), 0));
  }
  load(false);
  return load;
}

// ---- forms: named-field errors beside the field, a preview before the change -----------------

function clearErrors(form) {
  for (const node of form.querySelectorAll("[data-error-for]")) node.textContent = "";
  for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
}

function showErrors(form, error) {
  clearErrors(form);
  const fields = (error.body && error.body.error && error.body.error.fields) || [];
  let placed = false;
  for (const problem of fields) {
    const name = problem.field.split(/[.[]/)[0];
    const slotFor = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    if (slotFor && name) {
      slotFor.textContent = problem.message;
      const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
      if (input) input.setAttribute("aria-invalid", "true");
      placed = true;
    }
  }
  if (!placed) form.querySelector('[data-error-for=""]').textContent = error.message;
}

function listOf(text) {
  return text.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
}

function localTime(value) {
  return value ? value.replace("T", " ") : undefined; // HQ time, without an offset
}

// A form with Preview and a submit button that works only on what was previewed.
function previewed(form, { body, preview, submit, shown, done }) {
  const go = form.querySelector('[type="submit"]');
  const box = form.querySelector("[data-preview]");
  let asked = null;
  form.addEventListener("input", () => { go.disabled = true; asked = null; });
  form.querySelector('[data-action="preview"]').addEventListener("click", async () => {
    clearErrors(form);
    box.replaceChildren();
    try {
      const made = body(form);
      const answer = await api(preview(made), { method: "POST", body: made });
      box.replaceChildren(...shown(answer));
      asked = made;
      go.disabled = false;
    } catch (error) {
      showErrors(form, error);
    }
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!asked) return;
    go.disabled = true;
    try {
      const answer = await submit(asked);
      box.replaceChildren(el("p", { class: "ok", role: "status", text: T("pricing.done") }));
      form.reset();
      asked = null;
      if (done) done(answer);
    } catch (error) {
      showErrors(form, error);
    }
  });
}

// ---- charts (Plotly, served by Baton from the plotly package) ------------------------------

const STATUS_COLOURS = {
  received: "#9aa5b1", waiting_for_hq: "#d64545", offered: "#f0b429", accepted: "#2680c2",
  ready_for_pickup: "#40c3f7", out_for_delivery: "#7b61ff", completed: "#3ebd93",
  cancelled: "#616e7c", returned: "#e66a6a", rejected: "#323f4b",
};

// Orders by status as stacked bars, one a period (ms) from ``first`` to ``last`` (HQ days).
function stacked(target, rows, period, first, last, timeFormat) {
  const byStatus = {};
  for (const row of rows) {
    const series = (byStatus[row.value] = byStatus[row.value] || { x: [], y: [] });
    series.x.push(wall(row.at));
    series.y.push(row.orders);
  }
  const traces = Object.entries(byStatus).map(([value, s]) => ({
    type: "bar", name: status(value), x: s.x, y: s.y, width: period * 0.8,
    offset: period * 0.1, marker: { color: STATUS_COLOURS[value] },
  }));
  const layout = {
    barmode: "stack", margin: { t: 10, r: 10, b: 40, l: 40 }, height: 260,
    legend: { orientation: "h", y: -0.2 },
    xaxis: { type: "date", tickformat: timeFormat, range: [first + " 00:00", last + " 24:00"] },
    yaxis: { rangemode: "tozero", tickformat: "d" },
  };
  Plotly.react(target, traces, layout, { displayModeBar: false, responsive: true });
}

// ---- the pages -----------------------------------------------------------------------------

const ORDER_COLUMNS = [
  ["col.order", (o) => orderLink(o.id)],
  ["col.external_id", (o) => o.external_id],
  ["col.channel", (o) => o.channel],
  ["col.status", (o) => el("span", { class: "status " + o.status, text: status(o.status) })],
  ["col.region", (o) => o.region],
  ["col.fulfilling", (o) => dealerLink(o.fulfilling_dealer_id)],
  ["col.originating", (o) => dealerLink(o.originating_dealer_id)],
  ["col.amount", (o) => money(o.amount_minor, o.currency), "num"],
  ["col.created", (o) => when(o.created_at)],
];

const SCORE_COLUMNS = [
  ["col.dealer", (d) => dealerLink(d.dealer_id)],
  ["col.offers", (d) => d.offers, "num"],
  ["col.accepted", (d) => d.accepted, "num"],
  ["col.declined", (d) => d.declined, "num"],
  ["col.expired", (d) => d.expired, "num"],
  ["overview.acceptance", (d) => percent(d.acceptance_rate), "num"],
  ["col.median", (d) => seconds(d.accept_p50_s), "num"],
  ["col.pickups_locked", (d) => d.pickups_locked, "num"],
  ["col.returns", (d) => d.returns, "num"],
  ["col.stock_days", (d) => d.days_since_stock_report ?? "–", "num"],
];

const EARNINGS_COLUMNS = [
  ["col.currency", (c) => c.currency],
  ["col.fulfilment", (c) => c.by_kind.fulfilment, "num"],
  ["col.referral", (c) => c.by_kind.referral, "num"],
  ["col.held", (c) => c.by_state.held, "num"],
  ["col.pending", (c) => c.by_state.pending, "num"],
  ["col.available", (c) => c.by_state.available, "num"],
  ["col.paid", (c) => c.by_state.paid, "num"],
  ["col.cash_owed", (c) => c.cash_owed, "num"],
  ["col.net", (c) => c.net, "num"],
];

function tile(name, value) {
  const node = document.querySelector(`[data-tile="${name}"]`);
  if (node) node.textContent = value;
}

async function overview() {
  const week = { from: today(-6), to: today(0) };
  const [hours, days, offers, recent] = await Promise.all([
    api("/v1/stats/orders" + query({ period: "hour", from: today(0), to: today(0) })),
    api("/v1/stats/orders" + query(Object.assign({ period: "day" }, week))),
    api("/v1/stats/offers" + query(week)),
    api("/v1/orders?limit=10"),
  ]);
  const sum = (rows, field) => rows.reduce((total, row) => total + row[field], 0);
  tile("today_orders", sum(hours.rows, "orders"));
  const currency = (hours.rows[0] || days.rows[0] || {}).currency || "CNY";
  tile("today_amount", money(sum(hours.rows.filter((r) => r.currency === currency), "amount_minor"), currency));
  tile("week_orders", sum(days.rows, "orders"));
  tile("waiting", hours.waiting_for_hq);
  const network = offers.network;
  tile("acceptance", percent(network.acceptance_rate));
  tile("p50", seconds(network.accept_p50_s));
  tile("p90", seconds(network.accept_p90_s));
  stacked(document.getElementById("chart-hours"), hours.rows, 3600000, today(0), today(0), "%H:%M");
  stacked(document.getElementById("chart-days"), days.rows, 86400000, week.from, week.to, "%m-%d");
  table(slot("declines"), [["col.reason", (r) => T(r[0])], ["col.declined", (r) => r[1], "num"]], [
    ["reason.out_of_stock", network.declined_out_of_stock], ["reason.too_busy", network.declined_too_busy],
    ["reason.cannot_deliver", network.declined_cannot_deliver], ["reason.other", network.declined_other],
    ["col.expired", network.expired],
  ]);
  table(slot("recent"), ORDER_COLUMNS, recent.orders);
  try {
    const expiring = await api("/v1/offers" + query({ expiring_within: 900, limit: 10 }));
    table(slot("expiring"), [
      ["col.order", (o) => orderLink(o.order_id)],
      ["col.dealer", (o) => dealerLink(o.dealer_id)],
      ["col.expires", (o) => when(o.expires_at)],
      ["col.left", (o) => seconds(o.seconds_left), "num"],
    ], expiring.offers);
  } catch (error) {
    failed(slot("expiring"), error);
  }
  document.querySelector("[data-updated]").textContent = T("updated", { time: when(new Date().toISOString()) });
}

function orders() {
  listing({ path: "/v1/orders", name: "orders", columns: ORDER_COLUMNS, target: slot("orders") });
}

function facts(target, pairs) {
  target.replaceChildren(...pairs.flatMap(([key, value]) => [el("dt", { text: T(key) }), el("dd", {}, value)]));
}

function routingAttempt(decision) {
  const seen = decision.seen || {};
  const fact = (id, f) => (seen[id] ? f(seen[id]) : "–");
  const chosen = el("div");
  table(chosen, [
    ["col.rank", (c) => c.rank, "num"],
    ["col.dealer", (c) => dealerLink(c.dealer_id)],
    ["col.score", (c) => c.score.toFixed(3), "num"],
    ["col.distance", (c) => fact(c.dealer_id, (s) => s.distance_km), "num"],
    ["col.available", (c) => fact(c.dealer_id, (s) => Object.entries(s.available).map(([k, v]) => k + ": " + v).join(", "))],
    ["col.open_offers", (c) => fact(c.dealer_id, (s) => s.open_offers), "num"],
    ["col.load", (c) => fact(c.dealer_id, (s) => s.load_today + (s.capacity ? " / " + s.capacity : "")), "num"],
    ["col.components", (c) => Object.entries(c.components).map(([k, v]) => k + " " + v.toFixed(2)).join(" · ")],
    ["col.tiers", (c) => Object.entries(c.tiers).map(([k, v]) => k + " " + v).join(", ")],
  ], decision.chosen);
  const excluded = el("div");
  table(excluded, [
    ["col.dealer", (e) => dealerLink(e[0])],
    ["col.rule", (e) => e[1].rule],
    ["col.reason", (e) => e[1].reason],
    ["col.distance", (e) => fact(e[0], (s) => s.distance_km), "num"],
  ], Object.entries(decision.excluded));
  return el("article", { class: "attempt", "data-test": "routing-attempt" },
    el("h3", { text: T("order.attempt", { n: decision.attempt, mode: decision.mode, k: decision.k }) + " · " + when(decision.decided_at) }),
    el("h4", { text: T("order.chosen") }), chosen,
    el("h4", { text: T("order.excluded") }), excluded,
    decision.beyond_their_radius ? el("p", { class: "muted", text: T("order.beyond", { n: decision.beyond_their_radius }) }) : null);
}

async function order() {
  const id = P.args.order_id;
  let found;
  try {
    found = await api("/v1/orders/" + encodeURIComponent(id));
  } catch (error) {
    failed(document.querySelector("main"), error);
    return;
  }
  document.querySelector("[data-order-title]").textContent = T("order.title", { id: found.id });
  facts(document.querySelector("[data-facts]"), [
    ["col.status", status(found.status)], ["col.external_id", found.external_id],
    ["col.channel", found.channel], ["col.amount", found.amount + " " + found.currency],
    ["col.fulfilling", dealerLink(found.fulfilling_dealer_id)],
    ["col.originating", dealerLink(found.originating_dealer_id)],
  ]);
  table(slot("lines"), [
    ["col.sku", (l) => l.sku], ["col.qty", (l) => l.qty, "num"],
    ["col.unit_price", (l) => l.unit_price, "num"], ["col.returns", (l) => l.returned, "num"],
  ], found.lines);
  const timeline = document.querySelector("[data-timeline]");
  timeline.replaceChildren(...found.timeline.map((step) =>
    el("li", {}, el("time", { text: when(step.at) }), " ", el("strong", { text: status(step.step) }), " · ", step.actor)));
  const routing = document.querySelector("[data-routing]");
  routing.replaceChildren(...found.routing.map(routingAttempt));
  if (!found.routing.length) routing.append(el("p", { class: "muted", text: T("none") }));
  table(slot("offers"), [
    ["col.dealer", (o) => dealerLink(o.dealer_id)], ["col.attempt", (o) => o.attempt, "num"],
    ["col.state", (o) => o.state], ["col.expires", (o) => when(o.deadline)],
    ["col.reason", (o) => (o.decline_reason ? T("reason." + o.decline_reason) : "")],
  ], found.offers);
}

function dealers() {
  listing({
    path: "/v1/dealers", name: "dealers", target: slot("dealers"), columns: [
      ["col.dealer", (d) => dealerLink(d.id)], ["col.name", (d) => d.name],
      ["col.region", (d) => d.region], ["col.city", (d) => d.city],
      ["filter.capability", (d) => d.capabilities.join(", ")],
      ["col.paused", (d) => (d.paused ? T("yes") : T("no"))],
    ],
  });
  const week = { from: today(-6), to: today(0) };
  listing({
    path: "/v1/stats/dealers", name: "dealers", target: slot("scorecards"), columns: SCORE_COLUMNS,
    form: null, fixed: week,
  });
  document.querySelector("[data-csv-scorecards]").href = "/v1/stats/dealers" + query(Object.assign({ format: "csv" }, week));
}

async function dealer() {
  const id = P.args.dealer_id;
  const base = "/v1/dealers/" + encodeURIComponent(id);
  try {
    const found = await api(base);
    document.querySelector("[data-dealer-title]").textContent = T("dealer.title", { id: found.name + " · " + id });
    facts(document.querySelector("[data-facts]"), [
      ["col.region", found.region], ["col.city", found.city],
      ["col.distance", found.service_radius_km], ["filter.capability", found.capabilities.join(", ")],
      ["col.paused", found.paused ? T("yes") : T("no")],
    ]);
  } catch (error) {
    failed(document.querySelector("main"), error);
    return;
  }
  if (P.scopes.some((s) => s.startsWith("stock:"))) {
    listing({
      path: base + "/stock", name: "levels", target: slot("stock"), form: null, columns: [
        ["col.sku", (l) => l.sku], ["col.on_hand", (l) => l.on_hand, "num"],
        ["col.reserved", (l) => l.reserved, "num"], ["col.available", (l) => l.available, "num"],
        ["col.reported", (l) => when(l.reported_at)],
      ],
    });
  }
  listing({
    path: "/v1/orders", name: "orders", target: slot("open"), form: null, columns: ORDER_COLUMNS,
    fixed: { fulfilling_dealer: id },
  });
  if (P.scopes.includes("finance:read")) {
    api(base + "/earnings").then((e) => table(slot("earnings"), EARNINGS_COLUMNS, e.currencies),
      (error) => failed(slot("earnings"), error));
  }
}

async function everyDealer() {
  const all = [];
  let cursor = null;
  do {
    const page = await api("/v1/dealers" + query({ limit: 1000, cursor }));
    all.push(...page.dealers);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

async function map() {
  const [all, cards] = await Promise.all([
    everyDealer(), api("/v1/stats/dealers" + query({ from: today(0), to: today(0), limit: 1000 })),
  ]);
  const todays = Object.fromEntries(cards.dealers.map((d) => [d.dealer_id, d]));
  const shapes = all.filter((d) => !d.warehouse).map((d) => {
    const dLat = d.service_radius_km / 111.0;
    const dLon = dLat / Math.cos((d.lat * Math.PI) / 180);
    return {
      type: "circle", xref: "x", yref: "y", x0: d.lon - dLon, x1: d.lon + dLon,
      y0: d.lat - dLat, y1: d.lat + dLat, line: { color: d.paused ? "#9aa5b1" : "#2680c2", width: 1 },
      fillcolor: d.paused ? "rgba(154,165,177,0.08)" : "rgba(38,128,194,0.08)",
    };
  });
  const offers = (d) => (todays[d.id] ? todays[d.id].offers : 0);
  const trace = {
    type: "scatter", mode: "markers+text", x: all.map((d) => d.lon), y: all.map((d) => d.lat),
    text: all.map((d) => d.name), textposition: "top center",
    hovertext: all.map((d) => `${d.name} (${d.id}) · ${d.city} · ${T("col.offers")} ${offers(d)}`),
    hoverinfo: "text",
    marker: {
      size: all.map((d) => 8 + 3 * Math.sqrt(offers(d))), symbol: all.map((d) => (d.warehouse ? "square" : "circle")),
      color: all.map((d) => (d.paused ? "#9aa5b1" : offers(d) ? "#d64545" : "#2680c2")),
    },
  };
  const meanLat = all.reduce((s, d) => s + d.lat, 0) / Math.max(all.length, 1);
  const layout = {
    shapes, margin: { t: 10, r: 10, b: 40, l: 50 }, height: 520, showlegend: false,
    xaxis: { title: "lon" }, yaxis: { title: "lat", scaleanchor: "x", scaleratio: 1 / Math.cos((meanLat * Math.PI) / 180) },
  };
  Plotly.react(document.getElementById("chart-map"), [trace], layout, { displayModeBar: false, responsive: true });
}

function stock() {
  const form = document.querySelector("[data-filters]");
  listing({
    path: "/v1/stock", name: "levels", target: slot("stock"), columns: [
      ["col.dealer", (l) => dealerLink(l.dealer_id)], ["col.region", (l) => l.region],
      ["col.sku", (l) => l.sku], ["col.on_hand", (l) => l.on_hand, "num"],
      ["col.reserved", (l) => l.reserved, "num"], ["col.available", (l) => l.available, "num"],
      ["col.reported", (l) => when(l.reported_at)], ["col.stock_days", (l) => l.days_since_report ?? "–", "num"],
    ],
  });
  async function summary() {
    const params = Object.fromEntries(new FormData(form).entries());
    try {
      const body = await api("/v1/stats/stock" + query({ low: params.low, stale_days: params.stale_days }));
      table(slot("summary"), [
        ["col.region", (r) => r.region], ["col.sku", (r) => r.sku],
        ["col.levels", (r) => r.levels, "num"],
        ["col.low", (r) => r.low, "num"], ["col.stale", (r) => r.stale, "num"],
      ], body.by_region_and_sku.filter((r) => r.low || r.stale));
    } catch (error) {
      failed(slot("summary"), error);
    }
  }
  form.addEventListener("submit", summary);
  summary();
}

function money_() {
  const form = document.querySelector("[data-filters]");
  const amounts = [
    ["col.currency", (r) => r.currency],
    ["col.fulfilment", (r) => r.fulfilment, "num"], ["col.referral", (r) => r.referral, "num"],
    ["col.held", (r) => r.held, "num"], ["col.pending", (r) => r.pending, "num"],
    ["col.available", (r) => r.available, "num"], ["col.paid", (r) => r.paid, "num"],
    ["col.cash_owed", (r) => r.cash_owed, "num"], ["col.net", (r) => r.net, "num"],
  ];
  listing({
    path: "/v1/stats/earnings", name: "dealers", target: slot("earnings"),
    columns: [["col.dealer", (r) => dealerLink(r.dealer_id)], ...amounts],
  });
  async function regions() {
    const params = Object.fromEntries(new FormData(form).entries());
    try {
      const body = await api("/v1/stats/earnings" + query(Object.assign(params, { by: "region" })));
      const named = (r) => (P.language === "zh" ? r.name_zh : r.name_en) || r.region || "–";
      table(slot("regions"), [["col.region", named], ["col.dealers", (r) => r.dealers, "num"], ...amounts], body.regions);
    } catch (error) {
      failed(slot("regions"), error);
    }
  }
  form.addEventListener("submit", regions);
  regions();
  listing({
    path: "/v1/payouts", name: "periods", target: slot("payouts"), form: null, columns: [
      ["col.period", (p) => p.period], ["col.state", (p) => p.state],
      ["col.when", (p) => when(p.closed_at)],
      ["col.dealers", (p) => p.totals.reduce((n, t) => n + t.dealers, 0), "num"],
      ["col.paid", (p) => p.totals.map((t) => t.paid + " " + t.currency).join(", "), "num"],
      ["col.carried", (p) => p.totals.map((t) => t.carried_debt + " " + t.currency).join(", "), "num"],
      ["csv", (p) => link("/v1/payouts/" + encodeURIComponent(p.period) + "?format=csv", "CSV")],
    ],
  });
  const checks = listing({
    path: "/v1/ledger/checks", name: "checks", target: slot("checks"), form: null, limit: 5, columns: [
      ["col.when", (c) => when(c.started_at)],
      ["col.ok", (c) => (c.state === "ok" ? T("money.check_ok")
        : c.state === "broken" ? T("money.check_bad", { problem: c.violation || "" }) : T("check." + c.state))],
      ["col.who", (c) => c.started_by],
    ],
  });
  const run = document.querySelector("[data-run-check]");
  run.addEventListener("click", async () => {
    run.disabled = true;
    try {
      const started = await api("/v1/ledger/checks", { method: "POST", body: {} });
      for (let tries = 0; tries < 60; tries += 1) { // a check of a large ledger takes a while
        const now = await api("/v1/ledger/checks/" + started.id);
        if (now.state !== "running") break;
        await new Promise((done) => setTimeout(done, 1000));
      }
    } catch (error) {
      failed(document.querySelector("[data-check]"), error);
    }
    await checks(false);
    run.disabled = false;
  });
}

function pricing() {
  const promotions = listing({
    path: "/v1/promotions", name: "promotions", target: slot("promotions"), form: null, columns: [
      ["col.name", (p) => p.name], ["col.state", (p) => p.state], ["col.region", (p) => p.regions.join(", ")],
      ["col.sku", (p) => p.skus.concat(p.categories).join(", ")], ["col.kind", (p) => p.discount],
      ["col.when", (p) => when(p.starts_at) + " – " + when(p.ends_at)], ["col.sent", (p) => p.units_sold, "num"],
    ],
  });
  const lines = (answer) => [
    el("pre", { class: "summary", text: answer.messages[P.language] }),
    ...(answer.warnings || []).map((w) => el("p", { class: "warn", text: w.messages[P.language] })),
    el("p", { text: T("pricing.audience", { n: answer.audience }) }),
  ];
  const floorForm = document.querySelector('[data-form="floor"]');
  previewed(floorForm, {
    body: (form) => {
      const data = Object.fromEntries(new FormData(form).entries());
      const body = { floor: data.floor };
      if (data.effective_at) body.effective_at = localTime(data.effective_at);
      floorForm.dataset.sku = data.sku;
      return body;
    },
    preview: () => "/v1/price-rules/preview/" + encodeURIComponent(floorForm.dataset.sku || "-"),
    submit: (body) => api("/v1/price-rules/" + encodeURIComponent(floorForm.dataset.sku), { method: "PUT", body }),
    shown: lines,
  });
  previewed(document.querySelector('[data-form="promotion"]'), {
    body: (form) => {
      const data = Object.fromEntries(new FormData(form).entries());
      const body = {
        name: data.name, starts_at: localTime(data.starts_at), ends_at: localTime(data.ends_at),
        skus: listOf(data.skus), categories: listOf(data.categories), regions: listOf(data.regions),
        percent_off: data.percent_off, funded_by: data.funded_by,
      };
      if (data.unit_cap) body.unit_cap = Number(data.unit_cap);
      return body;
    },
    preview: () => "/v1/promotions/preview",
    submit: (body) => api("/v1/promotions", { method: "POST", body }),
    shown: lines,
    done: () => promotions(false),
  });
}

function broadcasts() {
  const recipients = (id) => listing({
    path: "/v1/broadcasts/" + encodeURIComponent(id) + "/recipients", name: "recipients",
    target: slot("recipients"), form: null, fixed: { state: "unacknowledged" }, columns: [
      ["col.dealer", (r) => dealerLink(r.dealer_id)], ["col.name", (r) => r.dealer_name || ""],
      ["col.state", (r) => r.state], ["col.sent", (r) => when(r.sent_at)],
    ],
  });
  const list = listing({
    path: "/v1/broadcasts", name: "broadcasts", target: slot("broadcasts"), form: null, columns: [
      ["col.when", (b) => when(b.created_at)], ["col.kind", (b) => b.kind],
      ["col.text", (b) => (b.params && (b.params.text || b.params.name)) || ""],
      ["col.region", (b) => b.region || T("any")], ["col.audience", (b) => b.audience, "num"],
      ["col.sent", (b) => b.sent, "num"], ["col.acknowledged", (b) => (b.requires_ack ? b.acknowledged : "–"), "num"],
      ["broadcasts.unacked", (b) => {
        if (!b.requires_ack) return "";
        const button = el("button", { type: "button", class: "link", "data-test": "unacked", text: b.audience - b.acknowledged });
        button.addEventListener("click", () => recipients(b.id));
        return button;
      }, "num"],
    ],
  });
  previewed(document.querySelector('[data-form="broadcast"]'), {
    body: (form) => {
      const data = Object.fromEntries(new FormData(form).entries());
      const body = { text: data.text, requires_ack: data.requires_ack === "on" };
      if (data.region) body.region = data.region;
      return body;
    },
    preview: () => "/v1/broadcasts/preview",
    submit: (body) => api("/v1/broadcasts", { method: "POST", body }),
    shown: (answer) => [
      el("pre", { class: "summary", text: answer.messages[P.language] }),
      el("p", { text: T("pricing.audience", { n: answer.audience }) }),
    ],
    done: () => setTimeout(() => list(false), 500),
  });
}

function audit() {
  listing({
    path: "/v1/audit", name: "entries", target: slot("audit"), columns: [
      ["col.when", (e) => when(e.at)], ["col.who", (e) => e.actor], ["col.action", (e) => e.action],
      ["col.target", (e) => e.target || ""], ["col.allowed", (e) => (e.allowed ? T("yes") : T("no"))],
    ],
  });
}

function keys() {
  listing({
    path: "/v1/keys", name: "keys", target: slot("keys"), form: null, columns: [
      ["col.name", (k) => k.name], ["col.scopes", (k) => k.scopes.join(" ")],
      ["col.channel", (k) => k.channel || k.dealer_id || ""], ["col.state", (k) => k.state],
      ["col.created", (k) => when(k.created_at)], ["col.last_used", (k) => when(k.last_used_at)],
    ],
  });
}

const PAGES = {
  overview: () => {
    const refresh = () => overview().catch((error) => failed(document.querySelector("[data-tiles]"), error));
    refresh();
    setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
  },
  orders, order, dealers, dealer, map: () => map().catch((e) => failed(document.getElementById("chart-map"), e)),
  stock, money: money_, pricing, broadcasts, audit, keys,
};

PAGES[P.page]();
