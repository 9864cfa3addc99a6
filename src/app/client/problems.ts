/**
 * What went wrong and what to do, in a person's words, chosen by the error's `code` and
 * `details.reason` (docs/api.md#errors), never by its message.
 */
import type { ForbiddenReason, Problem, TokenRefusal } from "./api";
import { ROLE_LABEL } from "./words";

export type Action = "retry" | "signout";

export interface Explained {
  title: string;
  text: string;
  actions: Action[];
}

/**
 * What each refusal of a token means for the person holding it: what went wrong, not a
 * description of what they pasted.
 */
export const TOKEN_REFUSED: Record<TokenRefusal, string> = {
  missing: "No token was sent. Paste your access token and press Enter.",
  malformed:
    "It couldn't be read as an access token: part of it may be missing. Copy the whole token again and paste it here.",
  bad_signature:
    "It wasn't issued by this service (or was changed after it was issued). Ask for a token for this service.",
  expired: "It has expired. Ask whoever gave it to you for a new one.",
  not_yet_valid:
    "It isn't valid yet: the clock of the machine that made it may be ahead. Try again later or ask for a new one.",
  star_not_allowed:
    "It names every workspace, which only a platform token may do. Ask for a token for your workspace.",
  lifetime_too_long:
    "It is set to last longer than the service allows (366 days). Ask for a shorter-lived one.",
  // The live socket's one-time tickets: the page asks for a new one itself and says it polls.
  ticket_missing: "The live connection was opened without a ticket.",
  ticket_malformed: "The live connection's ticket couldn't be read.",
  ticket_unknown: "The live connection's ticket was not issued for this workspace.",
  ticket_expired: "The live connection's ticket expired before it was used.",
  ticket_used: "The live connection's ticket was already used.",
};

/** The 403 reasons with words of their own; any other (a role not allowed) gets the role's. */
const FORBIDDEN: Partial<Record<ForbiddenReason, (ws: string) => Explained>> = {
  wrong_workspace: (ws) => ({
    title: "This token is for another workspace",
    text: `Sign in with a token for ${ws}.`,
    actions: ["signout"],
  }),
};

/** Why a token was refused, from the 401's reason (an unknown reason still gets an answer). */
export const tokenRefusal = (reason: string | null): string =>
  (reason !== null && TOKEN_REFUSED[reason as TokenRefusal]) ||
  "The service did not accept it. Ask for a new token.";

export function explain(p: Problem, ws: string, role: string | undefined): Explained {
  if (p.kind === "network") {
    return {
      title: "Can't reach the service",
      text: "Check your connection, then try again.",
      actions: ["retry"],
    };
  }
  switch (p.code) {
    case "unauthenticated":
      return {
        title: "Your token was not accepted",
        text: `${tokenRefusal(p.reason)} Then sign out and sign in with the new token.`,
        actions: ["signout"],
      };
    case "forbidden": {
      const specific = FORBIDDEN[p.reason as ForbiddenReason];
      if (specific) return specific(ws);
      return {
        title: "Your role can't do this",
        text: `You are signed in as ${role ? ROLE_LABEL[role as keyof typeof ROLE_LABEL] : "a read-only role"}. Ask a workspace admin to make this change.`,
        actions: [],
      };
    }
    case "not_found":
      // Every tab reads the subscription, which is missing only when there is no plan yet.
      return p.call === "/subscription"
        ? {
            title: "This workspace has no plan yet",
            text: `The billing system sets it; figures appear here as soon as it does. If you expected figures, check the workspace id: ${ws}.`,
            actions: ["retry"],
          }
        : { title: "Not found", text: "The service doesn't know this.", actions: ["retry"] };
    case "invalid_request":
    case "already_exists":
    case "idempotency_conflict":
    case "payload_too_large":
      return {
        title: "That wasn't accepted",
        text: p.fieldMessages.join(" ") || "Check what you entered and try again.",
        actions: [],
      };
    case "server_misconfigured":
      return {
        title: "The service isn't set up yet",
        text: "Its secret is missing. Tell whoever runs the service.",
        actions: ["retry"],
      };
    default:
      return {
        title: "The service had a problem",
        text: "Try again in a minute; if it keeps happening, tell whoever runs the service.",
        actions: ["retry"],
      };
  }
}
