import type { Config } from "../config";
import { jobAndPause } from "../db/claims";
import type { Database } from "../db/client";
import { findJobStatement } from "../db/jobs";
import { insertJobStatement, type NewJob, newJobRow } from "../db/outcomes";
import { type JobRow, jobs } from "../db/schema";
import type { RequestBudget } from "./budget";
import type { PollOutcome } from "./decisions";
import { pollCountStatements } from "./health";
import { decideRead, outcomeStatements, readUnlessPaused } from "./poll";

export type TrackResult =
  | { kind: "created"; row: JobRow; outcome: PollOutcome }
  | { kind: "existing"; row: JobRow }
  | { kind: "upstream_not_found"; message: string };

/**
 * Starts tracking a job with one inline poll. An upstream 404 or other refusal of the request
 * (400, 422) stores nothing (the id is wrong); any other failure still tracks the job, with the error
 * recorded and the next poll scheduled. `discovered`: a job a watch found (README "Watches"), which
 * the caller knows is not tracked and whether a 429 pause holds, so no round trip asks; its requests
 * take units of the caller's budget (the tick's; it must have a unit left for the first request).
 */
export async function trackJob(
  db: Database,
  config: Config,
  input: NewJob,
  now: number,
  discovered?: { budget: RequestBudget; pausedUntil: number | null },
): Promise<TrackResult> {
  const { row: existing, pausedUntil } = discovered
    ? { row: null, pausedUntil: discovered.pausedUntil }
    : await jobAndPause(db, input.jobId, now);
  if (existing) return { kind: "existing", row: existing };

  const token = crypto.randomUUID();
  const before = newJobRow(input, { now, token, pollIntervalSeconds: config.pollIntervalSeconds });
  const read = await readUnlessPaused(config, before, [], pausedUntil, now, discovered?.budget);
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

  const outcome = decideRead(before, read, now, config);
  const writes = outcomeStatements(
    db,
    { row: before, outcome, read },
    { source: "track", now, token, tracked: true },
  );
  // One batch: the insert, the first poll's outcome (guarded by the lease the insert took) and the read.
  const results = await db.batch([
    insertJobStatement(db, before).returning({ jobId: jobs.jobId }),
    ...writes,
    // The tracking poll counts for /metrics and /healthz like any other (unless a 429 pause held it back).
    ...(pausedUntil === null ? pollCountStatements(db, [outcome], now) : []),
    findJobStatement(db, input.jobId),
  ]);
  const inserted = results[0].length > 0;
  const [row] = results[results.length - 1] as JobRow[];
  if (!row) throw new Error(`job ${input.jobId} vanished right after it was tracked`);
  // A concurrent request may have tracked it first; then ours changed nothing and theirs is returned.
  return inserted ? { kind: "created", row, outcome } : { kind: "existing", row };
}
