/**
 * A quota service that cannot answer, for the example's fail-closed tests: bound in place of
 * the real QuotaService. For workspace "throws" every call throws (the binding itself failed);
 * for workspace "commit-lost" the reservation is granted and open, then the commit throws (its
 * outcome is unknown) and the release answers `unavailable`; for any other workspace every
 * call answers the `unavailable` error value.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

const down = (ws: string) => {
  if (ws === "throws") throw new Error("Network connection lost.");
  return {
    error: { code: "unavailable", message: "The workspace is overloaded; nothing was decided." },
  };
};

const COMMIT_LOST = "commit-lost";
const HELD = { reservationId: "rsv_commit_lost", feature: "ai_rewriter", credits: 10 };

export class QuotaService extends WorkerEntrypoint {
  async reserve(ws: string) {
    if (ws === COMMIT_LOST) return { ...HELD, allowed: true, message: "Reserved." };
    return down(ws);
  }
  async reservation(ws: string) {
    if (ws === COMMIT_LOST) return { ...HELD, state: "open", charged: null };
    return down(ws);
  }
  async commit(ws: string) {
    if (ws === COMMIT_LOST) throw new Error("Network connection lost.");
    return down(ws);
  }
  async release(ws: string) {
    return down(ws);
  }
}

export default {
  fetch: () => new Response("quota-down", { status: 503 }),
};
