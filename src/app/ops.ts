/**
 * The operator page (/ops) for the platform team: the fleet summary, the workspaces that need a
 * look and the refusals of the last 24 hours, from /v1/fleet/* with a platform token for every
 * workspace. Built like the billing page (src/app/page.ts): a static page whose script
 * (TypeScript in src/app/ops-client, bundled into opsBundle.ts by scripts/build-app.mjs, served
 * at /ops/ops.js) calls the public API; the page, its stylesheet and its script come from this
 * Worker alone and the CSP allows nothing else.
 */
import { BILLING_CSS } from "./page";

export { OPS_SCRIPT } from "./opsBundle";

export const OPS_PAGE = /* html */ `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Fleet · Quota checker</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ops/ops.css">
<script src="/ops/ops.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="bar">
  <a class="brand" href="/ops">Fleet</a>
  <span id="updated" class="muted"></span>
  <button id="reload" type="button" class="ghost">Reload</button>
  <button id="sign-out" type="button" class="ghost" hidden>Sign out</button>
</header>
<main id="main" tabindex="-1">
  <section id="signin" class="card signin" aria-labelledby="signin-title">
    <h1 id="signin-title">Sign in</h1>
    <p>Paste a platform token for every workspace (<code>ws *</code>) and press Enter.</p>
    <form id="signin-form" novalidate>
      <label for="token">Access token</label>
      <input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required aria-describedby="token-hint">
      <p id="token-hint" class="hint">Kept in this browser only, shared with the billing page, until you sign out.</p>
      <button type="submit">Sign in</button>
      <p id="signin-error" class="error" role="alert"></p>
    </form>
  </section>
  <div id="app" hidden>
    <div id="summary" aria-live="polite"></div>
    <div id="chart"></div>
    <div id="lists" class="lists"></div>
    <div id="catalogue"></div>
  </div>
</main>
</body>
</html>`;

/** The billing page's look, and what only this page has. */
export const OPS_CSS = `${BILLING_CSS}
.bar #updated { font-size:13px; }
code { background:#eceef3; border-radius:4px; padding:0 4px; }
.summary-grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(300px, 1fr)); gap:14px; margin-bottom:14px; }
.summary-grid .card { margin:0; }
.facts { display:flex; flex-wrap:wrap; gap:10px 22px; }
.fact { display:flex; flex-direction:column; }
.fact .label { color:var(--muted); font-size:13px; }
.fact strong { font-size:22px; font-weight:650; }
.fact .sub { color:var(--muted); font-size:13px; }
.plans { list-style:none; padding:0; margin:10px 0 0; display:flex; flex-wrap:wrap; gap:6px 14px; }
.states { width:100%; border-collapse:collapse; }
.states th, .states td { padding:6px 4px; border-bottom:1px solid var(--line); text-align:left; }
.states thead th, .states td { overflow-wrap:normal; white-space:nowrap; }
.states thead th { color:var(--muted); font-weight:500; font-size:13px; }
.states .num { text-align:right; }
.states .warn { color:#8a5300; font-weight:650; } .states .bad { color:var(--bad); font-weight:650; }
.lists { display:grid; grid-template-columns:repeat(auto-fill, minmax(320px, 1fr)); gap:14px; }
.lists .card { margin:0; }
.rows { list-style:none; margin:0; padding:0; }
.rows li { padding:8px 0; border-bottom:1px solid var(--line); }
.rows .line { display:flex; flex-wrap:wrap; gap:4px 10px; align-items:center; }
.rows .ws { font-weight:600; min-height:24px; }
.rows .detail { color:var(--muted); font-size:14px; }
.stale { color:var(--muted); font-size:12px; margin-left:auto; } .stale.old { color:var(--bad); }
.chart rect { stroke:none; }
.r-insufficient_credits { fill:#b42318; background:#b42318; } .r-feature_limit_reached { fill:#e07a1f; background:#e07a1f; }
.r-feature_not_in_plan { fill:#8e5cf7; background:#8e5cf7; } .r-question_limit_reached { fill:#0f9c9c; background:#0f9c9c; }
.r-active_agent_limit { fill:#d1457f; background:#d1457f; } .r-workspace_agent_limit { fill:#7a5c3e; background:#7a5c3e; }
.r-agent_limit_reached { fill:#3b6fd8; background:#3b6fd8; }
@media (max-width: 640px) {
  .summary-grid, .lists { grid-template-columns:minmax(0, 1fr); }
  .rows .ws { display:inline-flex; align-items:center; min-height:44px; }
}
`;
