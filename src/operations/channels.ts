import { CAN } from "../claims";
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
import { operation } from "./operation";

const tags = ["Channels"];

export const connectChannel = operation({
  name: "connectChannel",
  tags,
  summary: "Connect a WhatsApp number or an Instagram account (service; platform to import)",
  description:
    "Never refused: answers whether the kind is now over its limit and when its grace ends. A connection that makes a non-grandfathered channel not fit starts a 24-hour grace; at its end the excess non-grandfathered channels are disabled, earliest connected first. No grace twice in a row: within 7 days of an episode that ended by disconnects or by its enforcement, a new one keeps that episode's grace end, so the excess is disabled at once if it has passed. Reconnecting an active channel changes nothing; reconnecting a disabled one is a new connection.",
  roles: CAN.serve,
  params: KindParams,
  body: ConnectInput,
  response: ConnectAnswer,
  answers: "The channel and where its kind stands against the limit",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.connectChannel(params.kind, body, meta),
});

export const disconnectChannel = operation({
  name: "disconnectChannel",
  tags,
  summary: "Disconnect a channel (service); an active one frees its place at once",
  roles: CAN.serve,
  params: ChannelParams,
  response: DisconnectAnswer,
  answers: "The channel is forgotten",
  idempotent: true,
  run: (stub, { params }, meta) => stub.disconnectChannel(params.kind, params.id, meta),
});

export const channels = operation({
  name: "channels",
  tags,
  summary: "Every channel of a kind, earliest connected first, with the kind's usage",
  roles: CAN.read,
  params: KindParams,
  query: ListQuery,
  response: ChannelList,
  answers: "A page of channels",
  run: (stub, { params, query }) => stub.listChannels(params.kind, query),
});

export const connectChannels = operation({
  name: "connectChannels",
  tags,
  summary: "Connect up to 1,000 channels in one call (service; platform to import)",
  description:
    "As if each channel were connected in order, in one transaction, with the same decisions as single connects. The platform imports existing connections with their connectedAt (grandfathered when before 2026-06-01); a service may only connect at now (any connectedAt is a 403 and nothing is connected). Retry a whole batch with the same Idempotency-Key: it is applied once.",
  roles: CAN.serve,
  params: KindParams,
  body: ChannelBatchInput,
  response: ChannelBatch,
  answers: "One answer per channel, in order, and the kind's usage after",
  idempotent: true,
  run: (stub, { params, body }, meta) => stub.connectChannels(params.kind, body.channels, meta),
});
