/**
 * Quota services that cannot answer, for the example's fail-closed tests, bound in place of the
 * real QuotaService. `QuotaService` answers every call with the `unavailable` error value (the
 * workspace is overloaded), except for workspace "commit-lost": there the reservation is granted
 * and open, then the commit and the release answer `unavailable` (the commit's outcome is
 * unknown). `QuotaGone` has no methods: every call throws at the caller ("The RPC receiver does
 * not implement the method"), as a binding whose Worker lost the entrypoint does. Neither throws
 * an error of its own: workerd logs an error an RPC method throws as an uncaught exception of
 * this Worker, even though the caller catches it.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

const down = () => ({
  error: { code: "unavailable", message: "The workspace is overloaded; nothing was decided." },
});

const COMMIT_LOST = "commit-lost";
const HELD = { reservationId: "rsv_commit_lost", feature: "ai_rewriter", credits: 10 };

export class QuotaService extends WorkerEntrypoint {
  async reserve(ws: string) {
    if (ws === COMMIT_LOST) return { ...HELD, allowed: true, message: "Reserved." };
    return down();
  }
  async reservation(ws: string) {
    if (ws === COMMIT_LOST) return { ...HELD, state: "open", charged: null };
    return down();
  }
  async commit() {
    return down();
  }
  async release() {
    return down();
  }
}

export class QuotaGone extends WorkerEntrypoint {}

export default {
  fetch: () => new Response("quota-down", { status: 503 }),
};
