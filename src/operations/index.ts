import * as agents from "./agents";
import * as channels from "./channels";
import * as credits from "./credits";
import * as entities from "./entities";
import * as live from "./live";
import type { AnyOperation } from "./operation";
import * as statements from "./statements";
import * as workspace from "./workspace";

export * from "./agents";
export * from "./channels";
export * from "./credits";
export * from "./entities";
export type { CallOptions, ErrorResult, Result } from "./invoke";
export * from "./live";
export type { AnswerOf, AnyOperation, Operation } from "./operation";
export * from "./statements";
export * from "./workspace";

const isOperation = (value: unknown): value is AnyOperation =>
  typeof value === "object" && value !== null && "run" in value && "roles" in value;

/** Every operation by name: what the routes and the entrypoints are checked against. */
export const OPERATIONS: ReadonlyMap<string, AnyOperation> = new Map(
  [agents, channels, credits, entities, live, statements, workspace]
    .flatMap((module) => Object.values(module))
    .filter(isOperation)
    .map((op) => [op.name, op]),
);
