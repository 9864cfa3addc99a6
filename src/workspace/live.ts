import { fail, type Outcome, ok } from "../outcome";
import {
  LIVE_FULL_CLOSE_CODE,
  LIVE_FULL_REASON,
  LIVE_PUSH_INTERVAL_MS,
  LIVE_TICKET_TTL_SECONDS,
  MAX_LIVE_SOCKETS,
  TICKET_REFUSAL_MESSAGES,
  type TicketRow,
  ticketExpiry,
  ticketRefusal,
} from "../policy/live";
import { type Instant, iso } from "../policy/time";
import type { Store } from "../storage";
import type { WorkspaceContext } from "./context";
import { creditsView } from "./credits";
import { lastSequence, receiptAt } from "./credits/ledger";
import type { Domain } from "./domain";
import type { Memory } from "./memory";
import { usageView } from "./usage";

/**
 * The live balance (docs/rules.md#the-live-balance): one-time tickets, kept in storage so a
 * reuse is refused even after the object was evicted, and the workspace's sockets, accepted
 * with the hibernation API (the runtime keeps them while the object sleeps). After a call's
 * transaction the object says what changed; with no socket open that costs a comparison, with
 * sockets open it arms one coalesced push, never on the decision path.
 */

/** Expired tickets deleted per issue: each issue adds one row, so the table stays bounded. */
const TICKET_SWEEP = 10;

export const liveDomain: Domain = {
  migrations: [
    {
      name: "live_v1",
      statements: [
        // The SHA-256 of each ticket, never the ticket: storage alone lets no one in.
        `CREATE TABLE live_tickets (
          hash TEXT PRIMARY KEY,
          expires_at INTEGER NOT NULL,
          used_at INTEGER
        )`,
        "CREATE INDEX live_tickets_expiry ON live_tickets (expires_at)",
      ],
    },
  ],
};

/** The figures message (LiveFigures in src/schemas/live.ts) as of the ledger's last sequence. */
export const figuresMessage = (ctx: WorkspaceContext): string =>
  JSON.stringify({
    type: "figures",
    receipt: receiptAt(ctx, lastSequence(ctx)),
    usage: usageView(ctx),
    credits: creditsView(ctx),
  });

/**
 * Calls `flush` at most once per `intervalMs`, and within `intervalMs` of any `mark`: a burst of
 * marks is one flush, at once if the last was long enough ago, else when the interval ends. A
 * backlog of calls can hold the timer back (it waits behind them); a mark that finds it overdue
 * by a whole interval flushes itself, so a busy workspace is still pushed 4 times a second.
 */
export class Coalescer {
  private lastAt = Number.NEGATIVE_INFINITY;
  /** When the armed timer should have run (undefined: none armed). */
  private dueAt: number | undefined;
  /** Bumped by every flush: a timer armed before it finds it moved on and does nothing. */
  private generation = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: () => number,
    private readonly later: (run: () => void, ms: number) => void,
    private readonly flush: () => void,
  ) {}

  mark(): void {
    const now = this.clock();
    if (this.dueAt !== undefined) {
      if (now - this.dueAt >= this.intervalMs) this.run();
      return;
    }
    const wait = Math.max(0, this.lastAt + this.intervalMs - now);
    const generation = this.generation;
    this.dueAt = now + wait;
    this.later(() => {
      if (this.generation === generation) this.run();
    }, wait);
  }

  private run(): void {
    this.generation++;
    this.dueAt = undefined;
    this.lastAt = this.clock();
    this.flush();
  }
}

/** What the live balance needs of its object. */
export interface LiveHost {
  state: DurableObjectState;
  store: Store;
  /** The object's one clock (a frozen test clock where set): tickets lapse on it. */
  now(): Instant;
  /** The figures message as of now (LiveFigures, as JSON), or null without a subscription. */
  figures(): string | null;
}

export interface IssuedTicket {
  ticket: string;
  expiresAt: string;
  ttlSeconds: number;
  url: string;
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A refusal as the Worker's route turns it into the error shape (src/routes/live.ts). */
const refusal = (status: number, code: string, message: string, details?: unknown) =>
  Response.json({ code, message, details }, { status });

export class Live {
  /** Sockets open, as this instance knows them: from the runtime at wake-up, then counted. */
  private open: number;
  private readonly push: Coalescer;

  constructor(
    private readonly host: LiveHost,
    clock: () => number = Date.now,
    later: (run: () => void, ms: number) => void = (run, ms) => setTimeout(run, ms),
  ) {
    this.open = host.state.getWebSockets().length;
    // Answered by the runtime without waking the object: a page's keep-alive costs nothing.
    host.state.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.push = new Coalescer(LIVE_PUSH_INTERVAL_MS, clock, later, () => this.broadcast());
  }

  /** After a call's transaction committed: nothing when no one watches, else a coalesced push. */
  changed(): void {
    if (this.open > 0) this.push.mark();
  }

  /**
   * A new one-time ticket, stored hashed; a few lapsed ones are swept at the same time. A
   * workspace without a subscription (no id) has nothing to watch: 404.
   */
  async issueTicket(workspaceId: string | undefined): Promise<Outcome<IssuedTicket>> {
    if (workspaceId === undefined) {
      return fail(
        "not_found",
        "This workspace has no subscription yet; PUT its subscription first.",
      );
    }
    const ticket = base64url(crypto.getRandomValues(new Uint8Array(32)));
    const hash = await sha256(ticket);
    const now = this.host.now();
    const expiresAt = ticketExpiry(now);
    const { store } = this.host;
    this.host.state.storage.transactionSync(() => {
      store.run(
        `DELETE FROM live_tickets WHERE hash IN
         (SELECT hash FROM live_tickets WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
        now,
        TICKET_SWEEP,
      );
      store.run("INSERT INTO live_tickets (hash, expires_at) VALUES (?, ?)", hash, expiresAt);
    });
    return ok({
      ticket,
      expiresAt: iso(expiresAt),
      ttlSeconds: LIVE_TICKET_TTL_SECONDS,
      url: `/v1/workspaces/${workspaceId}/live?ticket=${ticket}`,
    });
  }

  /**
   * Spends the ticket and opens a socket: 401 for a ticket this workspace did not issue, one
   * that lapsed or one already used; past the most sockets, a socket closed at once with
   * the reason, so a browser can read why.
   */
  async connect(request: Request): Promise<Response> {
    const ticket = new URL(request.url).searchParams.get("ticket") ?? "";
    const hash = await sha256(ticket);
    const now = this.host.now();
    const { store } = this.host;
    const refused = this.host.state.storage.transactionSync(() => {
      const row = store.one<TicketRow>(
        "SELECT expires_at, used_at FROM live_tickets WHERE hash = ?",
        hash,
      );
      const why = ticketRefusal(row, now);
      if (why === null) store.run("UPDATE live_tickets SET used_at = ? WHERE hash = ?", now, hash);
      return why;
    });
    if (refused !== null) {
      return refusal(401, "unauthenticated", TICKET_REFUSAL_MESSAGES[refused], {
        reason: refused,
      });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    if (this.host.state.getWebSockets().length >= MAX_LIVE_SOCKETS) {
      server.accept();
      server.close(LIVE_FULL_CLOSE_CODE, LIVE_FULL_REASON);
      return new Response(null, { status: 101, webSocket: client });
    }
    this.host.state.acceptWebSocket(server);
    this.open++;
    const figures = this.host.figures();
    if (figures !== null) server.send(figures);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** A page may ask for the figures again ("refresh"); anything else is ignored. */
  message(socket: WebSocket, data: string | ArrayBuffer): void {
    if (data !== "refresh") return;
    const figures = this.host.figures();
    if (figures !== null) socket.send(figures);
  }

  /** A socket closed or failed: one fewer to push to; the close is answered in kind. */
  closed(socket: WebSocket, code?: number, reason?: string): void {
    this.open = Math.max(0, this.open - 1);
    try {
      // 1005 and 1006 say no code was sent; they may not be sent back.
      socket.close(code === undefined || code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch {
      // Already closed: nothing to answer.
    }
  }

  /** One message to every open socket, the figures read once. */
  private broadcast(): void {
    const sockets = this.host.state.getWebSockets();
    this.open = sockets.length;
    if (sockets.length === 0) return;
    const figures = this.host.figures();
    if (figures === null) return;
    for (const socket of sockets) {
      try {
        socket.send(figures);
      } catch {
        // Closing as we push: its close handler counts it out.
      }
    }
  }
}

/** The object's live balance: figures read through memory's context (no counters, no settle). */
export const liveFor = (
  state: DurableObjectState,
  store: Store,
  memory: Memory,
  now: () => Instant,
): Live =>
  new Live({
    state,
    store,
    now,
    figures: () => {
      const ctx = memory.context(now());
      return ctx === null ? null : figuresMessage(ctx);
    },
  });
