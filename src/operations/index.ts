import * as agents from "./agents";
import * as budgets from "./budgets";
import * as catalogue from "./catalogue";
import * as channels from "./channels";
import * as credits from "./credits";
import * as entities from "./entities";
import * as fleet from "./fleet";
import * as live from "./live";
import type { AnyOperation } from "./operation";
import type { AnyPlatformOperation } from "./platform";
import * as statements from "./statements";
import * as workspace from "./workspace";

export * from "./agents";
export * from "./budgets";
export * from "./catalogue";
export * from "./channels";
export * from "./credits";
export * from "./entities";
export * from "./fleet";
export type { CallOptions, ErrorResult, Result } from "./invoke";
export * from "./live";
export type { AnswerOf, AnyOperation, Operation } from "./operation";
export type { AnyPlatformOperation, PlatformOperation, PlatformResult } from "./platform";
export * from "./statements";
export * from "./workspace";

const isOperation = (value: unknown): value is AnyOperation =>
  typeof value === "object" && value !== null && "run" in value && "roles" in value;

/** Every operation by name: what the routes and the entrypoints are checked against. */
export const OPERATIONS: ReadonlyMap<string, AnyOperation> = new Map(
  [agents, budgets, channels, credits, entities, live, statements, workspace]
    .flatMap((module) => Object.values(module))
    .filter(isOperation)
    .map((op) => [op.name, op]),
);

const isPlatformOperation = (value: unknown): value is AnyPlatformOperation =>
  typeof value === "object" && value !== null && "run" in value && !("roles" in value);

/** Every platform operation (the fleet's and the catalogue's) by name: no workspace, D1. */
export const PLATFORM_OPERATIONS: ReadonlyMap<string, AnyPlatformOperation> = new Map(
  [catalogue, fleet]
    .flatMap((module) => Object.values(module))
    .filter(isPlatformOperation)
    .map((op) => [op.name, op]),
);
