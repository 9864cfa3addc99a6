/**
 * The operator page's script (/ops/ops.js), bundled from these modules by scripts/build-app.mjs.
 * For the platform team: the fleet summary, the workspaces that need a look (in grace, enforced,
 * near exhaustion, webhook backlog), and the refusals of the last 24 hours by reason, each
 * workspace linking to the billing page's view of it. It signs in with a platform token for
 * every workspace, kept where the billing page keeps its own (same origin), so a link opens that
 * workspace's billing page without signing in again.
 */
import {
  DECISION_REASONS,
  type DecisionReason,
  FLEET_LIMITS,
  type FleetLimit,
} from "../../policy/fleet";
import { byId, type Child, h, svg } from "../client/dom";
import { count, duration, num, when } from "../client/format";
import { readToken } from "../client/token";
import {
  type Api,
  connect,
  type FleetDecisions,
  type FleetSummary,
  type FleetWorkspace,
  type ListQuery,
  Problem,
} from "./api";
import { renderCatalogue } from "./catalogue";

/** The billing page's storage key for the token (src/app/client/main.ts): one sign-in for both. */
const TOKEN_KEY = "billing.token";
const LIST_SIZE = 20;
const HOUR_MS = 3_600_000;

const LIMIT_LABEL: Record<FleetLimit, string> = {
  leads: "Leads",
  contactsAndCompanies: "Contacts & companies",
  whatsapp: "WhatsApp",
  instagram: "Instagram",
  agents: "AI agents",
};

const REASON_LABEL: Record<DecisionReason, string> = {
  allowed: "Allowed",
  insufficient_credits: "Out of credits",
  feature_limit_reached: "Feature cap reached",
  feature_not_in_plan: "Feature not in plan",
  question_limit_reached: "Copilot questions used up",
  active_agent_limit: "Active agent limit",
  workspace_agent_limit: "500 agents",
  agent_limit_reached: "Agent cap reached",
};
const REFUSALS = DECISION_REASONS.filter((r) => r !== "allowed");

let api: Api | null = null;

// ---- sign-in -----------------------------------------------------------------------------------

function signInError(text: string): void {
  byId("signin-error").textContent = text;
}

async function signIn(token: string): Promise<void> {
  const claims = readToken(token);
  if (claims === null) return signInError("That is not an access token.");
  if (claims.role !== "platform" || claims.ws !== "*") {
    return signInError("The fleet needs a platform token for every workspace (ws *).");
  }
  api = connect(token);
  try {
    await refresh();
  } catch (error) {
    api = null;
    byId("signin").hidden = false;
    byId("app").hidden = true;
    return signInError(
      error instanceof Problem && (error.status === 401 || error.status === 403)
        ? `The service refused this token: ${error.message}`
        : "The service could not be reached; try again.",
    );
  }
  localStorage.setItem(TOKEN_KEY, token);
  signInError("");
  byId("signin").hidden = true;
  byId("app").hidden = false;
  byId("sign-out").hidden = false;
}

function signOut(): void {
  localStorage.removeItem(TOKEN_KEY);
  api = null;
  byId("app").hidden = true;
  byId("sign-out").hidden = true;
  byId("signin").hidden = false;
  byId<HTMLInputElement>("token").value = "";
  byId("token").focus();
}

// ---- views -------------------------------------------------------------------------------------

const billingLink = (ws: string) =>
  h("a", { href: `/app?ws=${encodeURIComponent(ws)}`, class: "ws" }, ws);

const stale = (row: FleetWorkspace) =>
  h(
    "span",
    { class: row.staleSeconds > 300 ? "stale old" : "stale" },
    `reported ${row.staleSeconds < 60 ? "just now" : `${duration(row.staleSeconds * 1000)} ago`}`,
  );

function fact(label: string, value: Child, sub?: Child): HTMLElement {
  return h(
    "div",
    { class: "fact" },
    h("span", { class: "label" }, label),
    h("strong", null, value),
    sub ? h("span", { class: "sub" }, sub) : null,
  );
}

function summaryView(s: FleetSummary): HTMLElement {
  const plans = Object.entries(s.byPlan).sort((a, b) => b[1] - a[1]);
  const states = h(
    "table",
    { class: "states" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "Limit"),
        h("th", { class: "num" }, "OK"),
        h("th", { class: "num" }, "Grace"),
        h("th", { class: "num" }, "Enforced"),
      ),
    ),
    h(
      "tbody",
      null,
      FLEET_LIMITS.map((l) =>
        h(
          "tr",
          null,
          h("th", { scope: "row" }, LIMIT_LABEL[l]),
          h("td", { class: "num" }, num(s.limits[l].ok)),
          h("td", { class: s.limits[l].grace > 0 ? "num warn" : "num" }, num(s.limits[l].grace)),
          h(
            "td",
            { class: s.limits[l].enforced > 0 ? "num bad" : "num" },
            num(s.limits[l].enforced),
          ),
        ),
      ),
    ),
  );
  const buckets: [keyof FleetSummary["credits"], string][] = [
    ["0-50", "under 50 %"],
    ["50-80", "50–80 %"],
    ["80-100", "80–100 %"],
    ["over", "over 100 %"],
  ];
  return h(
    "div",
    { class: "summary-grid" },
    h(
      "section",
      { class: "card", "aria-labelledby": "fleet-title" },
      h("h2", { id: "fleet-title" }, "Workspaces"),
      h(
        "div",
        { class: "facts" },
        fact("In the index", num(s.workspaces)),
        fact(
          "Stalest report",
          s.reports.maxStaleSeconds === null ? "—" : duration(s.reports.maxStaleSeconds * 1000),
          "ago",
        ),
      ),
      h(
        "ul",
        { class: "plans" },
        plans.map(([plan, n]) => h("li", null, h("span", { class: "pill" }, plan), " ", num(n))),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "states-title" },
      h("h2", { id: "states-title" }, "Limits by state"),
      h("div", { class: "scroll" }, states),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "credits-title" },
      h("h2", { id: "credits-title" }, "AI credits used"),
      h(
        "div",
        { class: "facts" },
        buckets.map(([b, label]) => fact(label, num(s.credits[b]))),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "webhooks-title" },
      h("h2", { id: "webhooks-title" }, "Webhooks"),
      h(
        "div",
        { class: "facts" },
        fact("Workspaces with a backlog", num(s.webhooks.workspacesWithPending)),
        fact("Pending deliveries", num(s.webhooks.pendingDeliveries)),
        fact(
          "Oldest waiting",
          s.webhooks.oldestAgeSeconds === null ? "—" : duration(s.webhooks.oldestAgeSeconds * 1000),
        ),
      ),
    ),
  );
}

/** The soonest grace end among the limits in grace, with the limit's name. */
function graceOf(row: FleetWorkspace): { limit: FleetLimit; endsAt: string } | null {
  let best: { limit: FleetLimit; endsAt: string } | null = null;
  for (const l of FLEET_LIMITS) {
    const figures = row.limits[l];
    if (figures.state !== "grace" || figures.graceEndsAt === null) continue;
    if (best === null || figures.graceEndsAt < best.endsAt)
      best = { limit: l, endsAt: figures.graceEndsAt };
  }
  return best;
}

const enforcedOf = (row: FleetWorkspace) =>
  FLEET_LIMITS.filter((l) => row.limits[l].state === "enforced").map((l) => LIMIT_LABEL[l]);

interface ListSpec {
  id: string;
  title: string;
  empty: string;
  query: ListQuery;
  keep?: (row: FleetWorkspace) => boolean;
  detail: (row: FleetWorkspace) => Child;
}

const LISTS: ListSpec[] = [
  {
    id: "grace",
    title: "In grace",
    empty: "No workspace is in a grace period.",
    query: { state: "grace", sort: "graceEnds" },
    detail: (row) => {
      const g = graceOf(row);
      if (g === null) return null;
      const left = Date.parse(g.endsAt) - Date.now();
      return [
        h("strong", null, LIMIT_LABEL[g.limit]),
        ` ${left > 0 ? `${duration(left)} left` : "ending"} · ends ${when(g.endsAt)}`,
      ];
    },
  },
  {
    id: "enforced",
    title: "Enforced",
    empty: "No limit is enforced anywhere.",
    query: { state: "enforced" },
    detail: (row) => enforcedOf(row).join(", "),
  },
  {
    id: "exhaustion",
    title: "Near exhaustion (credits ≥ 80 %)",
    empty: "No workspace has used 80 % of its credits.",
    query: { limit: "credits", minPercent: 80, sort: "percent" },
    detail: (row) =>
      `${row.credits.percent} % · ${num(row.credits.used)} of ${num(row.credits.balance)} credits`,
  },
  {
    id: "webhooks",
    title: "Webhook backlog",
    empty: "No webhook delivery is waiting.",
    query: { sort: "webhookAge" },
    keep: (row) => row.webhooks.pending > 0,
    detail: (row) =>
      `${count(row.webhooks.pending, "delivery", "deliveries")} waiting · oldest ${duration((row.webhooks.oldestAgeSeconds ?? 0) * 1000)}`,
  },
];

function listView(spec: ListSpec, rows: FleetWorkspace[], more: boolean): HTMLElement {
  const kept = spec.keep ? rows.filter(spec.keep) : rows;
  return h(
    "section",
    { class: "card list", id: `list-${spec.id}`, "aria-labelledby": `list-${spec.id}-title` },
    h(
      "h2",
      { id: `list-${spec.id}-title` },
      spec.title,
      " ",
      h(
        "span",
        { class: "pill" },
        `${num(kept.length)}${more && kept.length === rows.length ? "+" : ""}`,
      ),
    ),
    kept.length === 0
      ? h("p", { class: "muted" }, spec.empty)
      : h(
          "ul",
          { class: "rows" },
          kept.map((row) =>
            h(
              "li",
              null,
              h(
                "div",
                { class: "line" },
                billingLink(row.workspaceId),
                h("span", { class: "pill" }, row.plan),
                stale(row),
              ),
              h("div", { class: "detail" }, spec.detail(row)),
            ),
          ),
        ),
  );
}

// ---- the chart: refusals by reason, per hour ------------------------------------------------

function chartView(d: FleetDecisions): HTMLElement {
  const W = 720;
  const H = 160;
  const n = d.hours.length;
  const slot = W / Math.max(n, 1);
  const totals = d.hours.map((hour) => REFUSALS.reduce((sum, r) => sum + hour.counts[r], 0));
  const peak = Math.max(1, ...totals);
  const bars = d.hours.map((hour, i) => {
    let y = H;
    return REFUSALS.filter((r) => hour.counts[r] > 0).map((r) => {
      const height = (hour.counts[r] / peak) * (H - 8);
      y -= height;
      return svg(
        "rect",
        {
          x: (i * slot + 1).toFixed(1),
          y: y.toFixed(1),
          width: Math.max(slot - 2, 1).toFixed(1),
          height: height.toFixed(1),
          class: `r-${r}`,
        },
        svg(
          "title",
          null,
          `${hour.hour.slice(11, 16)} UTC · ${REASON_LABEL[r]}: ${num(hour.counts[r])}`,
        ),
      );
    });
  });
  const refused = REFUSALS.reduce((sum, r) => sum + d.totals[r], 0);
  const used = REFUSALS.filter((r) => d.totals[r] > 0);
  return h(
    "section",
    { class: "card", "aria-labelledby": "chart-title", id: "refusals" },
    h("h2", { id: "chart-title" }, "Refusals by reason, last 24 hours"),
    h(
      "div",
      { class: "chart-top" },
      h(
        "span",
        null,
        `${count(refused, "refusal", "refusals")} · ${count(d.totals.allowed, "decision allowed", "decisions allowed")}`,
      ),
      h("span", null, `peak ${num(peak)} an hour`),
    ),
    svg(
      "svg",
      {
        class: "chart",
        viewBox: `0 0 ${W} ${H}`,
        preserveAspectRatio: "none",
        role: "img",
        "aria-label": `Refusals per hour by reason; ${refused} in all`,
      },
      bars,
    ),
    h(
      "div",
      { class: "chart-axis" },
      h("span", null, `${d.from.slice(11, 16)} UTC`),
      h("span", null, "now"),
    ),
    used.length === 0
      ? h("p", { class: "muted" }, "No refusal in the last 24 hours.")
      : h(
          "ul",
          { class: "legend" },
          used.map((r) =>
            h(
              "li",
              null,
              h("span", { class: `swatch r-${r}` }),
              `${REASON_LABEL[r]} ${num(d.totals[r])}`,
            ),
          ),
        ),
    h(
      "details",
      { class: "figures" },
      h("summary", null, "Figures by reason"),
      h(
        "table",
        null,
        h(
          "tbody",
          null,
          DECISION_REASONS.map((r) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, REASON_LABEL[r]),
              h("td", null, num(d.totals[r])),
            ),
          ),
        ),
      ),
    ),
  );
}

// ---- loading -----------------------------------------------------------------------------------

async function refresh(): Promise<void> {
  if (api === null) return;
  const to = new Date(Math.floor(Date.now() / HOUR_MS) * HOUR_MS + HOUR_MS);
  const from = new Date(to.getTime() - 24 * HOUR_MS);
  const [summary, decisions, ...lists] = await Promise.all([
    api.summary(),
    api.decisions(from.toISOString(), to.toISOString()),
    ...LISTS.map((spec) => api?.list({ ...spec.query, pageSize: LIST_SIZE }) ?? Promise.reject()),
  ]);
  byId("summary").replaceChildren(summaryView(summary));
  byId("chart").replaceChildren(chartView(decisions));
  byId("lists").replaceChildren(
    ...LISTS.map((spec, i) =>
      listView(spec, lists[i]?.workspaces ?? [], lists[i]?.hasMore ?? false),
    ),
  );
  byId("updated").textContent = `Updated ${when(summary.generatedAt)}`;
  await renderCatalogue(api, byId("catalogue"));
}

function start(): void {
  byId("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void signIn(byId<HTMLInputElement>("token").value.trim());
  });
  byId("sign-out").addEventListener("click", signOut);
  byId("reload").addEventListener("click", () => void refresh().catch(() => undefined));
  setInterval(() => void refresh().catch(() => undefined), 60_000);
  const stored = localStorage.getItem(TOKEN_KEY);
  const claims = stored ? readToken(stored) : null;
  if (stored && claims?.role === "platform" && claims.ws === "*") {
    byId("signin").hidden = true;
    void signIn(stored);
  } else {
    byId("token").focus();
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
