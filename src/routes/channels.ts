import type { OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import type { AppEnv } from "../hono";
import {
  ChannelBatch,
  ChannelBatchInput,
  ChannelList,
  ChannelParams,
  ConnectAnswer,
  ConnectInput,
  DisconnectAnswer,
  KindParams,
  ListQuery,
} from "../schemas/channels";
import { serve, workspaceOf, workspaceRoute } from "./shared";

const tags = ["Channels"];

const connect = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/channels/{kind}",
  tags,
  summary: "Connect a WhatsApp number or an Instagram account (service; platform to import)",
  description:
    "Never refused: answers whether the kind is now over its limit and when its grace ends. A connection that makes a non-grandfathered channel not fit starts a 24-hour grace; at its end the excess non-grandfathered channels are disabled, earliest connected first. No grace twice in a row: within 7 days of an episode that ended by disconnects or by its enforcement, a new one keeps that episode's grace end, so the excess is disabled at once if it has passed. Reconnecting an active channel changes nothing; reconnecting a disabled one is a new connection.",
  roles: CAN.serve,
  params: KindParams,
  body: ConnectInput,
  response: [ConnectAnswer, "The channel and where its kind stands against the limit"],
});

const disconnect = workspaceRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/channels/{kind}/{id}",
  tags,
  summary: "Disconnect a channel (service); an active one frees its place at once",
  roles: CAN.serve,
  params: ChannelParams,
  response: [DisconnectAnswer, "The channel is forgotten"],
});

const list = workspaceRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/channels/{kind}",
  tags,
  summary: "Every channel of a kind, earliest connected first, with the kind's usage",
  roles: CAN.read,
  params: KindParams,
  query: ListQuery,
  response: [ChannelList, "A page of channels"],
});

const batch = workspaceRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/channels/{kind}/batch",
  tags,
  summary: "Connect up to 1,000 channels in one call (service; platform to import)",
  description:
    "As if each channel were connected in order, in one transaction, with the same decisions as single connects. The platform imports existing connections with their connectedAt (grandfathered when before 2026-06-01); a service may only connect at now (any connectedAt is a 403 and nothing is connected). Retry a whole batch with the same Idempotency-Key: it is applied once.",
  roles: CAN.serve,
  params: KindParams,
  body: ChannelBatchInput,
  response: [ChannelBatch, "One answer per channel, in order, and the kind's usage after"],
});

export function channelRoutes(app: OpenAPIHono<AppEnv>) {
  serve(app, batch, (c) =>
    workspaceOf(c).connectChannels(
      c.req.valid("param").kind,
      c.req.valid("json").channels,
      c.get("call"),
    ),
  );
  serve(app, connect, (c) =>
    workspaceOf(c).connectChannel(c.req.valid("param").kind, c.req.valid("json"), c.get("call")),
  );
  serve(app, disconnect, (c) => {
    const { kind, id } = c.req.valid("param");
    return workspaceOf(c).disconnectChannel(kind, id, c.get("call"));
  });
  serve(app, list, (c) =>
    workspaceOf(c).listChannels(c.req.valid("param").kind, c.req.valid("query")),
  );
}
