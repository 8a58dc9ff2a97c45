import type { Config } from "../config";
import { runGroupsThen } from "../db/batch";
import { jobAndPause } from "../db/claims";
import type { Database, Statement } from "../db/client";
import { findJobStatement } from "../db/jobs";
import { insertJobStatement, type NewJob, newJobRow } from "../db/outcomes";
import { type JobRow, jobs } from "../db/schema";
import type { InvocationBudget, RequestBudget } from "./budget";
import type { PollOutcome } from "./decisions";
import { pollCountStatements } from "./health";
import { decideRead, outcomeStatements, readUnlessPaused } from "./poll";
import type { JobRead } from "./read";

export type TrackResult =
  | { kind: "created"; row: JobRow; outcome: PollOutcome }
  | { kind: "existing"; row: JobRow }
  | { kind: "upstream_not_found"; message: string };

/** A job about to be tracked, its first poll read and decided but nothing written yet. */
export interface FirstPoll {
  before: JobRow;
  outcome: PollOutcome;
  read: JobRead;
  /** The lease the insert takes and the first poll's outcome is written under. */
  token: string;
}

/**
 * Starts tracking a job with one inline poll (POST /api/jobs), its requests and D1 queries charged to
 * the route's `budget` (routeBudget). An upstream 404 or other refusal of the request (400, 422)
 * stores nothing (the id is wrong); any other failure still tracks the job, with the error recorded
 * and the next poll scheduled.
 */
export async function trackJob(
  db: Database,
  config: Config,
  input: NewJob,
  now: number,
  budget: InvocationBudget,
): Promise<TrackResult> {
  const { row: existing, pausedUntil, statements: lookup } = await jobAndPause(db, input.jobId, now);
  budget.chargeQueries(budget.queryCost(lookup, 1));
  if (existing) return { kind: "existing", row: existing };

  const first = await readFirstPoll(config, input, now, pausedUntil, budget);
  if (first.kind === "upstream_not_found") return first;
  const { outcome } = first.poll;
  // One batch: the insert, the first poll's outcome (guarded by the lease the insert took) and the read.
  const statements = [
    ...trackingStatements(db, first.poll, now),
    // The tracking poll counts for /metrics and /healthz like any other (unless a 429 pause held it back).
    ...(pausedUntil === null ? pollCountStatements(db, [outcome], now) : []),
    findJobStatement(db, input.jobId),
  ];
  const results = await db.batch(statements as [Statement, ...Statement[]]);
  budget.chargeQueries(budget.queryCost(statements.length, 1));
  const [row] = results[results.length - 1] as JobRow[];
  if (!row) throw new Error(`job ${input.jobId} vanished right after it was tracked`);
  // A concurrent request may have tracked it first; then ours changed nothing and theirs is returned.
  return insertWon(results) ? { kind: "created", row, outcome } : { kind: "existing", row };
}

/**
 * The first poll of a job not tracked yet, read and decided without touching D1: refused (nothing to
 * store) when LlamaCloud does not know the id or cannot parse it. While a 429 pause holds
 * (`pausedUntil`) no request is made and the job is tracked with the pause as its outcome. `budget`:
 * the caller's (a watch's scan shares the tick's; it must have a unit left for the first request).
 */
export async function readFirstPoll(
  config: Config,
  input: NewJob,
  now: number,
  pausedUntil: number | null,
  budget?: RequestBudget,
): Promise<{ kind: "read"; poll: FirstPoll } | { kind: "upstream_not_found"; message: string }> {
  const token = crypto.randomUUID();
  const before = newJobRow(input, { now, token, pollIntervalSeconds: config.pollIntervalSeconds });
  const read = await readUnlessPaused(config, before, [], pausedUntil, now, budget);
  const result = read.result;
  if (!result.ok && result.failure.kind === "not_found") {
    return {
      kind: "upstream_not_found",
      message: `LlamaCloud has no ${before.api === "v2" ? "batch" : "batch job"} "${input.jobId}" in this project.`,
    };
  }
  // LlamaCloud refusing the lookup itself (400, 422: an id or project_id it cannot parse) is bad input
  // that no later poll would fix, so it is refused like an unknown job rather than tracked.
  if (!result.ok && (result.failure.httpStatus === 400 || result.failure.httpStatus === 422)) {
    return {
      kind: "upstream_not_found",
      message: `LlamaCloud refused to look up batch job "${input.jobId}" (HTTP ${result.failure.httpStatus}); check the job id and project_id.`,
    };
  }
  return { kind: "read", poll: { before, outcome: decideRead(before, read, now, config), read, token } };
}

/**
 * Starts tracking the jobs a watch's scan polled (README "Watches"): every job's insert and first
 * outcome in as few batches as D1 allows (a job's writes never straddle two), the poll counters at the
 * end. A job a concurrent track inserted first is not found (its insert returned nothing, and its
 * writes, under a lease it never got, did nothing). Returns the jobs found and the round trips made.
 */
export async function startTracking(
  db: Database,
  polls: readonly FirstPoll[],
  now: number,
): Promise<{ found: number; roundTrips: number }> {
  if (polls.length === 0) return { found: 0, roundTrips: 0 };
  const written = await runGroupsThen(
    db,
    polls.map((poll) => trackingStatements(db, poll, now)),
    pollCountStatements(
      db,
      polls.map((poll) => poll.outcome),
      now,
    ),
  );
  return { found: written.groups.filter(insertWon).length, roundTrips: written.batches };
}

/**
 * The writes that start tracking `poll`'s job, to run in one batch: first the insert (its RETURNING
 * says whether it won: `insertWon`), then the first poll's outcome under the lease the insert took,
 * which writes nothing when a concurrent track inserted the job first.
 */
function trackingStatements(db: Database, poll: FirstPoll, now: number): [Statement, ...Statement[]] {
  return [
    insertJobStatement(db, poll.before).returning({ jobId: jobs.jobId }),
    ...outcomeStatements(
      db,
      { row: poll.before, outcome: poll.outcome, read: poll.read },
      { source: "track", now, token: poll.token, tracked: true },
    ),
  ];
}

/** Whether the insert of `trackingStatements` created the job, from the results of its statements. */
function insertWon(results: readonly unknown[]): boolean {
  return (results[0] as unknown[]).length > 0;
}
