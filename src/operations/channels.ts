import { CAN } from "../auth";
import {
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
    "Never refused: answers whether the kind is now over its limit and when its grace ends. A connection that makes a non-grandfathered channel not fit starts a 24-hour grace; at its end the excess non-grandfathered channels are disabled, earliest connected first. Reconnecting an active channel changes nothing; reconnecting a disabled one is a new connection.",
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
