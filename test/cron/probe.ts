import { runInDurableObject } from "cloudflare:test";
import { type Instant, iso } from "../../src/policy/time";
import { Store } from "../../src/storage";
import { DOMAINS, type Domain } from "../../src/workspace/domains";
import { recordEvents } from "../../src/workspace/events";

/**
 * A test-only Domain with one deadline, standing in for a grace end: once `ctx.now` reaches it,
 * settle records a `limit.enforced` event dated at the deadline, exactly once (keyed by the
 * deadline, like a real episode). It lets the cron, alarm and delivery machinery be tested
 * without the real domains. It is inert in workspaces where no probe is armed.
 */
const KEY = "testProbe";

interface Probe {
  dueAt: Instant;
  firedAt: Instant | null;
}

const probeDomain: Domain = {
  migrations: [],
  settle(ctx) {
    const probe = ctx.store.getMeta<Probe>(KEY);
    if (probe === undefined || probe.firedAt !== null || ctx.now < probe.dueAt) return;
    recordEvents(
      ctx.store,
      [
        {
          type: "limit.enforced",
          data: { limit: "leads", graceEndsAt: iso(probe.dueAt) },
          at: probe.dueAt,
        },
      ],
      ctx.now,
    );
    ctx.store.setMeta(KEY, { ...probe, firedAt: ctx.now });
  },
  nextDeadline(ctx) {
    const probe = ctx.store.getMeta<Probe>(KEY);
    return probe === undefined || probe.firedAt !== null ? null : probe.dueAt;
  },
};

/** Registers the probe domain in this test file's Worker (each test file has its own). */
export function installProbe(): void {
  if (!DOMAINS.includes(probeDomain)) (DOMAINS as Domain[]).push(probeDomain);
}

/** Arms the probe of a workspace; like any domain state, the next mutation schedules it. */
export const armProbe = (stub: DurableObjectStub, dueAt: Instant) =>
  runInDurableObject(stub, (_instance, state) => {
    new Store(state.storage.sql).setMeta(KEY, { dueAt, firedAt: null } satisfies Probe);
  });
