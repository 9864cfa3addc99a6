/**
 * The billing page for people (PRODUCT.md §10): Usage, Manage credits and AI agents. It is a
 * static page that calls the same public API as every other client, with a bearer token the
 * person pastes in (kept in this browser's localStorage only).
 */
export const BILLING_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billing · Quota checker</title>
<style>
  :root { --ink:#1d2433; --muted:#6b7385; --line:#e3e6ee; --bg:#f6f7fb; --card:#fff;
          --accent:#2f6bff; --warn:#e8a200; --bad:#d64545; --good:#1f9d6b; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color:var(--ink); background:var(--bg); }
  header { background:var(--card); border-bottom:1px solid var(--line); padding:12px 24px; display:flex; gap:16px; align-items:center; flex-wrap:wrap; }
  header h1 { font-size:16px; margin:0 16px 0 0; }
  header label { color:var(--muted); font-size:12px; display:flex; flex-direction:column; gap:2px; }
  input, select, button { font:inherit; }
  input { border:1px solid var(--line); border-radius:6px; padding:6px 8px; }
  #token { width:320px; }
  button { border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:6px; padding:6px 12px; cursor:pointer; }
  button.ghost { background:transparent; color:var(--accent); }
  button:disabled { opacity:.5; cursor:default; }
  nav { display:flex; gap:4px; padding:0 24px; background:var(--card); border-bottom:1px solid var(--line); }
  nav button { background:none; border:none; border-bottom:2px solid transparent; color:var(--muted); border-radius:0; padding:10px 12px; }
  nav button[aria-selected="true"] { color:var(--ink); border-bottom-color:var(--accent); }
  main { padding:24px; max-width:1040px; }
  .card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 20px; margin-bottom:16px; }
  .card h2 { font-size:15px; margin:0 0 12px; }
  .grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(300px, 1fr)); gap:16px; }
  .meter { height:8px; background:var(--line); border-radius:4px; overflow:hidden; margin:6px 0; }
  .meter > span { display:block; height:100%; background:var(--accent); }
  .meter.warn > span { background:var(--warn); } .meter.bad > span { background:var(--bad); }
  .muted { color:var(--muted); } .figure { font-size:22px; font-weight:600; }
  .pill { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; background:var(--line); }
  .pill.grace { background:#fff3d6; color:#8a5a00; } .pill.enforced { background:#fde2e2; color:#9b1c1c; }
  .pill.active { background:#dff5ea; color:#146c4a; } .pill.offline { background:#eceef3; } .pill.draft { background:#e7eeff; color:#1f4fc7; }
  table { width:100%; border-collapse:collapse; } th, td { text-align:left; padding:8px 6px; border-bottom:1px solid var(--line); }
  th { color:var(--muted); font-weight:500; font-size:12px; }
  td input { width:110px; }
  #status { margin-left:auto; color:var(--muted); font-size:12px; }
  #status.error { color:var(--bad); }
  .notice { padding:10px 12px; border-radius:8px; margin-bottom:12px; background:#fff3d6; }
  .notice.error { background:#fde2e2; }
  [hidden] { display:none !important; }
</style>
</head>
<body>
<header>
  <h1>Billing</h1>
  <label>Workspace <input id="ws" placeholder="acme" autocomplete="off"></label>
  <label>Bearer token <input id="token" type="password" placeholder="npm run token -- acme admin" autocomplete="off"></label>
  <button id="load">Load</button>
  <span id="status" role="status"></span>
</header>
<nav role="tablist">
  <button role="tab" data-tab="usage" aria-selected="true">Usage</button>
  <button role="tab" data-tab="credits" aria-selected="false">Manage credits</button>
  <button role="tab" data-tab="agents" aria-selected="false">AI agents</button>
</nav>
<main>
  <div id="notice" class="notice" hidden></div>
  <section id="tab-usage" data-panel="usage"><div class="grid" id="usage-grid"></div></section>
  <section id="tab-credits" data-panel="credits" hidden>
    <div class="card">
      <h2>Credit usage</h2>
      <div class="figure" id="credits-percent">–</div>
      <div class="meter" id="credits-meter"><span style="width:0%"></span></div>
      <div class="muted" id="credits-reset"></div>
    </div>
    <div class="card">
      <h2>Monthly balance</h2>
      <table><tbody id="credits-balance"></tbody></table>
    </div>
    <div class="card">
      <h2>Feature limits</h2>
      <p class="muted">A limit reserves nothing: every feature draws from the shared balance, first come, first served, until it reaches its limit. Clear a limit to remove it.</p>
      <table>
        <thead><tr><th>Feature</th><th>Credits used</th><th>Estimated requests</th><th>Credit limit</th><th></th></tr></thead>
        <tbody id="features"></tbody>
      </table>
    </div>
  </section>
  <section id="tab-agents" data-panel="agents" hidden>
    <div class="card">
      <h2>AI agents <span class="muted" id="agents-count"></span></h2>
      <form id="agent-form" style="display:flex; gap:8px; margin-bottom:12px">
        <input id="agent-id" placeholder="id, e.g. sales-ig" required maxlength="128">
        <input id="agent-name" placeholder="name" required maxlength="200">
        <button type="submit">Create agent</button>
      </form>
      <table>
        <thead><tr><th>Agent</th><th>State</th><th></th></tr></thead>
        <tbody id="agents"></tbody>
      </table>
    </div>
  </section>
</main>
<script type="module">
const $ = (id) => document.getElementById(id);
const state = { tab: "usage" };
const fmt = (n) => (n === null || n === undefined ? "unlimited" : Number(n).toLocaleString("en-US"));
const when = (s) => (s ? new Date(s).toLocaleString("en-US", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" }) + " UTC" : "");
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

$("ws").value = localStorage.getItem("billing.ws") ?? new URLSearchParams(location.search).get("ws") ?? "";
$("token").value = localStorage.getItem("billing.token") ?? "";

function status(text, isError = false) { $("status").textContent = text; $("status").className = isError ? "error" : ""; }
function notice(text, isError = false) {
  const el = $("notice"); el.hidden = !text; el.textContent = text ?? ""; el.className = "notice" + (isError ? " error" : "");
}

async function api(method, path, body) {
  const ws = $("ws").value.trim();
  const headers = { authorization: "Bearer " + $("token").value.trim() };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch("/v1/workspaces/" + encodeURIComponent(ws) + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(json.error?.message ?? res.status + " " + res.statusText);
  return json;
}

function meter(used, limit) {
  const pct = limit ? Math.min(100, (used / limit) * 100) : 0;
  const cls = limit === null ? "" : pct >= 100 ? "bad" : pct >= 80 ? "warn" : "";
  return '<div class="meter ' + cls + '"><span style="width:' + pct.toFixed(1) + '%"></span></div>';
}

const USAGE_LABELS = {
  credits: "AI credits this period", copilotQuestions: "Copilot Kommo questions", leads: "Leads",
  contactsAndCompanies: "Contacts and companies", whatsapp: "WhatsApp numbers",
  instagram: "Instagram accounts", agents: "Active AI agents",
};

async function loadUsage() {
  const u = await api("GET", "/usage");
  $("usage-grid").innerHTML = Object.entries(USAGE_LABELS).filter(([k]) => u[k]).map(([key, label]) => {
    const x = u[key];
    const stateTag = x.state && x.state !== "ok" ? ' <span class="pill ' + x.state + '">' + x.state + "</span>" : "";
    const extra = [];
    if (x.graceEndsAt) extra.push("Grace ends " + when(x.graceEndsAt));
    if (x.blocked) extra.push(fmt(x.blocked) + " blocked");
    if (key === "agents") extra.push(fmt(x.total) + " of " + fmt(x.totalLimit) + " agents created");
    if (x.nextResetAt) extra.push("Resets " + when(x.nextResetAt));
    return '<div class="card" data-usage="' + key + '"><h2>' + label + stateTag + '</h2><div class="figure">' +
      fmt(x.used) + ' <span class="muted">/ ' + fmt(x.limit) + "</span></div>" + meter(x.used, x.limit) +
      '<div class="muted">' + extra.map(esc).join(" · ") + "</div></div>";
  }).join("");
}

async function loadCredits() {
  const c = await api("GET", "/credits");
  $("credits-percent").textContent = Number(c.percentUsed).toFixed(1) + "% used";
  $("credits-meter").outerHTML = meter(c.used, c.monthlyBalance).replace('class="meter', 'id="credits-meter" class="meter');
  $("credits-reset").textContent = fmt(c.used) + " used, " + fmt(c.held) + " held, " + fmt(c.remaining) + " remaining · Next reset " + when(c.nextResetAt);
  const pkgs = (c.packages ?? []).map((p) => esc(p.id) + ": " + fmt(p.credits) + " until " + esc(when(p.expiresAt))).join("; ");
  $("credits-balance").innerHTML = [
    ["Monthly balance", fmt(c.monthlyBalance)], ["Included credits (per seat)", fmt(c.includedPerSeat)],
    ["Number of seats", fmt(c.seats)], ["Credit add-on", fmt(c.addOnCredits) + (pkgs ? ' <span class="muted">(' + pkgs + ")</span>" : "")],
  ].map(([k, v]) => "<tr><th>" + k + "</th><td>" + v + "</td></tr>").join("");
  $("features").innerHTML = c.features.map((f) =>
    '<tr data-feature="' + esc(f.feature) + '"><td>' + esc(f.feature) + "</td><td>" + fmt(f.creditsUsed) + "</td><td>" +
    (f.estimatedRequests === null || f.estimatedRequests === undefined ? "–" : fmt(f.estimatedRequests)) +
    '</td><td><input type="number" min="0" step="1" placeholder="no limit" value="' + (f.creditLimit ?? "") + '"></td>' +
    '<td><button class="ghost" data-save="' + esc(f.feature) + '">Save</button></td></tr>').join("");
}

async function loadAgents() {
  const { agents } = await api("GET", "/agents");
  const active = agents.filter((a) => a.state === "active").length;
  $("agents-count").textContent = "(" + active + " active, " + agents.length + " total)";
  $("agents").innerHTML = agents.map((a) =>
    '<tr data-agent="' + esc(a.id) + '"><td>' + esc(a.name) + ' <span class="muted">' + esc(a.id) + "</span></td>" +
    '<td><span class="pill ' + esc(a.state) + '">' + esc(a.state) + "</span></td><td>" +
    (a.state === "active"
      ? '<button class="ghost" data-deactivate="' + esc(a.id) + '">Turn off</button>'
      : '<button data-activate="' + esc(a.id) + '">Enable</button>') + "</td></tr>").join("");
}

const loaders = { usage: loadUsage, credits: loadCredits, agents: loadAgents };

async function refresh() {
  localStorage.setItem("billing.ws", $("ws").value.trim());
  localStorage.setItem("billing.token", $("token").value.trim());
  status("Loading…");
  try { await loaders[state.tab](); status("Updated " + new Date().toLocaleTimeString()); }
  catch (e) { status(e.message, true); }
}

document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => {
  state.tab = b.dataset.tab;
  document.querySelectorAll("nav button").forEach((x) => x.setAttribute("aria-selected", String(x === b)));
  document.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== state.tab; });
  notice("");
  refresh();
}));
$("load").addEventListener("click", refresh);

$("features").addEventListener("click", async (e) => {
  const feature = e.target.dataset?.save; if (!feature) return;
  const raw = e.target.closest("tr").querySelector("input").value.trim();
  try {
    await api("PUT", "/credits/feature-limits/" + feature, { limit: raw === "" ? null : Number(raw) });
    notice(""); await refresh();
  } catch (err) { notice(err.message, true); }
});

$("agents").addEventListener("click", async (e) => {
  const id = e.target.dataset?.activate ?? e.target.dataset?.deactivate; if (!id) return;
  const action = e.target.dataset.activate ? "activate" : "deactivate";
  try {
    const decision = await api("POST", "/agents/" + encodeURIComponent(id) + "/" + action);
    notice(decision.allowed ? "" : decision.message, !decision.allowed);
    await refresh();
  } catch (err) { notice(err.message, true); }
});

$("agent-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const decision = await api("POST", "/agents", { id: $("agent-id").value.trim(), name: $("agent-name").value.trim() });
    notice(decision.allowed ? "" : decision.message, !decision.allowed);
    $("agent-id").value = ""; $("agent-name").value = "";
    await refresh();
  } catch (err) { notice(err.message, true); }
});

if ($("ws").value && $("token").value) refresh();
</script>
</body>
</html>`;
