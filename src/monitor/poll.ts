import type { Config } from "../config";
import { runGroupsThen } from "../db/batch";
import { claimJob, pauseStatement, releaseStatement } from "../db/claims";
import type { Database, Statement } from "../db/client";
import { findJobStatement } from "../db/jobs";
import { applyChangesStatement, type SnapshotSource, snapshotStatement } from "../db/outcomes";
import type { JobRow } from "../db/schema";
import { notificationStatements } from "../notifications/outbox";
import { inPool } from "../outbound";
import { fetchJobStatus, type JobRef, type LlamaCloudTarget, type StatusResult } from "../upstream/v1";
import { decideOutcome, type PollOutcome } from "./decisions";

/** How long a claim protects a job; longer than any one poll (10 s timeout) plus the write. */
export const LEASE_MS = 2 * 60_000;

export interface PolledJob {
  row: JobRow;
  outcome: PollOutcome;
}

export interface PollRound {
  polled: PolledJob[];
  pauseUntil: number | null;
  /** The writes of the round, grouped per job so a group never straddles two batches. */
  groups: Statement[][];
}

/** The job's status from LlamaCloud; while a 429 pause holds, the pause itself and no request. */
export function fetchUnlessPaused(
  config: Config,
  job: JobRef,
  pausedUntil: number | null,
): Promise<StatusResult> {
  if (pausedUntil !== null) return Promise.resolve(rateLimitedResult(pausedUntil));
  return fetchJobStatus(llamaCloudTarget(config), job);
}

function llamaCloudTarget(config: Config): LlamaCloudTarget {
  return { baseUrl: config.llamaCloudBaseUrl, apiKey: config.llamaCloudApiKey };
}

function rateLimitedResult(until: number): StatusResult {
  return {
    ok: false,
    failure: {
      kind: "rate_limited",
      retryAt: until,
      message: `Polling is paused by a LlamaCloud rate limit until ${new Date(until).toISOString()}.`,
    },
  };
}

/**
 * The writes for one polled job: its snapshot (if any) and its notifications (the outbox) first, then
 * the update that releases the lease. `tracked`: the job's first poll, as it is being tracked.
 */
export function outcomeStatements(
  db: Database,
  polled: PolledJob,
  opts: { source: SnapshotSource; now: number; token: string; tracked?: boolean },
): Statement[] {
  const { row, outcome } = polled;
  const statements: Statement[] = [];
  if (outcome.snapshot) {
    statements.push(
      snapshotStatement(db, row.jobId, outcome.snapshot, {
        ...opts,
        statusChanged: row.status !== outcome.snapshot.status,
      }),
    );
  }
  statements.push(...notificationStatements(db, row, outcome, opts));
  // Extends the monitor-wide pause (never shortens it), so writing it once per rate-limited job is harmless.
  if (outcome.pauseUntil !== null) statements.push(pauseStatement(db, outcome.pauseUntil, opts.now));
  statements.push(
    applyChangesStatement(db, row.jobId, outcome.changes, {
      token: opts.token,
      claimedNextPollAt: row.nextPollAt,
    }),
  );
  return statements;
}

/**
 * Polls jobs this invocation has claimed, at most MAX_IN_FLIGHT at a time. A 429 stops new polls
 * at once (the pause applies to every job); the budget stops them when the invocation runs late.
 * Returns the writes rather than running them so the caller can add its own to the same batch.
 */
export async function pollClaimed(
  db: Database,
  config: Config,
  rows: JobRow[],
  opts: { source: SnapshotSource; now: number; token: string; deadline: number },
): Promise<PollRound> {
  const results: (StatusResult | undefined)[] = new Array(rows.length);
  let pauseUntil: number | null = null;
  const target = llamaCloudTarget(config);
  await inPool(
    rows,
    () => pauseUntil !== null || Date.now() >= opts.deadline,
    async (row, index) => {
      const result = await fetchJobStatus(target, row);
      results[index] = result;
      if (!result.ok && result.failure.kind === "rate_limited") {
        pauseUntil = Math.max(pauseUntil ?? 0, result.failure.retryAt ?? opts.now);
      }
    },
  );

  const round: PollRound = { polled: [], pauseUntil, groups: [] };
  rows.forEach((row, index) => {
    const result = results[index];
    if (!result) {
      // Claimed but not polled (a 429 paused polling, or the budget ran out): given back.
      round.groups.push([releaseStatement(db, row.jobId, opts.token, pauseUntil ?? undefined)]);
      return;
    }
    const polled = { row, outcome: decideOutcome(row, result, opts.now, config) };
    round.polled.push(polled);
    round.groups.push(outcomeStatements(db, polled, opts));
  });
  return round;
}

export type PollOneResult =
  | { kind: "polled"; row: JobRow; outcome: PollOutcome }
  | { kind: "not_found" }
  | { kind: "busy"; row: JobRow };

/**
 * Polls one job now, whatever its schedule (a manual poll or a LlamaCloud callback). A job another
 * invocation is polling at this moment is reported busy rather than polled twice.
 */
export async function pollOne(
  db: Database,
  config: Config,
  jobId: string,
  opts: { source: SnapshotSource; now: number },
): Promise<PollOneResult> {
  const token = crypto.randomUUID();
  const claim = await claimJob(db, { jobId, now: opts.now, token, leaseUntil: opts.now + LEASE_MS });
  if (!claim.claimed) return claim.current ? { kind: "busy", row: claim.current } : { kind: "not_found" };
  const row = claim.claimed;
  const result = await fetchUnlessPaused(config, row, claim.pausedUntil);
  const polled = { row, outcome: decideOutcome(row, result, opts.now, config) };
  const statements = outcomeStatements(db, polled, { ...opts, token });
  // The job as written comes back from the same batch.
  const written = await runGroupsThen(db, [statements], [findJobStatement(db, jobId)]);
  const [updated] = written.tail[0] as JobRow[];
  return updated ? { kind: "polled", row: updated, outcome: polled.outcome } : { kind: "not_found" };
}
