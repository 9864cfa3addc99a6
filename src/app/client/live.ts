/**
 * The live balance on the page (docs/billing-page.md#live-figures): a one-time ticket, then a
 * WebSocket that brings the workspace's figures as they change. While the socket is refused or
 * lost the page polls, says so, and tries the socket again with growing waits.
 */
import type { Api, Credits, DailyCredits, LiveFigures } from "./api";
import { append, byId, type Child, h } from "./dom";
import { num } from "./format";

/** How often the page reloads its figures while it has no live socket. */
export const POLL_MS = 15_000;
/** The waits before each new try of the socket, the last repeated. */
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
/** The service's close code for a workspace with as many live sockets as it keeps. */
const FULL = 1013;

/** What the feed asks of the page: draw pushed figures, or load them itself (a poll). */
export interface LiveHost {
  figures(figures: LiveFigures): void;
  poll(): void;
}

type Mode = { kind: "connecting" } | { kind: "live" } | { kind: "polling"; why: string };

/** The ledger sequence the figures on screen are as of (null: none drawn yet). */
let asOf: number | null = null;
let mode: Mode = { kind: "connecting" };

function draw(): void {
  const el = byId("live");
  el.hidden = false;
  el.dataset.live = mode.kind;
  // The sequence links to its entry (the Manage credits tab's receipt lookup).
  const seq =
    asOf === null
      ? null
      : h(
          "span",
          { class: "as-of" },
          "Figures as of ledger ",
          h("a", { href: `?receipt=${asOf}#credits`, "data-receipt": asOf }, `#${num(asOf)}`),
        );
  const parts: Child[] =
    mode.kind === "live"
      ? [h("strong", null, "Live"), " · updates as credits are spent"]
      : mode.kind === "polling"
        ? [h("strong", null, "Polling"), ` every ${POLL_MS / 1000} s: ${mode.why}`]
        : [h("strong", null, "Connecting live…")];
  el.replaceChildren();
  append(el, [...parts, seq && " · ", seq]);
}

/** Notes the sequence of the figures just drawn (a push's, or a poll's `receipt`). */
export function showAsOf(seq: number | null | undefined): void {
  if (seq === null || seq === undefined) return;
  asOf = seq;
  draw();
}

/** Hides the line: signed out, or another workspace opening. */
export function hideLive(): void {
  asOf = null;
  mode = { kind: "connecting" };
  byId("live").hidden = true;
}

/**
 * The period's daily figures brought up to pushed credits, so the chart agrees with every other
 * figure on the page: what each feature used beyond the chart's sum was charged since the chart
 * loaded, so today (its last day). Null when the push is of another period: the page reloads.
 */
export function advanceDaily(daily: DailyCredits, credits: Credits): DailyCredits | null {
  const today = daily.days.at(-1);
  if (credits.periodStart !== daily.periodStart || today === undefined) return null;
  const features = { ...today.features };
  let added = 0;
  for (const f of credits.features) {
    const charted = daily.days.reduce((n, d) => n + d.features[f.feature], 0);
    const delta = f.creditsUsed - charted;
    features[f.feature] += delta;
    added += delta;
  }
  if (added === 0) return daily;
  const days = [...daily.days.slice(0, -1), { ...today, credits: today.credits + added, features }];
  return { ...daily, used: daily.used + added, days };
}

export class LiveFeed {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private polling: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    private readonly api: Api,
    private readonly host: LiveHost,
  ) {}

  start(): void {
    mode = { kind: "connecting" };
    draw();
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.polling);
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "closed by the page");
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let url: URL;
    try {
      const ticket = await this.api.liveTicket();
      url = new URL(ticket.url, location.origin);
    } catch {
      return this.lost("live updates are unavailable");
    }
    if (this.stopped) return;
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(url);
    this.socket = socket;
    let opened = false;
    socket.addEventListener("open", () => {
      opened = true;
      this.attempt = 0;
      clearInterval(this.polling);
      this.polling = undefined;
      mode = { kind: "live" };
      draw();
    });
    socket.addEventListener("message", (event) => {
      if (this.socket !== socket || typeof event.data !== "string") return;
      this.host.figures(JSON.parse(event.data) as LiveFigures);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lost(
        event.code === FULL
          ? "too many people are watching this workspace live"
          : opened
            ? "the live connection was lost"
            : "the live connection was refused",
      );
    });
  }

  /** No socket: poll until one opens, and try again after the next wait. */
  private lost(why: string): void {
    if (this.stopped) return;
    const wait = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] as number;
    this.attempt++;
    mode = { kind: "polling", why: `${why}; trying again in ${wait / 1000} s` };
    draw();
    this.polling ??= setInterval(() => this.host.poll(), POLL_MS);
    this.retry = setTimeout(() => void this.connect(), wait);
  }
}
