/**
 * A quota service that cannot answer, for the example's fail-closed tests: bound in place of
 * the real QuotaService. For workspace "throws" every call throws (the binding itself failed);
 * for any other workspace every call answers the `unavailable` error value.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

const down = (ws: string) => {
  if (ws === "throws") throw new Error("Network connection lost.");
  return {
    error: { code: "unavailable", message: "The workspace is overloaded; nothing was decided." },
  };
};

export class QuotaService extends WorkerEntrypoint {
  async reserve(ws: string) {
    return down(ws);
  }
  async commit(ws: string) {
    return down(ws);
  }
  async release(ws: string) {
    return down(ws);
  }
}

export default {
  fetch: () => new Response("quota-down", { status: 503 }),
};
