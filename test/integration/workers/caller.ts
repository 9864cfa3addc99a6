/**
 * A second Worker for the tests: it calls the quota service's entrypoints through real service
 * bindings (SERVICE → QuotaService, PLATFORM → QuotaPlatform), as an AI feature's Worker or the
 * platform would. Tests reach it through their own binding to its `Caller` entrypoint and ask
 * it to make one call; a thrown error comes back as `{ threw }` so tests can see it.
 */
import { WorkerEntrypoint } from "cloudflare:workers";

interface CallerEnv {
  SERVICE: Record<string, (...args: unknown[]) => Promise<unknown>>;
  PLATFORM: Record<string, (...args: unknown[]) => Promise<unknown>>;
}

export type CallAnswer = { value: unknown } | { threw: string };

export class Caller extends WorkerEntrypoint<CallerEnv> {
  async call(
    binding: "SERVICE" | "PLATFORM",
    method: string,
    args: unknown[],
  ): Promise<CallAnswer> {
    try {
      // Any name is callable on a binding; a method the entrypoint lacks throws when called.
      const target = this.env[binding];
      return { value: await target[method]?.(...args) };
    } catch (error) {
      return { threw: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
  }
}

export default {
  fetch: () => new Response("caller: use the Caller entrypoint", { status: 404 }),
};
