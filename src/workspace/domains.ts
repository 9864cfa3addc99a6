import { agentsDomain } from "./agents";
import { channelsDomain } from "./channels";
import { creditsDomain } from "./credits";
import type { Domain } from "./domain";
import { entitiesDomain } from "./entities";

export type { Domain } from "./domain";

/** Every domain of the workspace object, in the order they settle. */
export const DOMAINS: readonly Domain[] = [
  creditsDomain,
  entitiesDomain,
  channelsDomain,
  agentsDomain,
];
