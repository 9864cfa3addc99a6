/**
 * What every tab draws with: the signed-in session, the workspace's clock, and the small pieces
 * cards are made of (figure, meter, pill, countdown, limit card, notice).
 */
import type { Api } from "./api";
import { byId, type Child, h } from "./dom";
import { duration, num } from "./format";
import type { TokenView } from "./token";
import { canEdit } from "./words";

export const TABS = ["usage", "credits", "agents"] as const;
export type TabId = (typeof TABS)[number];

/** The session and what the tabs share; one per page. */
export const state = {
  token: null as string | null,
  claims: null as TokenView | null,
  ws: null as string | null,
  api: null as Api | null,
  tab: "usage" as TabId,
  /** Bumped by every load and sign-out: an answer for an older one is dropped. */
  generation: 0,
  /** The workspace's clock (a test clock may be frozen anywhere) and when it was read. */
  clock: null as { asOf: number; readAt: number } | null,
  /** A CSS selector to focus after the next render (the control a person just used). */
  focusAfter: null as string | null,
};

export const mayEdit = (): boolean => state.claims !== null && canEdit(state.claims.role);
export const isPlatform = (): boolean => state.claims?.ws === "*";

/** The workspace's now, advanced since it was read. */
export const now = (): number =>
  state.clock ? state.clock.asOf + (Date.now() - state.clock.readAt) : Date.now();

export const panel = (tab: TabId = state.tab): HTMLElement => byId(`panel-${tab}`);

/** "In 5 h 12 min", kept current by tick(). */
export const countdown = (iso: string): HTMLElement =>
  h("strong", { "data-deadline": iso }, `In ${duration(Date.parse(iso) - now())}`);

export function tick(): void {
  for (const el of document.querySelectorAll<HTMLElement>("[data-deadline]")) {
    el.textContent = `In ${duration(Date.parse(el.dataset.deadline ?? "") - now())}`;
  }
}

export function restoreFocus(): void {
  if (!state.focusAfter) return;
  const el = document.querySelector<HTMLElement>(state.focusAfter);
  state.focusAfter = null;
  el?.focus();
  if (el instanceof HTMLInputElement) el.select();
}

export type Tone = "info" | "bad";

/** The line under the tabs: what just happened (info) or what was refused (bad, an alert). */
export function notice(parts: Child | null, tone: Tone = "info"): void {
  const el = byId("notice");
  el.replaceChildren();
  if (parts === null) {
    el.hidden = true;
    return;
  }
  el.className = `notice${tone === "bad" ? " bad" : ""}`;
  el.setAttribute("role", tone === "bad" ? "alert" : "status");
  el.append(h("div", null, parts));
  el.hidden = false;
}

export const pill = (kind: string, text: string): HTMLElement =>
  h("span", { class: `pill ${kind}` }, text);

/** Red once over the limit (or, where reaching it stops the thing, at it); amber from 80 %. */
export function meter(
  used: number,
  limit: number | null,
  label: string,
  fullStops = false,
): HTMLElement {
  const fill = h("span");
  const pct = limit === null ? 0 : limit <= 0 ? 100 : Math.min(100, (used / limit) * 100);
  // CSSOM, not a style attribute: the CSP allows no inline style.
  fill.style.width = `${pct.toFixed(1)}%`;
  const over = limit !== null && (used > limit || (fullStops && used >= limit));
  const tone = limit === null ? "none" : over ? "bad" : pct >= 80 ? "warn" : "";
  return h(
    "div",
    {
      class: `meter ${tone}`,
      role: "progressbar",
      "aria-label": label,
      "aria-valuemin": 0,
      "aria-valuemax": limit ?? used,
      "aria-valuenow": used,
      "aria-valuetext":
        limit === null ? `${num(used)} used, unlimited` : `${num(used)} of ${num(limit)}`,
    },
    fill,
  );
}

export const figure = (used: number, limit: number | null): HTMLElement =>
  h(
    "div",
    { class: "figure" },
    num(used),
    " ",
    h("span", { class: "of" }, limit === null ? "of unlimited" : `of ${num(limit)}`),
  );

export const consequence = (bad: boolean, ...parts: Child[]): HTMLElement =>
  h("p", { class: `consequence${bad ? " bad" : ""}` }, ...parts);

export const detail = (...parts: Child[]): HTMLElement => h("p", { class: "detail" }, ...parts);

/** A card of the Usage tab: `data-usage` names the limit (the tests and people find it so). */
export const limitCard = (
  key: string,
  title: string,
  badge: Child,
  ...body: Child[]
): HTMLElement =>
  h(
    "article",
    { class: "card limit", "data-usage": key, "aria-labelledby": `usage-${key}` },
    h("h3", { id: `usage-${key}` }, title, badge),
    ...body,
  );
