import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { CAN } from "../auth";
import { errorResponses } from "../errors";
import type { AppEnv } from "../hono";
import {
  ChannelList,
  ChannelParams,
  ConnectAnswer,
  ConnectInput,
  DisconnectAnswer,
  KindParams,
  ListQuery,
} from "../schemas/channels";
import { IdempotencyHeader } from "../schemas/common";
import { allow, bearer, jsonBody, jsonResponse, serve, workspaceOf } from "./shared";

const connect = createRoute({
  method: "post",
  path: "/v1/workspaces/{ws}/channels/{kind}",
  tags: ["Channels"],
  summary: "Connect a WhatsApp number or an Instagram account (service; platform to import)",
  description:
    "Never refused: answers whether the kind is now over its limit and when its grace ends. A connection that makes a non-grandfathered channel not fit starts a 24-hour grace; at its end the excess non-grandfathered channels are disabled, earliest connected first. Reconnecting an active channel changes nothing; reconnecting a disabled one is a new connection.",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: KindParams, headers: IdempotencyHeader, body: jsonBody(ConnectInput) },
  responses: {
    200: jsonResponse(ConnectAnswer, "The channel and where its kind stands against the limit"),
    ...errorResponses("invalid_request", "forbidden", "not_found", "idempotency_conflict"),
  },
});

const disconnect = createRoute({
  method: "delete",
  path: "/v1/workspaces/{ws}/channels/{kind}/{id}",
  tags: ["Channels"],
  summary: "Disconnect a channel (service); an active one frees its place at once",
  security: bearer,
  middleware: [allow(CAN.serve)] as const,
  request: { params: ChannelParams, headers: IdempotencyHeader },
  responses: {
    200: jsonResponse(DisconnectAnswer, "The channel is forgotten"),
    ...errorResponses("invalid_request", "forbidden", "not_found", "idempotency_conflict"),
  },
});

const list = createRoute({
  method: "get",
  path: "/v1/workspaces/{ws}/channels/{kind}",
  tags: ["Channels"],
  summary: "Every channel of a kind, earliest connected first, with the kind's usage",
  security: bearer,
  middleware: [allow(CAN.read)] as const,
  request: { params: KindParams, query: ListQuery },
  responses: {
    200: jsonResponse(ChannelList, "A page of channels"),
    ...errorResponses("invalid_request", "forbidden", "not_found"),
  },
});

export function channelRoutes(app: OpenAPIHono<AppEnv>) {
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
