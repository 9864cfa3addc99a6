/**
 * Invariants asserted where they live (docs/rules.md: the rules hold of every figure): a policy
 * function states what must hold of its inputs and its outputs, so a bug upstream (a counter
 * gone negative) or in the rule itself trips here, in a test, instead of answering a wrong
 * figure. Thrown inside the object's transaction, it rolls the call back: nothing is written.
 */
export class InvariantError extends Error {
  override name = "InvariantError";
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new InvariantError(`invariant: ${message}`);
}

/** A count or an amount of credits: a whole number, never negative. */
export const isCount = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;
