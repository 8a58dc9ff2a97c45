/**
 * The tick's writes, overlapped with its polls: outcomes are written in batches while the pool keeps
 * polling, so the D1 time is spent while upstream answers are awaited rather than after them.
 */
import { runGroups } from "../db/batch";
import type { Database, Statement } from "../db/client";
import type { InvocationBudget } from "./budget";

/**
 * Outcomes are written once this many statements wait (about 200 unchanged polls, a full batch) while the pool
 * keeps polling, one batch at a time: the writes overlap the polls instead of following them.
 */
const WRITE_EVERY_STATEMENTS = 200;

/**
 * Writes statement groups in batches while the caller goes on, one batch in flight at a time (D1
 * runs them one after another anyway), each batch's round trip charged to the budget.
 */
export function backgroundWriter(db: Database, budget: InvocationBudget) {
  let pending: Statement[][] = [];
  let size = 0;
  let writing: Promise<void> | null = null;
  let batches = 0;
  let failure: { error: unknown } | null = null;
  const start = () => {
    if (writing !== null || failure !== null || size < WRITE_EVERY_STATEMENTS) return;
    const groups = pending;
    pending = [];
    size = 0;
    writing = runGroups(db, groups).then(
      (made) => {
        batches += made;
        budget.chargeQueries(budget.queryCost(0, made));
      },
      (error: unknown) => {
        failure = { error };
      },
    );
    void writing.finally(() => {
      writing = null;
      start();
    });
  };
  return {
    add(group: Statement[]) {
      pending.push(group);
      size += group.length;
      start();
    },
    /** Waits for the batch in flight; answers the groups still to write. Throws if a batch failed. */
    async finish(): Promise<{ batches: number; groups: Statement[][] }> {
      while (writing !== null) await writing;
      if (failure !== null) throw (failure as { error: unknown }).error;
      const groups = pending;
      pending = [];
      return { batches, groups };
    },
  };
}
