/**
 * The billing page's script (/app/app.js), bundled from these modules by scripts/build-app.mjs.
 * It signs in with a pasted token, loads the open tab's figures through the public API, and
 * clears every figure on screen before saying what went wrong (never an old workspace's figures
 * under a new name).
 */
import { renderAgents } from "./agents";
import {
  type Api,
  connect,
  type DailyCredits,
  type LiveFigures,
  Problem,
  type Subscription,
} from "./api";
import { isEditing, renderCredits, stopEditing } from "./credits";
import { byId, h } from "./dom";
import { count, day, dayShort, duration, lastDayOf } from "./format";
import { advanceDaily, hideLive, LiveFeed, showAsOf } from "./live";
import { type Action, explain, tokenRefusal } from "./problems";
import { lookUpReceipt } from "./receipts";
import { isWorkspaceId, readToken } from "./token";
import { renderUsage } from "./usage";
import {
  isPlatform,
  notice,
  now,
  panel,
  restoreFocus,
  state,
  TABS,
  type TabId,
  tick,
} from "./view";
import { planName, ROLE_LABEL } from "./words";

const STORE = { token: "billing.token", ws: "billing.ws" } as const;
const WS_RULE = "A workspace id is 1 to 64 letters, digits, hyphens or underscores.";

const host = { refresh: () => refresh(), showProblem: (p: Problem) => showProblem(p) };

/** Each tab: what it reads beyond the subscription and daily figures, and how it draws them. */
interface Common {
  subscription: Subscription;
  daily: DailyCredits;
}
const TAB_VIEWS: Record<TabId, (api: Api) => Promise<(common: Common) => void>> = {
  usage: async (api) => {
    const usage = await api.usage();
    return ({ subscription }) => {
      showAsOf(usage.receipt.seq);
      panel("usage").replaceChildren(...renderUsage({ usage, subscription }));
      restoreFocus();
    };
  },
  credits: async (api) => {
    const [credits, statements] = await Promise.all([api.credits(), api.statements()]);
    return ({ daily }) => {
      showAsOf(credits.receipt.seq);
      renderCredits({ credits, daily, statements, statementCsv: api.statementCsv }, host);
    };
  },
  agents: async (api) => {
    const agents = await api.agents();
    return ({ subscription }) => {
      panel("agents").replaceChildren(...renderAgents({ agents, subscription }, host));
      restoreFocus();
    };
  },
};

/** The figures every tab drew with last, for redrawing a push in place (null: none yet). */
let drawn: Common | null = null;
/** The live socket of the open workspace (null: signed out). */
let feed: LiveFeed | null = null;

/**
 * Draws pushed figures in place of the open tab's, without loading anything: the usage and
 * credits tabs from the push, the rest as they are. A limit being edited keeps its input.
 */
function drawPushed(figures: LiveFigures): void {
  if (drawn === null || panel().querySelector(".problem")) return;
  const daily = advanceDaily(drawn.daily, figures.credits);
  if (daily === null) return void refresh(); // a new period: everything reloads
  drawn = { ...drawn, daily };
  showAsOf(figures.receipt.seq);
  if (state.tab === "usage") {
    panel("usage").replaceChildren(
      ...renderUsage({ usage: figures.usage, subscription: drawn.subscription }),
    );
  } else if (state.tab === "credits" && !isEditing()) {
    renderCredits({ credits: figures.credits, daily: drawn.daily }, host);
  }
}

/** Opens the Manage credits tab on receipt `seq`'s entry. */
function openReceipt(seq: number): void {
  if (state.tab !== "credits") {
    selectTab("credits", false);
    void refresh();
  }
  lookUpReceipt(seq);
}

/** `/app?receipt=42#credits`: the receipt to open once the workspace is open. */
let pendingReceipt: number | null = null;

function watchLive(): void {
  feed?.stop();
  feed = state.api
    ? new LiveFeed(state.api, { figures: drawPushed, poll: () => void refresh() })
    : null;
  feed?.start();
}

// ---- figures and problems ----------------------------------------------------------------------

/** Removes every figure of the workspace from the screen: nothing stale survives an error. */
function clearFigures(): void {
  stopEditing();
  byId("summary").replaceChildren();
  for (const t of TABS) panel(t).replaceChildren();
}

function actionButtons(actions: Action[]): HTMLElement {
  return h(
    "div",
    { class: "actions" },
    actions.map((a) =>
      a === "retry"
        ? h("button", { type: "button", on: { click: () => void refresh() } }, "Try again")
        : h("button", { type: "button", class: "ghost", on: { click: signOut } }, "Sign out"),
    ),
    isPlatform()
      ? h(
          "button",
          { type: "button", class: "ghost", on: { click: () => byId("switch-ws").focus() } },
          "Open another workspace",
        )
      : null,
  );
}

function showProblem(p: Problem): void {
  clearFigures();
  const e = explain(p, state.ws ?? "", state.claims?.role);
  panel().replaceChildren(
    h(
      "div",
      { class: "card problem", role: "alert", "data-problem": p.code ?? p.kind },
      h("h2", null, e.title),
      h("p", null, e.text),
      actionButtons(e.actions),
    ),
  );
}

function renderSummary(sub: Subscription, daily: DailyCredits): void {
  byId("summary").replaceChildren(
    h("span", { class: "plan", "data-plan": sub.plan }, `${planName(sub.plan)} plan`),
    h("span", { class: "fact" }, h("strong", null, count(sub.seats, "seat", "seats"))),
    h(
      "span",
      { class: "fact" },
      "Billing period ",
      h("strong", null, `${dayShort(daily.periodStart)} – ${day(lastDayOf(daily.nextResetAt))}`),
    ),
    h(
      "span",
      { class: "fact" },
      "Renews in ",
      h("strong", null, duration(Date.parse(daily.nextResetAt) - now())),
    ),
  );
}

/** Loads the figures of the open tab; answers from an earlier workspace or tab are dropped. */
async function refresh(): Promise<void> {
  const api = state.api;
  if (!api) return;
  const generation = ++state.generation;
  const tab = state.tab;
  const target = panel(tab);
  target.setAttribute("aria-busy", "true");
  if (!target.firstChild) target.append(h("p", { class: "loading" }, "Loading…"));
  try {
    // The subscription's error comes first: a 404 there means the workspace has no plan yet.
    const results = await Promise.allSettled([
      api.subscription(),
      api.daily(),
      TAB_VIEWS[tab](api),
    ] as const);
    if (generation !== state.generation) return;
    for (const r of results) if (r.status === "rejected") throw r.reason;
    const [subscription, daily, draw] = results.map((r) =>
      r.status === "fulfilled" ? r.value : undefined,
    ) as [Subscription, DailyCredits, (common: Common) => void];
    state.clock = { asOf: Date.parse(daily.asOf), readAt: Date.now() };
    renderSummary(subscription, daily);
    drawn = { subscription, daily };
    draw(drawn);
  } catch (error) {
    if (generation !== state.generation) return;
    if (!(error instanceof Problem)) console.error(error);
    showProblem(error instanceof Problem ? error : new Problem("bug", 0, null, ""));
  } finally {
    target.removeAttribute("aria-busy");
  }
}

function selectTab(tab: TabId, focus: boolean): void {
  state.tab = tab;
  stopEditing();
  for (const t of TABS) {
    const button = byId(`tab-${t}`);
    button.setAttribute("aria-selected", String(t === tab));
    button.tabIndex = t === tab ? 0 : -1;
    panel(t).hidden = t !== tab;
  }
  if (focus) byId(`tab-${tab}`).focus();
  history.replaceState(null, "", `${location.pathname}${location.search}#${tab}`);
}

// ---- signing in and out ------------------------------------------------------------------------

const signInError = (text: string): void => {
  byId("signin-error").textContent = text;
};

/** A platform token opens every workspace: the form asks which, once, as a question. */
function askForWorkspace(): void {
  byId("signin").hidden = false;
  byId("ws-field").hidden = false;
  byId("ws").focus();
}

function open(ws: string): void {
  if (!state.token || !state.claims) return;
  state.ws = ws;
  state.api = connect(state.token, ws);
  state.clock = null;
  drawn = null;
  clearFigures();
  hideLive();
  notice(null);
  byId("who-ws").textContent = ws;
  byId("who-role").textContent = ROLE_LABEL[state.claims.role];
  byId("switch-form").hidden = !isPlatform();
  byId<HTMLInputElement>("switch-ws").value = "";
  byId("who").hidden = false;
  byId("signin").hidden = true;
  byId("app").hidden = false;
  const search = isPlatform() ? `?ws=${encodeURIComponent(ws)}` : "";
  history.replaceState(null, "", `${location.pathname}${search}#${state.tab}`);
  void refresh();
  watchLive();
  if (pendingReceipt !== null) openReceipt(pendingReceipt);
  pendingReceipt = null;
}

/**
 * Signs in: the token says which workspace (a platform token's user says it), then the service
 * is asked whether it accepts the token before the form is left, so a refused token is
 * explained where it was pasted, by the 401's reason.
 */
async function signIn(token: string, wsWanted: string): Promise<void> {
  signInError("");
  const claims = readToken(token);
  if (claims === null) {
    forget();
    byId("signin").hidden = false;
    return signInError(`This token was not accepted. ${tokenRefusal("malformed")}`);
  }
  let ws = claims.ws;
  if (ws === "*") {
    ws = wsWanted.trim();
    if (!ws) return askForWorkspace();
    if (!isWorkspaceId(ws)) {
      askForWorkspace();
      return signInError(WS_RULE);
    }
  }
  const generation = ++state.generation;
  try {
    await connect(token, ws).subscription();
  } catch (p) {
    if (generation !== state.generation) return;
    if (p instanceof Problem && p.code === "unauthenticated") {
      forget();
      byId("signin").hidden = false;
      byId("app").hidden = true;
      return signInError(`This token was not accepted. ${tokenRefusal(p.reason)}`);
    }
    // Anything else (no plan yet, the service unreachable) is the open tab's to explain.
  }
  if (generation !== state.generation) return;
  state.token = token;
  state.claims = claims;
  localStorage.setItem(STORE.token, token);
  if (claims.ws === "*") localStorage.setItem(STORE.ws, ws);
  open(ws);
  if (claims.ws !== "*" && wsWanted && wsWanted !== claims.ws) {
    notice(
      `This link is for workspace ${wsWanted}, but your token opens ${claims.ws}: showing ${claims.ws}.`,
    );
  }
}

function forget(): void {
  localStorage.removeItem(STORE.token);
  localStorage.removeItem(STORE.ws);
}

function signOut(): void {
  state.generation++;
  forget();
  state.token = null;
  state.claims = null;
  state.ws = null;
  state.api = null;
  state.clock = null;
  feed?.stop();
  feed = null;
  drawn = null;
  hideLive();
  clearFigures();
  notice(null);
  byId("who").hidden = true;
  byId("app").hidden = true;
  byId("signin").hidden = false;
  byId<HTMLInputElement>("token").value = "";
  byId<HTMLInputElement>("ws").value = "";
  byId("ws-field").hidden = true;
  signInError("");
  history.replaceState(null, "", location.pathname);
  byId("token").focus();
}

// ---- wiring ------------------------------------------------------------------------------------

const isTab = (text: string): text is TabId => (TABS as readonly string[]).includes(text);

function start(): void {
  const search = new URLSearchParams(location.search);
  const wanted = search.get("ws") ?? "";
  const receipt = Number(search.get("receipt") ?? "");
  if (Number.isSafeInteger(receipt) && receipt > 0) pendingReceipt = receipt;
  const hashTab = location.hash.slice(1);
  if (isTab(hashTab)) selectTab(hashTab, false);
  const wsInput = byId<HTMLInputElement>("ws");
  if (wanted) wsInput.value = wanted;

  byId("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    void signIn(byId<HTMLInputElement>("token").value.trim(), wsInput.value.trim() || wanted);
  });
  byId("sign-out").addEventListener("click", signOut);
  byId("live").addEventListener("click", (e) => {
    const link = (e.target as Element).closest<HTMLElement>("[data-receipt]");
    if (link === null) return;
    e.preventDefault();
    openReceipt(Number(link.dataset.receipt));
  });
  byId("switch-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const ws = byId<HTMLInputElement>("switch-ws").value.trim();
    if (!isWorkspaceId(ws)) return notice(WS_RULE, "bad");
    localStorage.setItem(STORE.ws, ws);
    open(ws);
  });
  for (const t of TABS) {
    byId(`tab-${t}`).addEventListener("click", () => {
      if (state.tab === t) return;
      notice(null);
      selectTab(t, false);
      void refresh();
    });
  }
  byId("tablist").addEventListener("keydown", (e) => {
    const i = TABS.indexOf(state.tab);
    const keys: Record<string, number> = {
      ArrowRight: (i + 1) % TABS.length,
      ArrowLeft: (i + TABS.length - 1) % TABS.length,
      Home: 0,
      End: TABS.length - 1,
    };
    const next = TABS[keys[e.key] ?? -1];
    if (next === undefined) return;
    e.preventDefault();
    notice(null);
    selectTab(next, true);
    void refresh();
  });
  setInterval(tick, 30_000);

  const stored = localStorage.getItem(STORE.token);
  if (stored) {
    // Checked with the service before anything shows: the form only if it is refused.
    byId("signin").hidden = true;
    void signIn(stored, wanted || localStorage.getItem(STORE.ws) || "");
  } else {
    byId("token").focus();
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
