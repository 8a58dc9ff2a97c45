/**
 * The outbox: which events one poll outcome raises become statements (each event's row and its
 * deliveries, see db/outbox.ts) in the statement group of the state change that caused them.
 */
import type { Database, Statement } from "../db/client";
import { randomId } from "../db/ids";
import { eventStatement, fanOutStatement } from "../db/outbox";
import type { JobRow } from "../db/schema";
import type { ItemState } from "../model";
import type { PollOutcome } from "../monitor/decisions";
import { eventBody, jobAfter, raisedEvents } from "./events";

/**
 * The outbox statements for one poll outcome: per raised event, its row and its deliveries. Empty
 * when the outcome raises nothing. `previous` is the row as it was before the poll; `tracked` marks
 * the first poll of a job being tracked right now; `failedItems` are the job's failed files after
 * the poll (at most 20), which `job.finished` lists.
 */
export function notificationStatements(
  db: Database,
  previous: JobRow,
  outcome: PollOutcome,
  opts: { now: number; token: string; tracked?: boolean; failedItems?: readonly ItemState[] },
): Statement[] {
  const types = raisedEvents(previous, outcome, opts.tracked);
  if (types.length === 0) return [];
  const after = jobAfter(previous, outcome.changes);
  const statements: Statement[] = [];
  for (const type of types) {
    const id = randomId("evt");
    const payload = JSON.stringify(
      eventBody(type, previous, after, opts.now, opts.tracked, opts.failedItems),
    );
    statements.push(
      eventStatement(db, { id, type, jobId: previous.jobId, createdAt: opts.now, payload }, opts.token),
      fanOutStatement(db, id, opts.now),
    );
  }
  return statements;
}
