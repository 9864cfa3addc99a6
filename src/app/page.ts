/**
 * The billing page for people (/app): Usage, Manage credits and AI agents. A static page whose
 * script (TypeScript in src/app/client, bundled into bundle.ts by scripts/build-app.mjs and
 * served at /app/app.js) calls the same public API as every other client, with the bearer token
 * the person pastes in. The page, its stylesheet and its script come from this Worker alone; the
 * CSP allows nothing else (no inline script or style, no other origin).
 */
export { BILLING_SCRIPT } from "./bundle";

export const BILLING_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Billing · Quota checker</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app/app.css">
<script src="/app/app.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="bar">
  <a class="brand" href="/app">Billing</a>
  <div id="who" class="who" hidden>
    <span class="who-ws"><span class="muted">Workspace</span> <strong id="who-ws"></strong></span>
    <span id="who-role" class="pill"></span>
    <form id="switch-form" class="switch" hidden>
      <label for="switch-ws" class="sr-only">Open another workspace (id)</label>
      <input id="switch-ws" name="ws" placeholder="Workspace id" autocomplete="off" spellcheck="false" maxlength="64">
      <button type="submit" class="ghost">Open</button>
    </form>
    <button id="sign-out" type="button" class="ghost">Sign out</button>
  </div>
</header>
<main id="main" tabindex="-1">
  <section id="signin" class="card signin" aria-labelledby="signin-title">
    <h1 id="signin-title">Sign in</h1>
    <p>Paste the access token you were given and press Enter. It tells the page which workspace to open.</p>
    <form id="signin-form" novalidate>
      <label for="token">Access token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="token-hint">
      <p id="token-hint" class="hint">Kept in this browser only, until you sign out.</p>
      <div id="ws-field" hidden>
        <label for="ws">Workspace id</label>
        <input id="ws" name="ws" autocomplete="off" spellcheck="false" maxlength="64" aria-describedby="ws-hint">
        <p id="ws-hint" class="hint">Your token opens every workspace: say which one.</p>
      </div>
      <button type="submit">Sign in</button>
      <p id="signin-error" class="error" role="alert"></p>
    </form>
  </section>
  <div id="app" hidden>
    <div id="summary" class="summary" aria-live="polite"></div>
    <p id="live" class="live" role="status" hidden></p>
    <div class="tabs" id="tablist" role="tablist" aria-label="Billing">
      <button role="tab" id="tab-usage" aria-controls="panel-usage" aria-selected="true" tabindex="0">Usage</button>
      <button role="tab" id="tab-credits" aria-controls="panel-credits" aria-selected="false" tabindex="-1">Manage credits</button>
      <button role="tab" id="tab-agents" aria-controls="panel-agents" aria-selected="false" tabindex="-1">AI agents</button>
    </div>
    <div id="notice" class="notice" role="status" aria-live="polite" hidden></div>
    <section role="tabpanel" id="panel-usage" aria-labelledby="tab-usage" tabindex="0"></section>
    <section role="tabpanel" id="panel-credits" aria-labelledby="tab-credits" tabindex="0" hidden></section>
    <section role="tabpanel" id="panel-agents" aria-labelledby="tab-agents" tabindex="0" hidden></section>
  </div>
</main>
</body>
</html>`;

export const BILLING_CSS = /* css */ `
:root { --ink:#1d2433; --muted:#5d6577; --line:#e3e6ee; --bg:#f5f6fa; --card:#fff; --accent:#2450d8;
  --accent-soft:#e8eeff; --warn:#b76e00; --warn-soft:#fff4dc; --bad:#b42318; --bad-soft:#fde8e6;
  --good:#1f7a55; --good-soft:#e2f5ec; --radius:10px; }
* { box-sizing:border-box; }
html { -webkit-text-size-adjust:100%; }
body { margin:0; font:15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--ink); background:var(--bg); overflow-wrap:anywhere; }
h1, h2, h3 { line-height:1.25; }
a { color:var(--accent); }
button, input { font:inherit; color:inherit; }
:focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
.sr-only { position:absolute; width:1px; height:1px; padding:0; margin:-1px; overflow:hidden; clip:rect(0 0 0 0); white-space:nowrap; border:0; }
.skip { position:absolute; left:-999px; top:0; } .skip:focus { left:8px; top:8px; background:#fff; padding:6px 10px; z-index:3; }
[hidden] { display:none !important; }

button { border:1px solid var(--accent); background:var(--accent); color:#fff; border-radius:8px; padding:7px 14px; cursor:pointer; min-height:36px; }
button:hover { filter:brightness(1.08); }
button.ghost { background:transparent; color:var(--accent); }
button.quiet { background:transparent; border-color:transparent; color:var(--accent); padding:4px 8px; }
button:disabled { opacity:.55; cursor:default; }
input { border:1px solid #c9ced9; border-radius:8px; padding:7px 10px; min-height:36px; background:#fff; min-width:0; }
label { font-weight:500; }

.bar { display:flex; flex-wrap:wrap; align-items:center; gap:8px 16px; padding:10px 16px; background:var(--card); border-bottom:1px solid var(--line); }
.brand { font-weight:700; font-size:17px; color:var(--ink); text-decoration:none; margin-right:auto; }
.who { display:flex; flex-wrap:wrap; align-items:center; gap:8px; }
.who-ws strong { font-weight:600; }
.switch { display:flex; gap:6px; }
.switch input { width:170px; }

main { max-width:1040px; margin:0 auto; padding:16px; }
main:focus { outline:none; }
.card { background:var(--card); border:1px solid var(--line); border-radius:var(--radius); padding:16px; margin-bottom:14px; }
.card > h2, .card > header h2 { font-size:16px; margin:0 0 10px; }
.signin { max-width:480px; margin:32px auto; }
.signin h1 { font-size:22px; margin:0 0 8px; }
.signin form { display:grid; gap:6px; }
.signin input { width:100%; }
.signin button { justify-self:start; margin-top:8px; }
.hint { color:var(--muted); font-size:13px; margin:0 0 6px; }
.error { color:var(--bad); margin:4px 0 0; }
.error:empty { display:none; }
.muted { color:var(--muted); }

.summary { display:flex; flex-wrap:wrap; gap:6px 22px; align-items:baseline; margin:4px 0 12px; }
.summary .plan { font-size:20px; font-weight:700; }
.summary .fact { color:var(--muted); }
.summary .fact strong { color:var(--ink); font-weight:600; }

.receipt-form { display:flex; flex-wrap:wrap; gap:8px; align-items:center; margin-bottom:10px; }
.receipt-form input { width:160px; max-width:100%; }
.receipt { display:grid; grid-template-columns:max-content 1fr; gap:4px 14px; margin:0; }
.receipt dt { color:var(--muted); }
.receipt dd { margin:0; }
select { font:inherit; color:inherit; border:1px solid #c9ced9; border-radius:8px; padding:7px 10px; min-height:36px; background:#fff; max-width:100%; }
.ledger-filters { display:flex; flex-wrap:wrap; gap:8px 12px; align-items:flex-end; margin:10px 0 12px; }
.ledger-filters .field { display:flex; flex-direction:column; gap:4px; flex:1 1 150px; min-width:0; }
.ledger-filters input, .ledger-filters select { width:100%; }
.ledger-table { width:100%; border-collapse:collapse; table-layout:fixed; font-size:14px; }
.ledger-table th, .ledger-table td { text-align:left; padding:7px 6px; border-bottom:1px solid var(--line); vertical-align:top; }
.ledger-table th { color:var(--muted); font-weight:500; font-size:13px; }
.ledger-table .num { text-align:right; }
.ledger-table .seq { font-weight:600; }
.ledger-table tr.marked td { background:var(--warn-soft); }
.ledger-table tr.marked td:first-child { box-shadow:inset 4px 0 0 var(--warn); }
.ledger-notes .detail { margin-top:8px; }
.ledger-pager { display:flex; flex-wrap:wrap; gap:8px; margin-top:10px; }
.ledger-pager:empty { display:none; }
.live { margin:-6px 0 12px; color:var(--muted); font-size:13px; }
.live strong { color:var(--ink); }
.live[data-live="live"] strong { color:var(--good); }
.live[data-live="live"] strong::before { content:"● "; }
.live[data-live="polling"] strong { color:var(--warn); }

.tabs { display:flex; gap:2px; border-bottom:1px solid var(--line); margin-bottom:14px; }
.tabs [role="tab"] { background:none; border:0; border-bottom:3px solid transparent; border-radius:0; color:var(--muted); padding:10px 10px; min-height:44px; font-weight:500; flex:0 1 auto; white-space:nowrap; }
.tabs [role="tab"][aria-selected="true"] { color:var(--ink); border-bottom-color:var(--accent); }
[role="tabpanel"]:focus-visible { outline-offset:6px; }

.notice { padding:12px 14px; border-radius:var(--radius); margin-bottom:14px; background:var(--accent-soft); }
.notice.bad { background:var(--bad-soft); }
.notice .actions { margin-top:8px; display:flex; flex-wrap:wrap; gap:8px; }
.notice .upgrade { margin:8px 0 0; }
.problem { border-color:#f2c4bf; background:var(--bad-soft); }
.problem h2 { color:var(--bad); }
.problem .actions { display:flex; flex-wrap:wrap; gap:8px; margin-top:10px; }
.loading { color:var(--muted); padding:12px 0; }

.limits { display:grid; grid-template-columns:repeat(auto-fill, minmax(300px, 1fr)); gap:14px; }
.limit { margin:0; display:flex; flex-direction:column; gap:4px; }
.limit h3 { font-size:15px; margin:0; display:flex; flex-wrap:wrap; gap:6px; align-items:center; }
.figure { font-size:22px; font-weight:650; }
.figure .of { font-size:15px; font-weight:400; color:var(--muted); }
.meter { height:8px; background:#e7e9f0; border-radius:4px; overflow:hidden; margin:4px 0; }
.meter > span { display:block; height:100%; width:0; background:var(--accent); border-radius:4px; }
.meter.warn > span { background:#e09b00; } .meter.bad > span { background:var(--bad); } .meter.none > span { background:transparent; }
.consequence { margin:6px 0 12px; padding:8px 10px; border-radius:8px; background:var(--warn-soft); }
.consequence.bad { background:var(--bad-soft); }
.consequence strong { font-weight:650; }
.detail { color:var(--muted); font-size:14px; margin:0; }

.pill { display:inline-block; padding:1px 9px; border-radius:999px; font-size:12px; font-weight:600; background:#eceef3; color:#39414f; white-space:nowrap; }
.pill.grace { background:var(--warn-soft); color:#8a5300; } .pill.enforced, .pill.stopped { background:var(--bad-soft); color:var(--bad); }
.pill.active, .pill.ok { background:var(--good-soft); color:var(--good); } .pill.draft { background:var(--accent-soft); color:#1f44b5; }
.pill.offline, .pill.absent { background:#eceef3; color:#4a5262; }

.usage-head { display:flex; flex-wrap:wrap; gap:4px 12px; align-items:baseline; }
.usage-head .figure { font-size:30px; }
.kv { display:grid; grid-template-columns:minmax(0, 1fr) auto; gap:0; margin:0; }
.kv dt, .kv dd { padding:8px 0; border-bottom:1px solid var(--line); margin:0; }
.kv dd { text-align:right; font-weight:600; }
.kv dd.sub { grid-column:1 / -1; padding:0 0 8px; text-align:left; font-weight:400; color:var(--muted); font-size:14px; }
.kv .sub ul { margin:0; padding:0; list-style:none; }
.kv .sub li { padding:2px 0 2px 14px; }

/* Fixed layout with the columns' widths (FEATURE_COLUMNS): the limit editor opening in a cell
   never moves the other columns. */
.features { width:100%; border-collapse:collapse; table-layout:fixed; }
.features th, .features td { text-align:left; padding:9px 6px; border-bottom:1px solid var(--line); vertical-align:middle; }
.features th { color:var(--muted); font-weight:500; font-size:13px; }
.features td.num, .features th.num { text-align:right; }
.features tr.absent td { color:var(--muted); }
.feature-name { font-weight:600; }
.stop-why { display:block; font-size:13px; margin-top:2px; }
.limit-cell { display:flex; justify-content:flex-end; align-items:center; gap:6px; flex-wrap:wrap; }
.limit-edit { background:transparent; color:var(--ink); border:1px solid transparent; padding:4px 8px; min-height:44px; }
.limit-edit:hover { border-color:var(--line); filter:none; }
.limit-edit .pencil { color:var(--accent); margin-left:6px; }
.limit-form { display:flex; flex-wrap:wrap; justify-content:flex-end; gap:6px; align-items:center; }
.limit-form input { width:120px; max-width:100%; }
.limit-form .hint { flex-basis:100%; text-align:right; margin:0; }
.limit-form .error { flex-basis:100%; text-align:right; }

.chart { display:block; width:100%; height:150px; background:linear-gradient(#eef0f5 1px, transparent 1px) 0 0 / 100% 25%; border-bottom:1px solid #c9ced9; }
.chart .slot { fill:#c9ced9; }
.chart-axis { display:flex; justify-content:space-between; color:var(--muted); font-size:12px; margin-top:4px; gap:8px; }
.chart-top { display:flex; justify-content:space-between; flex-wrap:wrap; gap:4px 12px; color:var(--muted); font-size:13px; margin-bottom:4px; }
.legend { display:flex; flex-wrap:wrap; gap:6px 14px; list-style:none; padding:0; margin:10px 0 0; font-size:13px; }
.legend li { display:flex; align-items:center; gap:6px; }
.swatch { width:12px; height:12px; border-radius:3px; display:inline-block; }
.scroll { overflow-x:auto; max-width:100%; }
details.figures { margin-top:10px; font-size:14px; }
details.figures summary { cursor:pointer; color:var(--accent); }
details.figures table { border-collapse:collapse; margin-top:6px; }
details.figures th, details.figures td { padding:4px 8px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
details.figures th:first-child, details.figures td:first-child { text-align:left; }

.f-ai_rewriter { fill:#2f6bff; background:#2f6bff; } .f-ai_summarize { fill:#0f9c9c; background:#0f9c9c; }
.f-ai_reply_suggestions { fill:#8e5cf7; background:#8e5cf7; } .f-ai_task_suggestions { fill:#e07a1f; background:#e07a1f; }
.f-ai_agent { fill:#d1457f; background:#d1457f; } .f-copilot { fill:#3a9d23; background:#3a9d23; }
.f-copilot_analyst { fill:#7a5c3e; background:#7a5c3e; }

.agent-form { display:flex; flex-wrap:wrap; gap:8px; align-items:flex-end; margin-bottom:14px; }
.agent-form .field { display:flex; flex-direction:column; gap:4px; flex:1 1 200px; min-width:0; }
.agent-form input { width:100%; }
.agents { list-style:none; margin:0; padding:0; }
.agents li { display:flex; flex-wrap:wrap; align-items:center; gap:8px 12px; padding:10px 0; border-bottom:1px solid var(--line); }
.agents .name { font-weight:600; flex:1 1 160px; min-width:0; }
.agents .name small { display:block; font-weight:400; color:var(--muted); }
.agents .act { margin-left:auto; }

@media (max-width: 640px) {
  main { padding:12px 10px; }
  .bar { padding:8px 10px; }
  .card { padding:14px 12px; }
  .limits { grid-template-columns:minmax(0, 1fr); }
  .tabs [role="tab"] { padding:10px 8px; flex:1 1 0; white-space:normal; font-size:14px; }
  .switch input { width:140px; }
  button, input, summary { min-height:44px; }
  details.figures summary { display:flex; align-items:center; }
  .features colgroup, .features thead { display:none; }
  .features, .features tbody, .features tr, .features td { display:block; width:100%; }
  .features tr { padding:8px 0; border-bottom:1px solid var(--line); }
  .features td { border:0; padding:3px 0; display:flex; justify-content:space-between; gap:10px; text-align:right; }
  .features td::before { content:attr(data-label); color:var(--muted); font-size:13px; text-align:left; flex:0 0 auto; white-space:nowrap; }
  .features .limit-cell { flex:1 1 auto; min-width:0; }
  .features td[data-column="feature"]::before { content:none; }
  .features td[data-column="feature"] { justify-content:flex-start; flex-wrap:wrap; text-align:left; align-items:center; }
  .stop-why { flex-basis:100%; }
  .limit-cell, .limit-form { justify-content:flex-end; }
  select { min-height:44px; }
  .ledger-table colgroup, .ledger-table thead { display:none; }
  .ledger-table, .ledger-table tbody, .ledger-table tr, .ledger-table td { display:block; width:100%; }
  .ledger-table tr { padding:4px 0; border-bottom:1px solid var(--line); }
  .ledger-table td { border:0; padding:2px 6px; display:flex; justify-content:space-between; gap:10px; text-align:right; }
  .ledger-table td::before { content:attr(data-label); color:var(--muted); font-size:13px; text-align:left; flex:0 0 auto; white-space:nowrap; }
  .ledger-table td a { display:inline-flex; align-items:center; min-height:44px; }
}
`;
