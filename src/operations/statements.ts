import { CAN } from "../claims";
import { statementCsv } from "../policy/statementCsv";
import {
  Statement,
  StatementList,
  StatementParams,
  StatementQuery,
  StatementsQuery,
} from "../schemas/statements";
import { operation } from "./operation";

const tags = ["AI credits"];

export const creditStatements = operation({
  name: "creditStatements",
  tags,
  summary: "Past periods' statements, newest first",
  description:
    "Every closed period (a renewal or an anchor change closes one), with its figures fixed at the close; kept 10 years (docs/history.md).",
  roles: CAN.read,
  query: StatementsQuery,
  response: StatementList,
  answers: "A page of closed periods' statements",
  run: (stub, { query }) =>
    stub.creditStatements(
      query.before === undefined ? undefined : Date.parse(query.before),
      query.limit,
    ),
});

export const creditStatement = operation({
  name: "creditStatement",
  tags,
  summary: "One closed period's statement, as JSON or CSV (`?format=csv`)",
  description:
    "Plan, seats, included credits, packages and top-ups, opening balance, credits used by feature, overrun and expired credits: each equals the ledger's sums over the period, archived days included.",
  roles: CAN.read,
  params: StatementParams,
  query: StatementQuery,
  response: Statement,
  answers: "The period's statement",
  csv: statementCsv,
  run: (stub, { params }) => stub.creditStatement(Date.parse(params.periodStart)),
});
