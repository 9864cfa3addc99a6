import { fail, type Outcome, ok } from "../outcome";
import {
  CHANNEL_KINDS,
  type ChannelCounts,
  type ChannelKind,
  channelDisabled,
  excessOf,
  isGrandfathered,
  stepChannels,
  viewChannels,
} from "../policy/channels";
import { type Episode, episodeChanged, episodeDeadline, OK } from "../policy/episode";
import { earliest, iso, isoOrNull } from "../policy/time";
import type { Store } from "../storage";
import type { Role, WorkspaceContext } from "./context";
import { issueCursor, readCursor } from "./cursors";
import type { Domain } from "./domain";
import { recordEvents } from "./events";

/**
 * Disabled channels are history (reconnecting one is a new connection), so each kind keeps at
 * most this many; beyond it the earliest connected disabled ones are forgotten.
 */
export const MAX_DISABLED_KEPT = 1_000;
export const DEFAULT_PAGE_SIZE = 100;

export const channelMigrations = [
  {
    name: "channels_v1",
    statements: [
      // seq is fresh on every (re)connection: it orders channels connected at the same instant.
      `CREATE TABLE channels (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        status TEXT NOT NULL,
        connected_at INTEGER NOT NULL,
        grandfathered INTEGER NOT NULL,
        disabled_at INTEGER,
        UNIQUE (kind, id)
      )`,
      "CREATE INDEX channels_by_connection ON channels (kind, connected_at, seq)",
      // Serves "earliest connected non-grandfathered active first" and pruning of disabled ones.
      "CREATE INDEX channels_by_status ON channels (kind, status, grandfathered, connected_at, seq)",
      `CREATE TABLE channel_limits (
        kind TEXT PRIMARY KEY,
        active INTEGER NOT NULL,
        grandfathered INTEGER NOT NULL,
        disabled INTEGER NOT NULL,
        episode TEXT NOT NULL
      )`,
    ],
  },
];

interface KindState extends ChannelCounts {
  disabled: number;
  episode: Episode;
}

interface ChannelRow {
  seq: number;
  id: string;
  status: "active" | "disabled";
  connected_at: number;
  grandfathered: number;
  disabled_at: number | null;
}

const EMPTY: KindState = { active: 0, grandfathered: 0, disabled: 0, episode: OK };

function loadKind(store: Store, kind: ChannelKind): KindState {
  const row = store.one<{
    active: number;
    grandfathered: number;
    disabled: number;
    episode: string;
  }>("SELECT active, grandfathered, disabled, episode FROM channel_limits WHERE kind = ?", kind);
  if (row === undefined) return { ...EMPTY };
  return { ...row, episode: JSON.parse(row.episode) as Episode };
}

function saveKind(store: Store, kind: ChannelKind, s: KindState): void {
  store.run(
    `INSERT INTO channel_limits (kind, active, grandfathered, disabled, episode) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(kind) DO UPDATE SET active = excluded.active,
       grandfathered = excluded.grandfathered, disabled = excluded.disabled,
       episode = excluded.episode`,
    kind,
    s.active,
    s.grandfathered,
    s.disabled,
    JSON.stringify(s.episode),
  );
}

/** The `count` channels that enforcement disables: non-grandfathered, earliest connected first. */
const firstDisableable = (store: Store, kind: ChannelKind, count: number) =>
  store.all<ChannelRow>(
    `SELECT seq, id, status, connected_at, grandfathered, disabled_at FROM channels
     WHERE kind = ? AND status = 'active' AND grandfathered = 0
     ORDER BY connected_at, seq LIMIT ?`,
    kind,
    count,
  );

/** Applies one kind's due work; cheap (one keyed read) unless a grace ends right now. */
function settleKind(ctx: WorkspaceContext, kind: ChannelKind): KindState {
  const { store, now } = ctx;
  const state = loadKind(store, kind);
  const step = stepChannels(kind, state.episode, state, ctx.limits[kind], now);
  const quiet = step.events.length === 0 && step.disable === 0;
  if (quiet && !episodeChanged(state.episode, step.episode)) return state;
  const next: KindState = { ...state, episode: step.episode };
  // The disabled channels are announced before limit.enforced, which gives the figures after.
  const split = step.events.findIndex((e) => e.type === "limit.enforced");
  const cut = split === -1 ? step.events.length : split;
  recordEvents(store, step.events.slice(0, cut), now);
  if (step.disable > 0 && step.disableAt !== null) {
    const at = step.disableAt;
    const victims = firstDisableable(store, kind, step.disable);
    for (const v of victims) {
      store.run(
        "UPDATE channels SET status = 'disabled', disabled_at = ? WHERE seq = ?",
        at,
        v.seq,
      );
    }
    next.active -= victims.length;
    next.disabled += victims.length;
    recordEvents(
      store,
      victims.map((v) => channelDisabled(kind, { id: v.id, connectedAt: v.connected_at }, at)),
      now,
    );
    next.disabled -= pruneDisabled(store, kind, next.disabled);
  }
  recordEvents(store, step.events.slice(cut), now);
  saveKind(store, kind, next);
  return next;
}

function pruneDisabled(store: Store, kind: ChannelKind, disabled: number): number {
  const over = disabled - MAX_DISABLED_KEPT;
  if (over <= 0) return 0;
  return store.run(
    `DELETE FROM channels WHERE seq IN (
       SELECT seq FROM channels WHERE kind = ? AND status = 'disabled' AND grandfathered = 0
       ORDER BY connected_at, seq LIMIT ?)`,
    kind,
    over,
  );
}

// ---- views -----------------------------------------------------------------------------------

/** A kind as a reader sees it at `ctx.now`, a lapsed grace included (reads never write). */
function lazyKind(ctx: WorkspaceContext, kind: ChannelKind) {
  const stored = loadKind(ctx.store, kind);
  const limit = ctx.limits[kind];
  return { stored, limit, view: viewChannels(stored.episode, stored, limit, ctx.now) };
}

function usageOf({ stored, limit, view }: ReturnType<typeof lazyKind>) {
  const used = stored.active - view.pendingDisable;
  return {
    used,
    limit,
    state: view.state,
    graceEndsAt: isoOrNull(view.graceEndsAt),
    grandfathered: stored.grandfathered,
    disabled: stored.disabled + view.pendingDisable,
    overLimit: limit !== null && used > limit,
    // What the running grace disables at its end if nothing changes.
    toDisable: view.state === "grace" ? excessOf(stored, limit) : 0,
  };
}

/** One kind's line of GET usage. */
export const channelUsage = (ctx: WorkspaceContext, kind: ChannelKind) =>
  usageOf(lazyKind(ctx, kind));
export type ChannelUsage = ReturnType<typeof channelUsage>;

const channelView = (row: ChannelRow) => ({
  id: row.id,
  status: row.status,
  connectedAt: iso(row.connected_at),
  grandfathered: row.grandfathered === 1,
  disabledAt: isoOrNull(row.disabled_at),
});

export interface ChannelPage {
  after?: string;
  pageSize?: number;
}

const feedOf = (kind: ChannelKind) => `channels-${kind}` as const;

/**
 * Every channel of a kind, earliest connected first, a page at a time (keyset cursor: stable
 * while channels connect). A grace that has lapsed without a call shows its victims as
 * disabled already, as the next call will record them.
 */
export async function listChannels(
  ctx: WorkspaceContext,
  kind: ChannelKind,
  page: ChannelPage,
): Promise<Outcome<ChannelList>> {
  const workspaceId = ctx.subscription.workspaceId;
  const read = await readCursor(ctx.store, feedOf(kind), workspaceId, "channels", page.after);
  if (!read.ok) return read;
  const cursor = read.value;
  const lazy = lazyKind(ctx, kind);
  const { pendingDisable, graceEndsAt } = lazy.view;
  const pending = new Set(
    pendingDisable > 0 ? firstDisableable(ctx.store, kind, pendingDisable).map((r) => r.seq) : [],
  );
  const size = page.pageSize ?? DEFAULT_PAGE_SIZE;
  const select = "SELECT seq, id, status, connected_at, grandfathered, disabled_at FROM channels";
  const rows =
    cursor === null
      ? ctx.store.all<ChannelRow>(
          `${select} WHERE kind = ? ORDER BY connected_at, seq LIMIT ?`,
          kind,
          size + 1,
        )
      : ctx.store.all<ChannelRow>(
          `${select} WHERE kind = ? AND (connected_at, seq) > (?, ?)
           ORDER BY connected_at, seq LIMIT ?`,
          kind,
          cursor[0] ?? 0,
          cursor[1] ?? 0,
          size + 1,
        );
  const more = rows.length > size;
  const shown = rows
    .slice(0, size)
    .map((r) =>
      pending.has(r.seq) ? { ...r, status: "disabled" as const, disabled_at: graceEndsAt } : r,
    );
  const last = shown[shown.length - 1];
  return ok({
    kind,
    ...usageOf(lazy),
    channels: shown.map(channelView),
    nextCursor:
      more && last !== undefined
        ? await issueCursor(ctx.store, feedOf(kind), workspaceId, [last.connected_at, last.seq])
        : null,
  });
}
export interface ChannelList extends ReturnType<typeof usageOf> {
  kind: ChannelKind;
  channels: ReturnType<typeof channelView>[];
  nextCursor: string | null;
}

// ---- operations ------------------------------------------------------------------------------

export interface ConnectInput {
  id: string;
  connectedAt?: string;
}

/**
 * Connects a channel. Never refused for the limit: the answer tells the connector whether the
 * kind is now over its limit and when the running grace ends. Reconnecting an active channel
 * changes nothing and answers its current state; reconnecting a disabled one is a new
 * connection (new connectedAt, grandfathering decided afresh).
 */
export function connectChannel(
  ctx: WorkspaceContext,
  kind: ChannelKind,
  input: ConnectInput,
  role: Role,
  /** Where this input sits in the request body, for error paths (`channels.3.`). */
  at = "",
): Outcome<ConnectAnswer> {
  const { store, now } = ctx;
  if (input.connectedAt !== undefined && role !== "platform") {
    return fail(
      "forbidden",
      `Only the platform may set ${at}connectedAt (to import channels connected earlier); omit it to connect now.`,
    );
  }
  const connectedAt = input.connectedAt === undefined ? now : Date.parse(input.connectedAt);
  if (connectedAt > now) {
    const path = `${at}connectedAt`;
    return fail(
      "invalid_request",
      `Invalid request: ${path}: must not be after now (${iso(now)})`,
      [{ path, message: `must not be after now (${iso(now)})` }],
    );
  }
  const existing = findChannel(store, kind, input.id);
  if (existing?.status === "active") return ok(connectAnswer(ctx, kind, existing, true));
  const state = loadKind(store, kind);
  if (existing !== undefined) {
    store.run("DELETE FROM channels WHERE seq = ?", existing.seq);
    state.disabled -= 1;
  }
  const grandfathered = isGrandfathered(connectedAt, ctx.catalogue.plans[ctx.subscription.plan]);
  store.run(
    `INSERT INTO channels (kind, id, status, connected_at, grandfathered, disabled_at)
     VALUES (?, ?, 'active', ?, ?, NULL)`,
    kind,
    input.id,
    connectedAt,
    grandfathered ? 1 : 0,
  );
  state.active += 1;
  if (grandfathered) state.grandfathered += 1;
  saveKind(store, kind, state);
  settleKind(ctx, kind);
  const row = findChannel(store, kind, input.id);
  if (row === undefined) throw new Error("a channel just connected is missing");
  return ok(connectAnswer(ctx, kind, row, false));
}

function connectAnswer(
  ctx: WorkspaceContext,
  kind: ChannelKind,
  row: ChannelRow,
  alreadyConnected: boolean,
) {
  const s = loadKind(ctx.store, kind);
  const limit = ctx.limits[kind];
  const answer = {
    kind,
    ...channelView(row),
    // True when the channel was already active: the call changed nothing.
    alreadyConnected,
    overLimit: limit !== null && s.active > limit,
    used: s.active,
    limit,
  };
  return s.episode.phase === "grace"
    ? { ...answer, grace: { endsAt: iso(s.episode.graceEndsAt) } }
    : answer;
}
export type ConnectAnswer = ReturnType<typeof connectAnswer>;

export interface ChannelBatch {
  kind: ChannelKind;
  /** One answer per channel, in the order sent: what a single connect would have answered. */
  channels: ConnectAnswer[];
  /** The kind's usage after the whole batch. */
  usage: ChannelUsage;
}

/**
 * Connects channels as if each were connected in order, in one transaction: how the platform
 * imports a workspace's existing connections (grandfathered when connected before the
 * cut-over). A service may batch-connect only at now; any refused item refuses the whole batch.
 */
export function connectChannels(
  ctx: WorkspaceContext,
  kind: ChannelKind,
  inputs: readonly ConnectInput[],
  role: Role,
): Outcome<ChannelBatch> {
  const channels: ConnectAnswer[] = [];
  for (const [n, input] of inputs.entries()) {
    const answer = connectChannel(ctx, kind, input, role, `channels.${n}.`);
    if (!answer.ok) return answer;
    channels.push(answer.value);
  }
  return ok({ kind, channels, usage: channelUsage(ctx, kind) });
}

/** Disconnects (forgets) a channel, active or disabled; an active one frees its place at once. */
export function disconnectChannel(
  ctx: WorkspaceContext,
  kind: ChannelKind,
  id: string,
): Outcome<DisconnectAnswer> {
  const { store } = ctx;
  const row = findChannel(store, kind, id);
  if (row === undefined) return fail("not_found", `No ${kind} channel with id ${id}.`);
  store.run("DELETE FROM channels WHERE seq = ?", row.seq);
  const state = loadKind(store, kind);
  if (row.status === "active") {
    state.active -= 1;
    if (row.grandfathered === 1) state.grandfathered -= 1;
  } else {
    state.disabled -= 1;
  }
  saveKind(store, kind, state);
  settleKind(ctx, kind);
  const usage = channelUsage(ctx, kind);
  return ok({
    kind,
    id,
    disconnected: true as const,
    previousStatus: row.status,
    used: usage.used,
    limit: usage.limit,
    state: usage.state,
    graceEndsAt: usage.graceEndsAt,
  });
}
export type DisconnectAnswer = {
  kind: ChannelKind;
  id: string;
  disconnected: true;
  previousStatus: "active" | "disabled";
  used: number;
  limit: number | null;
  state: "ok" | "grace" | "enforced";
  graceEndsAt: string | null;
};

const findChannel = (store: Store, kind: ChannelKind, id: string) =>
  store.one<ChannelRow>(
    `SELECT seq, id, status, connected_at, grandfathered, disabled_at FROM channels
     WHERE kind = ? AND id = ?`,
    kind,
    id,
  );

export const channelsDomain: Domain = {
  migrations: channelMigrations,
  settle(ctx) {
    for (const kind of CHANNEL_KINDS) settleKind(ctx, kind);
  },
  nextDeadline: (ctx) =>
    earliest(...CHANNEL_KINDS.map((kind) => episodeDeadline(loadKind(ctx.store, kind).episode))),
};
