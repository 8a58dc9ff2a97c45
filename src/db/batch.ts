import type { Database, Statement } from "./client";

/** D1 batches are kept to this many statements; one group's statements always stay in one batch. */
const MAX_STATEMENTS_PER_BATCH = 200;

/** Runs statement groups in as few D1 batches as the batch size allows. */
export async function runGroups(db: Database, groups: Statement[][]): Promise<number> {
  return (await runGroupsThen(db, groups, [])).batches;
}

/**
 * `runGroups`, with `tail` run at the end of the last batch (one more round trip saved) and the
 * results of its statements and of each group's returned. The tail (a few reads or counter
 * increments) always joins the last batch, even past MAX_STATEMENTS_PER_BATCH, so it never costs a
 * round trip of its own.
 */
export async function runGroupsThen(
  db: Database,
  groups: Statement[][],
  tail: Statement[],
): Promise<{ batches: number; tail: unknown[]; groups: unknown[][] }> {
  let batches = 0;
  let current: Statement[] = [];
  const results: unknown[] = [];
  const flush = async () => {
    if (current.length === 0) return;
    results.push(...(await db.batch(current as [Statement, ...Statement[]])));
    batches++;
    current = [];
  };
  for (const group of groups) {
    if (current.length + group.length > MAX_STATEMENTS_PER_BATCH) await flush();
    current.push(...group);
  }
  current.push(...tail);
  await flush();
  let at = 0;
  const ofGroups = groups.map((group) => {
    at += group.length;
    return results.slice(at - group.length, at);
  });
  return { batches, tail: results.slice(results.length - tail.length), groups: ofGroups };
}
