import { FEATURE_LABEL } from "../policy/credits";

/**
 * The billing page's script, served at /app/app.js (same origin, so the CSP needs no inline
 * script). Plain browser JavaScript in a raw string: no template literals inside (the string's
 * own delimiters), no library, no request to anything but this Worker's API.
 *
 * It builds every element with DOM calls (never innerHTML), so no figure or name from the API
 * can become markup. Any failed load clears every figure on screen before saying what to do.
 */
export const BILLING_SCRIPT = String.raw`(function () {
"use strict";

// ---- words for people ------------------------------------------------------------------------

var FEATURES = ${JSON.stringify(FEATURE_LABEL)};
var PLANS = {
  trial: "Trial", base: "Base", advanced: "Advanced", pro: "Pro", enterprise: "Enterprise",
  partner: "Partner", shopify: "Shopify"
};
var ROLES = {
  platform: "Platform", admin: "Admin", service: "Service · read only", viewer: "Viewer · read only"
};
var ENTITIES = {
  leads: { title: "Leads", one: "lead", many: "leads", free: "leads are closed or deleted" },
  contactsAndCompanies: {
    title: "Contacts and companies", one: "contact or company", many: "contacts and companies",
    free: "some are deleted"
  }
};
var CHANNELS = {
  whatsapp: { title: "WhatsApp numbers", one: "WhatsApp number", many: "WhatsApp numbers", gone: "numbers" },
  instagram: { title: "Instagram accounts", one: "Instagram account", many: "Instagram accounts", gone: "accounts" }
};
var TABS = ["usage", "credits", "agents"];
var STORE = { token: "billing.token", ws: "billing.ws" };
var WS_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
var MAX_LIMIT = 1000000000;

var state = {
  token: null, claims: null, ws: null, tab: "usage", gen: 0,
  clock: null, editing: null, focusAfter: null, loaded: false, last: null
};

function $(id) { return document.getElementById(id); }

// ---- building elements -------------------------------------------------------------------------

function add(el, children) {
  for (var i = 0; i < children.length; i++) {
    var c = children[i];
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) { add(el, c); continue; }
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function h(tag, props) {
  var el = document.createElement(tag);
  if (props) {
    Object.keys(props).forEach(function (k) {
      var v = props[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") el.className = v;
      else if (typeof v === "function") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    });
  }
  return add(el, Array.prototype.slice.call(arguments, 2));
}

function svg(tag, attrs) {
  var el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  Object.keys(attrs || {}).forEach(function (k) { el.setAttribute(k, String(attrs[k])); });
  return add(el, Array.prototype.slice.call(arguments, 2));
}

// ---- numbers, dates, durations ----------------------------------------------------------------

var numberFormat = new Intl.NumberFormat();
var dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });
var shortDate = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
var dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium", timeStyle: "short", timeZone: "UTC"
});

function num(n) { return numberFormat.format(n); }
function day(iso) { return dateFormat.format(new Date(iso)); }
function dayShort(iso) { return shortDate.format(new Date(iso)); }
function when(iso) { return dateTimeFormat.format(new Date(iso)) + " UTC"; }
function plural(n, one, many) { return n === 1 ? one : many; }
function count(n, one, many) { return num(n) + " " + plural(n, one, many); }

/** "5 h 12 min", "2 d 3 h", "12 min": whole minutes, rounded up (it is at most that long). */
function duration(ms) {
  if (ms <= 0) return "moments";
  var minutes = Math.ceil(ms / 60000);
  var d = Math.floor(minutes / 1440);
  var hrs = Math.floor((minutes % 1440) / 60);
  var min = minutes % 60;
  if (d > 0) return d + " d" + (hrs > 0 ? " " + hrs + " h" : "");
  if (hrs > 0) return hrs + " h" + (min > 0 ? " " + min + " min" : "");
  return min + " min";
}

/** The workspace's clock (a test clock may be frozen anywhere), advanced since it was read. */
function now() {
  return state.clock ? state.clock.asOf + (Date.now() - state.clock.readAt) : Date.now();
}

function countdown(iso) {
  return h("strong", { "data-deadline": iso }, "In " + duration(Date.parse(iso) - now()));
}

function tick() {
  document.querySelectorAll("[data-deadline]").forEach(function (el) {
    el.textContent = "In " + duration(Date.parse(el.getAttribute("data-deadline")) - now());
  });
}

// ---- the token ---------------------------------------------------------------------------------

/** The token's claims, read without verifying it (the API verifies every call). */
function decodeToken(token) {
  var parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    var b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
    b64 += "===".slice((b64.length + 3) % 4);
    var bytes = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
    var claims = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof claims.ws !== "string" || !ROLES[claims.role] || typeof claims.exp !== "number") {
      return null;
    }
    return claims;
  } catch (e) {
    return null;
  }
}

var canEdit = function () { return state.claims && (state.claims.role === "admin" || state.claims.role === "platform"); };
var isPlatform = function () { return state.claims && state.claims.ws === "*"; };

// ---- talking to the API ------------------------------------------------------------------------

function Problem(kind, status, code, message, path) {
  this.kind = kind; this.status = status; this.code = code; this.message = message || ""; this.path = path || "";
}

async function api(method, path, body) {
  var headers = { authorization: "Bearer " + state.token };
  if (body !== undefined) headers["content-type"] = "application/json";
  var res;
  try {
    res = await fetch("/v1/workspaces/" + encodeURIComponent(state.ws) + path, {
      method: method, headers: headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body)
    });
  } catch (e) {
    throw new Problem("network", 0, null, String(e));
  }
  var json = null;
  try { json = await res.json(); } catch (e) { json = null; }
  if (!res.ok) {
    var error = (json && json.error) || {};
    throw new Problem("http", res.status, error.code || null, error.message, path);
  }
  return json;
}

/** What went wrong and what to do, in a person's words. */
function explain(p) {
  var role = state.claims ? state.claims.role : "";
  if (p.kind === "network") {
    return { title: "Can't reach the service", text: "Check your connection, then try again.", actions: ["retry"] };
  }
  if (p.status === 401) {
    return {
      title: "Your token was not accepted",
      text: /expired/.test(p.message)
        ? "It has expired. Sign out, then sign in with a new token."
        : "It may be incomplete or made for another server. Sign out, then sign in with a new token.",
      actions: ["signout"]
    };
  }
  if (p.status === 403) {
    return /another workspace/.test(p.message)
      ? { title: "This token is for another workspace", text: "Sign in with a token for " + state.ws + ".", actions: ["signout"] }
      : { title: "Your role can't do this", text: "You are signed in as " + role + ". Ask a workspace admin to make this change.", actions: [] };
  }
  // Every read needs the plan, and GET subscription answers 404 only when there is none.
  if (p.status === 404 && (p.path === "/subscription" || /subscription/.test(p.message))) {
    return {
      title: "This workspace has no plan yet",
      text: "The billing system sets it; figures appear here as soon as it does. If you expected figures, check the workspace id: " + state.ws + ".",
      actions: ["retry"]
    };
  }
  if (p.status === 404) return { title: "Not found", text: p.message || "The service doesn't know this.", actions: ["retry"] };
  if (p.status === 400 || p.status === 409 || p.status === 413) {
    return { title: "That wasn't accepted", text: p.message, actions: [] };
  }
  if (p.code === "server_misconfigured") {
    return { title: "The service isn't set up yet", text: "Its secret is missing. Tell whoever runs the service.", actions: ["retry"] };
  }
  return {
    title: "The service had a problem",
    text: "Try again in a minute; if it keeps happening, tell whoever runs the service.",
    actions: ["retry"]
  };
}

// ---- screens -----------------------------------------------------------------------------------

function panel(tab) { return $("panel-" + (tab || state.tab)); }

/** Removes every figure of the workspace from the screen: nothing stale survives an error. */
function clearFigures() {
  state.loaded = false;
  state.editing = null;
  $("summary").replaceChildren();
  TABS.forEach(function (t) { panel(t).replaceChildren(); });
}

function notice(parts, bad) {
  var el = $("notice");
  if (!parts) { el.hidden = true; el.replaceChildren(); return; }
  el.className = "notice" + (bad ? " bad" : "");
  el.setAttribute("role", bad ? "alert" : "status");
  el.replaceChildren();
  add(el, [parts]);
  el.hidden = false;
}

function actionButtons(actions) {
  return h("div", { class: "actions" }, actions.map(function (a) {
    if (a === "retry") return h("button", { type: "button", onclick: function () { refresh(); } }, "Try again");
    if (a === "signout") return h("button", { type: "button", class: "ghost", onclick: signOut }, "Sign out");
    return null;
  }), isPlatform() ? h("button", {
    type: "button", class: "ghost", onclick: function () { $("switch-ws").focus(); }
  }, "Open another workspace") : null);
}

function showProblem(p) {
  clearFigures();
  var e = explain(p);
  panel().replaceChildren(h("div", { class: "card problem", role: "alert", "data-problem": p.code || p.kind },
    h("h2", null, e.title), h("p", null, e.text), actionButtons(e.actions)));
}

function pill(kind, text) { return h("span", { class: "pill " + kind }, text); }

/** Red once over the limit (or, where reaching it stops the thing, at it); amber from 80 %. */
function meter(used, limit, label, fullStops) {
  var fill = h("span");
  var pct = limit === null ? 0 : limit <= 0 ? 100 : Math.min(100, (used / limit) * 100);
  fill.style.width = pct.toFixed(1) + "%";
  var over = limit !== null && (used > limit || (fullStops && used >= limit));
  var cls = limit === null ? "none" : over ? "bad" : pct >= 80 ? "warn" : "";
  return h("div", {
    class: "meter " + cls, role: "progressbar", "aria-label": label,
    "aria-valuemin": 0, "aria-valuemax": limit === null ? used : limit, "aria-valuenow": used,
    "aria-valuetext": limit === null ? num(used) + " used, unlimited" : num(used) + " of " + num(limit)
  }, fill);
}

function figure(used, limit) {
  return h("div", { class: "figure" }, num(used), " ",
    h("span", { class: "of" }, limit === null ? "of unlimited" : "of " + num(limit)));
}

function limitCard(key, title, badge, body) {
  return h("article", { class: "card limit", "data-usage": key, "aria-labelledby": "usage-" + key },
    h("h3", { id: "usage-" + key }, title, badge), body);
}

function consequence(bad, parts) {
  return h("p", { class: "consequence" + (bad ? " bad" : "") }, parts);
}

function entityCard(key, x) {
  var n = ENTITIES[key];
  var badge = null;
  var note = null;
  if (x.state === "grace") {
    var excess = Math.max(0, x.used - x.limit);
    badge = pill("grace", "Limit reached");
    note = consequence(false, [countdown(x.graceEndsAt), ", ",
      excess > 0 ? [h("strong", null, count(excess, n.one, n.many)), " (the most recently created) will be blocked"]
        : "new " + n.many + " will be blocked",
      " unless the limit is raised or " + n.free + ". Blocked ones stay visible, but their data, chats and automations can't be opened. ",
      h("span", { class: "muted" }, "Grace ends " + when(x.graceEndsAt) + ".")]);
  } else if (x.state === "enforced") {
    badge = pill("enforced", "Over the limit");
    note = consequence(true, [h("strong", null, "New " + n.many + " are blocked"),
      x.blocked > 0 ? ", and " + count(x.blocked, n.one, n.many) + " can be seen but their data, chats and automations can't be opened" : "",
      ". Raise the limit (more seats or a bigger plan), or free room: blocked ones are unblocked oldest first."]);
  }
  return limitCard(key, n.title, badge, [figure(x.used, x.limit), meter(x.used, x.limit, n.title), note,
    x.state === "ok" && x.blocked > 0 ? h("p", { class: "detail" }, count(x.blocked, n.one, n.many) + " blocked") : null]);
}

function channelCard(key, x) {
  var n = CHANNELS[key];
  var badge = null;
  var note = null;
  if (x.state === "grace") {
    badge = pill("grace", "Over the limit");
    note = consequence(false, [countdown(x.graceEndsAt), ", ",
      h("strong", null, count(x.toDisable, n.one, n.many)), " (the earliest connected) will be disabled unless the limit is raised or " + n.gone + " are disconnected. All keep working until then. ",
      h("span", { class: "muted" }, "Grace ends " + when(x.graceEndsAt) + ".")]);
  } else if (x.state === "enforced") {
    badge = pill("enforced", "Limit enforced");
    note = consequence(true, [h("strong", null, count(x.disabled, n.one, n.many) + " disabled"),
      " when the grace ended (the earliest connected first). Connecting more than the limit allows disables them again; raise the limit (more seats or a bigger plan) to connect more."]);
  }
  return limitCard(key, n.title, badge, [figure(x.used, x.limit), meter(x.used, x.limit, n.title), note,
    x.grandfathered > 0 ? h("p", { class: "detail" }, num(x.grandfathered) + " connected before June 1, 2026: counted, never disabled.") : null,
    x.state !== "enforced" && x.disabled > 0 ? h("p", { class: "detail" }, count(x.disabled, n.one, n.many) + " disabled by the limit; reconnecting one counts as a new connection.") : null]);
}

function upgradeHint(sub) {
  return sub.plan === "base" || sub.plan === "shopify"
    ? "Advanced includes 3 active agents, Pro 50."
    : "A bigger plan includes more.";
}

function agentsCard(x, sub) {
  if (x.limit === 0) {
    return limitCard("agents", "Active AI agents", pill("absent", "Not in your plan"), [
      h("p", { class: "detail" }, "AI agents are not included in the " + PLANS[sub.plan] + " plan. " + upgradeHint(sub))
    ]);
  }
  return limitCard("agents", "Active AI agents", null, [figure(x.used, x.limit), meter(x.used, x.limit, "Active AI agents"),
    h("p", { class: "detail" }, num(x.total) + " of " + num(x.totalLimit) + " created (draft, active and offline)."),
    x.limit !== null && x.used >= x.limit ? h("p", { class: "detail" }, "All active slots are in use: deactivate one to activate another.") : null]);
}

function creditsCard(x, sub) {
  var missing = Object.keys(FEATURES).filter(function (f) { return sub.features.indexOf(f) === -1; });
  return limitCard("credits", "AI credits", x.remaining <= 0 ? pill("enforced", "Used up") : null, [
    figure(x.used, x.limit), meter(x.used, x.limit, "AI credits", true),
    h("p", { class: "detail" }, x.percentUsed.toFixed(1) + "% used" + (x.held > 0 ? " · " + num(x.held) + " held by calls in progress" : "") + " · resets " + day(x.nextResetAt)),
    x.remaining <= 0 ? consequence(true, [h("strong", null, "AI features are stopped"), " until credits renew on " + day(x.nextResetAt) + ", unless credits are added (more seats, a credit package or a bigger plan)."]) : null,
    missing.length > 0 ? h("p", { class: "detail" }, "Not in your plan: " + missing.map(function (f) { return FEATURES[f]; }).join(", ") + ".") : null
  ]);
}

function questionsCard(x) {
  var out = x.limit !== null && x.used >= x.limit;
  return limitCard("copilotQuestions", "Copilot questions about Kommo", out ? pill("enforced", "Used up") : null, [
    figure(x.used, x.limit), meter(x.used, x.limit, "Copilot questions about Kommo", true),
    h("p", { class: "detail" }, out ? "No more questions until " + day(x.nextResetAt) + "." : "Resets " + day(x.nextResetAt) + ".")
  ]);
}

function renderSummary(sub, daily) {
  var endDay = new Date(Date.parse(daily.nextResetAt) - 1).toISOString();
  $("summary").replaceChildren(
    h("span", { class: "plan", "data-plan": sub.plan }, PLANS[sub.plan] + " plan"),
    h("span", { class: "fact" }, h("strong", null, count(sub.seats, "seat", "seats"))),
    h("span", { class: "fact" }, "Billing period ", h("strong", null, dayShort(daily.periodStart) + " – " + day(endDay))),
    h("span", { class: "fact" }, "Renews in ", h("strong", null, duration(Date.parse(daily.nextResetAt) - now())))
  );
}

function renderUsage(u, sub) {
  panel("usage").replaceChildren(h("h2", { class: "sr-only" }, "Usage"), h("div", { class: "limits" },
    entityCard("leads", u.leads),
    entityCard("contactsAndCompanies", u.contactsAndCompanies),
    channelCard("whatsapp", u.whatsapp),
    channelCard("instagram", u.instagram),
    agentsCard(u.agents, sub),
    creditsCard(u.credits, sub),
    questionsCard(u.copilotQuestions)));
}

// ---- Manage credits ----------------------------------------------------------------------------

/** 1, 2 or 5 times a power of ten, at least n: the chart's scale. */
function niceCeiling(n) {
  var p = Math.pow(10, Math.floor(Math.log10(Math.max(1, n))));
  return [1, 2, 5, 10].map(function (m) { return m * p; }).find(function (v) { return v >= n; });
}

function chartCard(daily) {
  var used = daily.features.filter(function (f) {
    return daily.days.some(function (d) { return d.features[f] > 0; });
  });
  var peak = Math.max.apply(null, [0].concat(daily.days.map(function (d) { return d.credits; })));
  var scale = niceCeiling(peak);
  var n = daily.daysInPeriod;
  var W = n * 10;
  var H = 100;
  var bars = [];
  for (var i = 0; i < n; i++) {
    var d = daily.days[i];
    if (!d) {
      // Days still to come: a mark on the baseline, so the period's length shows.
      bars.push(svg("rect", { class: "slot", x: i * 10 + 1, y: H - 1.5, width: 8, height: 1.5 }));
      continue;
    }
    var parts = used.filter(function (f) { return d.features[f] > 0; });
    var y = H;
    var g = svg("g", { "data-day": d.startsAt },
      svg("title", null, dayShort(d.startsAt) + ": " + count(d.credits, "credit", "credits") +
        (parts.length ? " (" + parts.map(function (f) { return FEATURES[f] + " " + num(d.features[f]); }).join(", ") + ")" : "")));
    parts.forEach(function (f) {
      var height = (d.features[f] / scale) * H;
      y -= height;
      g.append(svg("rect", { class: "f-" + f, "data-feature": f, x: i * 10 + 1, y: y.toFixed(3), width: 8, height: height.toFixed(3) }));
    });
    bars.push(g);
  }
  var lastDay = new Date(Date.parse(daily.nextResetAt) - 1).toISOString();
  var chart = svg("svg", {
    class: "chart", viewBox: "0 0 " + W + " " + H, preserveAspectRatio: "none", role: "img",
    "aria-label": "Daily credit use this period, stacked by feature: " + num(daily.used) + " credits so far, at most " + num(peak) + " in a day. The figures are in the table below."
  }, bars);
  var table = h("details", { class: "figures" }, h("summary", null, "Daily figures as a table"),
    h("div", { class: "scroll" }, h("table", null,
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Day"), h("th", { scope: "col" }, "Credits"),
        used.map(function (f) { return h("th", { scope: "col" }, FEATURES[f]); }))),
      h("tbody", null, daily.days.map(function (d) {
        return h("tr", null, h("th", { scope: "row" }, dayShort(d.startsAt)), h("td", null, num(d.credits)),
          used.map(function (f) { return h("td", null, num(d.features[f])); }));
      })))));
  return h("section", { class: "card", id: "credit-chart", "aria-labelledby": "chart-title" },
    h("h2", { id: "chart-title" }, "Daily credit use"),
    h("div", { class: "chart-top" },
      h("span", null, daily.used > 0 ? num(daily.used) + " credits this period" : "No credits used yet this period."),
      h("span", null, "Scale: 0 – " + num(scale) + " a day")),
    chart,
    h("div", { class: "chart-axis", "aria-hidden": "true" }, h("span", null, dayShort(daily.periodStart)), h("span", null, dayShort(lastDay))),
    used.length ? h("ul", { class: "legend", "aria-label": "Features" }, used.map(function (f) {
      return h("li", null, h("span", { class: "swatch f-" + f, "aria-hidden": "true" }), FEATURES[f]);
    })) : null,
    daily.days.length ? table : null);
}

function balanceCard(c) {
  var packages = c.packages.length ? h("dd", { class: "sub" }, h("ul", null, c.packages.map(function (p) {
    return h("li", { "data-package": p.id }, count(p.credits, "credit", "credits") + " until " + day(p.expiresAt) + " (package " + p.id + ")");
  }))) : null;
  return h("section", { class: "card", "aria-labelledby": "balance-title" },
    h("h2", { id: "balance-title" }, "Monthly balance"),
    h("dl", { class: "kv", id: "credits-balance" },
      h("dt", null, "Monthly balance"), h("dd", null, num(c.monthlyBalance)),
      h("dt", null, "Included credits (per seat)"), h("dd", null, num(c.includedPerSeat)),
      h("dt", null, "Number of seats"), h("dd", null, num(c.seats)),
      h("dt", null, "Credit add-on"), h("dd", null, num(c.addOnCredits)),
      packages));
}

function usageCard(c) {
  return h("section", { class: "card", "aria-labelledby": "credit-usage-title" },
    h("h2", { id: "credit-usage-title" }, "Credit usage"),
    h("div", { class: "usage-head" }, h("span", { class: "figure", id: "credits-percent" }, c.percentUsed.toFixed(1) + "%"), h("span", null, "used")),
    meter(c.used, c.monthlyBalance, "Credits used this period", true),
    h("p", { class: "detail" }, num(c.used) + " of " + num(c.monthlyBalance) + " credits used" +
      (c.held > 0 ? " · " + num(c.held) + " held by calls in progress" : "") + " · " + num(c.remaining) + " left"),
    h("p", null, "Next reset: ", h("strong", null, day(c.nextResetAt))),
    c.remaining <= 0 ? consequence(true, [h("strong", null, "All credits are used"), ": AI features stop until the next reset, unless credits are added."]) : null,
    h("p", { class: "detail" }, "Copilot questions about Kommo: " + num(c.copilotQuestions.used) +
      (c.copilotQuestions.limit === null ? " (unlimited)" : " of " + num(c.copilotQuestions.limit)) + " this period."));
}

function limitText(f) { return f.creditLimit === null ? "No limit" : num(f.creditLimit); }

function limitCell(f) {
  var name = FEATURES[f.feature] || f.feature;
  if (!f.inPlan) return h("span", { class: "muted" }, "Not available");
  if (!canEdit()) return h("span", null, limitText(f));
  if (state.editing !== f.feature) {
    return h("button", {
      type: "button", class: "limit-edit", "data-edit": f.feature,
      "aria-label": "Edit the credit limit of " + name + " (now " + limitText(f).toLowerCase() + ")",
      onclick: function () { state.editing = f.feature; state.focusAfter = "#limit-input"; renderCredits(state.last.credits, state.last.daily); }
    }, limitText(f), h("span", { class: "pencil", "aria-hidden": "true" }, "✎"));
  }
  var input = h("input", {
    id: "limit-input", type: "text", inputmode: "numeric", autocomplete: "off", placeholder: "No limit",
    value: f.creditLimit === null ? "" : String(f.creditLimit), "aria-describedby": "limit-hint limit-error",
    onkeydown: function (e) { if (e.key === "Escape") { e.preventDefault(); cancelEdit(f.feature); } }
  });
  var error = h("p", { class: "error", id: "limit-error", role: "alert" });
  return h("form", {
    class: "limit-form", novalidate: true,
    onsubmit: function (e) { e.preventDefault(); saveLimit(f.feature, input.value, error); }
  },
    h("label", { for: "limit-input", class: "sr-only" }, "Credit limit for " + name),
    input,
    h("button", { type: "submit" }, "Save"),
    h("button", { type: "button", class: "ghost", onclick: function () { cancelEdit(f.feature); } }, "Cancel"),
    h("p", { class: "hint", id: "limit-hint" }, "Empty removes the limit; 0 stops the feature."),
    error);
}

function cancelEdit(feature) {
  state.editing = null;
  state.focusAfter = '[data-edit="' + feature + '"]';
  renderCredits(state.last.credits, state.last.daily);
}

async function saveLimit(feature, raw, errorEl) {
  var text = raw.trim().replace(/[\s,]/g, "");
  var limit = null;
  if (text !== "") {
    if (!/^\d+$/.test(text) || Number(text) > MAX_LIMIT) {
      errorEl.textContent = "Enter a whole number of credits from 0 to " + num(MAX_LIMIT) + ", or leave it empty for no limit.";
      return;
    }
    limit = Number(text);
  }
  try {
    await api("PUT", "/credits/feature-limits/" + feature, { limit: limit });
  } catch (p) {
    if (p.status === 400) { errorEl.textContent = explain(p).text; return; }
    return showProblem(p);
  }
  state.editing = null;
  state.focusAfter = '[data-edit="' + feature + '"]';
  notice(limit === null ? FEATURES[feature] + ": limit removed." : FEATURES[feature] + ": limit set to " + count(limit, "credit", "credits") + ".");
  await refresh();
}

function featureRow(f) {
  var name = FEATURES[f.feature] || f.feature;
  var stopped = f.inPlan && f.creditLimit !== null && f.creditLimit <= f.creditsUsed;
  return h("tr", { "data-feature": f.feature, class: f.inPlan ? null : "absent" },
    h("td", { class: "name-cell" }, h("span", { class: "feature-name" }, name), " ",
      f.inPlan ? null : pill("absent", "Not in your plan"),
      stopped ? pill("stopped", "Stopped") : null,
      stopped ? h("span", { class: "detail stop-why" }, "Its limit is at or below what it used: it stays stopped until the limit is raised or credits renew.") : null),
    h("td", { class: "num", "data-label": "Credits used" }, num(f.creditsUsed)),
    h("td", { class: "num", "data-label": "Estimated requests" }, f.estimatedRequests === null ? h("span", { "aria-label": "no limit, no estimate" }, "—") : num(f.estimatedRequests)),
    h("td", { class: "num", "data-label": "Credit limit" }, h("div", { class: "limit-cell" }, limitCell(f))));
}

function limitsCard(c) {
  return h("section", { class: "card", "aria-labelledby": "limits-title" },
    h("h2", { id: "limits-title" }, "Feature limits"),
    h("p", { class: "detail" }, "A limit caps what one feature may use this period. It reserves nothing: every feature draws from the same balance, first come, first served." +
      (canEdit() ? " Use the pencil to set or remove a limit." : " Only an admin can change limits.")),
    h("table", { class: "features" },
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Feature"), h("th", { scope: "col", class: "num" }, "Credits used"),
        h("th", { scope: "col", class: "num" }, "Estimated requests"), h("th", { scope: "col", class: "num" }, "Credit limit"))),
      h("tbody", { id: "features" }, c.features.map(featureRow))));
}

function renderCredits(c, daily) {
  state.last = { credits: c, daily: daily };
  panel("credits").replaceChildren(usageCard(c), chartCard(daily), balanceCard(c), limitsCard(c));
  restoreFocus();
}

// ---- AI agents ---------------------------------------------------------------------------------

function slug(name) {
  var base = name.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40);
  var random = Array.from(crypto.getRandomValues(new Uint8Array(4)), function (b) { return b.toString(36).padStart(2, "0"); }).join("").slice(0, 6);
  return (base || "agent") + "-" + random;
}

var AGENT_STATES = { draft: "Draft", active: "Active", offline: "Offline" };

function agentItem(a) {
  var label = AGENT_STATES[a.state] || a.state;
  var why = a.state === "offline" && a.offlineReason === "limit_lowered" ? "Turned off when the plan's limit went down" : null;
  return h("li", { "data-agent": a.id },
    h("span", { class: "name" }, a.name, h("small", null, why || "Created " + day(a.createdAt))),
    h("span", { class: "pill " + a.state, "data-state": a.state }, label),
    canEdit() ? (a.state === "active"
      ? h("button", { type: "button", class: "ghost act", "data-action": "deactivate", "aria-label": "Deactivate " + a.name, onclick: function () { switchAgent(a, "deactivate"); } }, "Deactivate")
      : h("button", { type: "button", class: "act", "data-action": "activate", "aria-label": "Activate " + a.name, onclick: function () { switchAgent(a, "activate"); } }, "Activate"))
      : null);
}

async function switchAgent(a, action) {
  var decision;
  try {
    decision = await api("POST", "/agents/" + encodeURIComponent(a.id) + "/" + action);
  } catch (p) {
    return showProblem(p);
  }
  state.focusAfter = '[data-agent="' + CSS.escape(a.id) + '"] .act';
  if (decision.allowed) {
    notice(action === "activate" ? a.name + " is active." : a.name + " is offline; its slot is free.");
  } else {
    // The message already says how to free a slot; the upgrade is the other way out.
    notice([h("strong", null, "Not activated. "), decision.message,
      decision.upgradeTo ? h("p", { class: "upgrade" }, h("strong", { "data-upgrade": decision.upgradeTo }, "Upgrade to " + PLANS[decision.upgradeTo]),
        decision.reason === "feature_not_in_plan" ? " to use AI agents" : " for more active agents at once",
        ": ask whoever manages your subscription.") : null], true);
  }
  await refresh();
}

async function createAgent(nameInput, errorEl) {
  var name = nameInput.value.trim();
  if (!name) { errorEl.textContent = "Give the agent a name."; nameInput.focus(); return; }
  var decision;
  try {
    decision = await api("POST", "/agents", { id: slug(name), name: name });
  } catch (p) {
    if (p.status === 400 || p.status === 409) { errorEl.textContent = explain(p).text; return; }
    return showProblem(p);
  }
  if (decision.allowed) {
    notice("Created " + name + " as a draft: activate it when it's ready.");
    state.focusAfter = "#agent-name";
  } else {
    notice([h("strong", null, "Not created. "), decision.message], true);
  }
  await refresh();
}

function renderAgents(list, sub) {
  var notInPlan = list.limit === 0;
  var error = h("p", { class: "error", role: "alert", id: "agent-error" });
  var nameInput = h("input", { id: "agent-name", name: "name", maxlength: 200, autocomplete: "off", required: true });
  panel("agents").replaceChildren(h("section", { class: "card", "aria-labelledby": "agents-title" },
    h("h2", { id: "agents-title" }, "AI agents"),
    h("p", { id: "agents-count" }, list.limit === null
      ? num(list.active) + " active (no limit)"
      : notInPlan ? "Not in your plan" : num(list.active) + " of " + num(list.limit) + " active",
      h("span", { class: "muted" }, " · " + num(list.total) + " of " + num(list.totalLimit) + " created")),
    notInPlan ? consequence(false, ["AI agents are not included in the " + PLANS[sub.plan] + " plan: agents can be created as drafts but not activated. " + upgradeHint(sub)]) : null,
    canEdit() ? h("form", {
      class: "agent-form", novalidate: true,
      onsubmit: function (e) { e.preventDefault(); createAgent(nameInput, error); }
    }, h("div", { class: "field" }, h("label", { for: "agent-name" }, "New agent's name"), nameInput),
      h("button", { type: "submit" }, "Create agent"), error)
      : h("p", { class: "detail" }, "You can see the agents; only an admin can create, activate or deactivate them."),
    list.agents.length
      ? h("ul", { class: "agents", id: "agents" }, list.agents.map(agentItem))
      : h("p", { class: "muted" }, "No agents yet.")));
  restoreFocus();
}

// ---- loading -----------------------------------------------------------------------------------

function restoreFocus() {
  if (!state.focusAfter) return;
  var el = document.querySelector(state.focusAfter);
  state.focusAfter = null;
  if (el) { el.focus(); if (el.select) el.select(); }
}

var EXTRA = {
  usage: function () { return api("GET", "/usage"); },
  credits: function () { return api("GET", "/credits"); },
  agents: function () { return api("GET", "/agents"); }
};

/** Loads the figures of the open tab; answers from an earlier workspace or tab are dropped. */
async function refresh() {
  var gen = ++state.gen;
  var tab = state.tab;
  var target = panel(tab);
  target.setAttribute("aria-busy", "true");
  if (!target.firstChild) target.append(h("p", { class: "loading" }, "Loading…"));
  try {
    var answers = await Promise.all([api("GET", "/subscription"), api("GET", "/credits/daily"), EXTRA[tab]()]);
    if (gen !== state.gen) return;
    var sub = answers[0];
    var daily = answers[1];
    state.clock = { asOf: Date.parse(daily.asOf), readAt: Date.now() };
    renderSummary(sub, daily);
    if (tab === "usage") { renderUsage(answers[2], sub); restoreFocus(); }
    if (tab === "credits") renderCredits(answers[2], daily);
    if (tab === "agents") renderAgents(answers[2], sub);
    state.loaded = true;
  } catch (p) {
    if (gen !== state.gen) return;
    if (!(p instanceof Problem)) { console.error(p); p = new Problem("bug", 0, null, String(p)); }
    showProblem(p);
  } finally {
    target.removeAttribute("aria-busy");
  }
}

function selectTab(tab, focus) {
  if (TABS.indexOf(tab) === -1) tab = "usage";
  state.tab = tab;
  state.editing = null;
  TABS.forEach(function (t) {
    var button = $("tab-" + t);
    button.setAttribute("aria-selected", String(t === tab));
    button.tabIndex = t === tab ? 0 : -1;
    panel(t).hidden = t !== tab;
  });
  if (focus) $("tab-" + tab).focus();
  history.replaceState(null, "", location.pathname + location.search + "#" + tab);
}

// ---- signing in and out ------------------------------------------------------------------------

function signInError(text) {
  $("signin-error").textContent = text;
}

function open(ws) {
  state.ws = ws;
  state.clock = null;
  clearFigures();
  notice(null);
  $("who-ws").textContent = ws;
  $("who-role").textContent = ROLES[state.claims.role];
  $("switch-form").hidden = !isPlatform();
  $("switch-ws").value = "";
  $("who").hidden = false;
  $("signin").hidden = true;
  $("app").hidden = false;
  var search = isPlatform() ? "?ws=" + encodeURIComponent(ws) : "";
  history.replaceState(null, "", location.pathname + search + "#" + state.tab);
  refresh();
}

function signIn(token, wsWanted) {
  signInError("");
  var claims = decodeToken(token);
  if (!claims) {
    return signInError("This doesn't look like an access token: it has three parts separated by dots. Copy it again, whole.");
  }
  if (claims.exp * 1000 <= Date.now()) {
    return signInError("This token expired on " + when(new Date(claims.exp * 1000).toISOString()) + ". Ask for a new one.");
  }
  var ws = claims.ws;
  if (ws === "*") {
    ws = (wsWanted || "").trim();
    if (!ws) {
      $("ws-field").hidden = false;
      $("ws").focus();
      return signInError("Your token opens every workspace: enter the workspace id, then press Enter.");
    }
    if (!WS_PATTERN.test(ws)) {
      $("ws-field").hidden = false;
      $("ws").focus();
      return signInError("A workspace id is 1 to 64 letters, digits, hyphens or underscores.");
    }
  }
  state.token = token;
  state.claims = claims;
  localStorage.setItem(STORE.token, token);
  if (claims.ws === "*") localStorage.setItem(STORE.ws, ws);
  open(ws);
  if (claims.ws !== "*" && wsWanted && wsWanted !== claims.ws) {
    notice("This link is for workspace " + wsWanted + ", but your token opens " + claims.ws + ": showing " + claims.ws + ".");
  }
}

function signOut() {
  state.gen++;
  localStorage.removeItem(STORE.token);
  localStorage.removeItem(STORE.ws);
  state.token = null; state.claims = null; state.ws = null; state.clock = null;
  clearFigures();
  notice(null);
  $("who").hidden = true;
  $("app").hidden = true;
  $("signin").hidden = false;
  $("token").value = "";
  $("ws").value = "";
  $("ws-field").hidden = true;
  signInError("");
  history.replaceState(null, "", location.pathname);
  $("token").focus();
}

// ---- wiring ------------------------------------------------------------------------------------

function start() {
  var wanted = new URLSearchParams(location.search).get("ws");
  var hashTab = location.hash.slice(1);
  if (TABS.indexOf(hashTab) !== -1) selectTab(hashTab, false);
  if (wanted) $("ws").value = wanted;

  $("signin-form").addEventListener("submit", function (e) {
    e.preventDefault();
    signIn($("token").value.trim(), $("ws").value.trim() || wanted);
  });
  $("sign-out").addEventListener("click", signOut);
  $("switch-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var ws = $("switch-ws").value.trim();
    if (!WS_PATTERN.test(ws)) {
      notice("A workspace id is 1 to 64 letters, digits, hyphens or underscores.", true);
      return;
    }
    localStorage.setItem(STORE.ws, ws);
    open(ws);
  });
  TABS.forEach(function (t) {
    $("tab-" + t).addEventListener("click", function () {
      if (state.tab === t) return;
      notice(null);
      selectTab(t, false);
      refresh();
    });
  });
  document.querySelector('[role="tablist"]').addEventListener("keydown", function (e) {
    var i = TABS.indexOf(state.tab);
    var next = e.key === "ArrowRight" ? (i + 1) % TABS.length
      : e.key === "ArrowLeft" ? (i + TABS.length - 1) % TABS.length
      : e.key === "Home" ? 0 : e.key === "End" ? TABS.length - 1 : -1;
    if (next === -1) return;
    e.preventDefault();
    notice(null);
    selectTab(TABS[next], true);
    refresh();
  });
  setInterval(tick, 30000);

  var stored = localStorage.getItem(STORE.token);
  var claims = stored ? decodeToken(stored) : null;
  if (stored && claims && claims.exp * 1000 > Date.now()) {
    signIn(stored, wanted || localStorage.getItem(STORE.ws) || "");
  } else {
    if (stored) localStorage.removeItem(STORE.token);
    $("token").focus();
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
})();
`;
