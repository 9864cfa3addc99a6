import type { CallMeta } from "../../src/workspace/context";

/**
 * Who is calling, for tests that call the workspace object's RPC methods directly: the metadata
 * the route layer passes after authenticating a token of that role.
 */
export const platform: CallMeta = { role: "platform" };
export const admin: CallMeta = { role: "admin" };
export const service: CallMeta = { role: "service" };
export const viewer: CallMeta = { role: "viewer" };
