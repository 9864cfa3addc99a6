import * as fleet from "../fleet";
import {
  FleetDecisions,
  FleetDecisionsQuery,
  FleetListQuery,
  FleetPage,
  FleetSummary,
} from "../schemas/fleet";
import { platformOperation } from "./platform";

/**
 * The platform's view of every workspace (docs/fleet.md): the summary, the list and the
 * decisions by reason, read from the fleet index (D1). Over HTTP only a platform token for every
 * workspace (`ws: "*"`) may ask: the index describes all workspaces.
 */
const tags = ["Fleet"];

export const fleetSummary = platformOperation({
  name: "fleetSummary",
  tags,
  summary:
    "Fleet summary: workspaces by plan, by each limit's state, by credits used; webhook health",
  response: FleetSummary,
  answers: "The summary of the fleet index",
  run: ({ db, now }) => fleet.fleetSummary(db, now()),
});

export const fleetWorkspaces = platformOperation({
  name: "fleetWorkspaces",
  tags,
  summary: "The fleet's workspaces, filtered and sorted, by opaque cursor pages",
  query: FleetListQuery,
  response: FleetPage,
  answers: "A page of rows, each with how stale it is",
  run: ({ db, env, now }, { query }) =>
    fleet.listWorkspaces(db, env.AUTH_SECRET ?? "", query, now()),
});

export const fleetDecisions = platformOperation({
  name: "fleetDecisions",
  tags,
  summary: "Decisions by reason, per hour, fleet-wide (optionally one plan)",
  query: FleetDecisionsQuery,
  response: FleetDecisions,
  answers: "Every hour of the range with its counts by reason",
  run: ({ db, now }, { query: { from, to, plan } }) =>
    fleet.fleetDecisions(
      db,
      {
        from: from === undefined ? undefined : Date.parse(from),
        to: to === undefined ? undefined : Date.parse(to),
        plan,
      },
      now(),
    ),
});
