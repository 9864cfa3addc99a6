import { CAN } from "../claims";
import { LiveTicket } from "../schemas/live";
import { operation } from "./operation";

export const liveTicket = operation({
  name: "liveTicket",
  tags: ["Live balance"],
  summary: "A one-time ticket to open the live balance's WebSocket (viewer or higher)",
  description:
    "Browsers cannot send a bearer token with a WebSocket, and a token in a URL ends up in logs: ask for a ticket (valid 30 seconds, for one connection to this workspace), then open `GET /v1/workspaces/{ws}/live?ticket=…` as a WebSocket. Each call issues a new ticket.",
  roles: CAN.read,
  response: LiveTicket,
  answers: "The ticket, when it lapses and the path to connect to",
  run: (stub) => stub.issueLiveTicket(),
});
