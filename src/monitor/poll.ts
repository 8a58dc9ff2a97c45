import type { Config } from "../config";
import { runGroupsThen } from "../db/batch";
import { claimJob, pauseStatement, releaseStatement } from "../db/claims";
import type { Database, Statement } from "../db/client";
import { itemUpsertStatements } from "../db/items";
import { findJobStatement } from "../db/jobs";
import { applyChangesStatement, type SnapshotSource, snapshotStatement } from "../db/outcomes";
import type { JobRow } from "../db/schema";
import type { ItemState } from "../model";
import { notificationStatements } from "../notifications/outbox";
import { inPool } from "../outbound";
import type { LlamaCloudTarget } from "../upstream/v1";
import { type RequestBudget, requestBudget } from "./budget";
import { decideOutcome, type PollOutcome } from "./decisions";
import { pollCountStatements } from "./health";
import { type JobRead, readJob } from "./read";

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

export function llamaCloudTarget(config: Config): LlamaCloudTarget {
  return { baseUrl: config.llamaCloudBaseUrl, apiKey: config.llamaCloudApiKey };
}

function rateLimitedRead(until: number): JobRead {
  return {
    result: {
      ok: false,
      failure: {
        kind: "rate_limited",
        retryAt: until,
        message: `Polling is paused by a LlamaCloud rate limit until ${new Date(until).toISOString()}.`,
      },
    },
    items: [],
    failed: [],
    pauseUntil: null,
  };
}

/**
 * Reads one job now (tracking, a manual or callback poll) with a budget of its own, or the caller's
 * (discovery's tracking polls share the tick's; it must have a unit left); while a 429 pause holds,
 * the pause itself and no request.
 */
export async function readUnlessPaused(
  config: Config,
  job: Parameters<typeof readJob>[1],
  stored: readonly ItemState[],
  pausedUntil: number | null,
  now: number,
  budget: RequestBudget = requestBudget(config.maxPollsPerTick),
): Promise<JobRead> {
  if (pausedUntil !== null) return rateLimitedRead(pausedUntil);
  const read = readJob(llamaCloudTarget(config), job, stored, budget, now);
  // A fresh budget always has a unit for the first request (MAX_POLLS_PER_TICK is at least 1).
  if (!read) throw new Error("an empty request budget for a single poll");
  return read;
}

/** What a read means for the job: decideOutcome's rules, plus a 429 that did not fail the poll. */
export function decideRead(row: JobRow, read: JobRead, now: number, config: Config): PollOutcome {
  const outcome = decideOutcome(row, read.result, now, config);
  if (read.pauseUntil === null) return outcome;
  return { ...outcome, pauseUntil: Math.max(outcome.pauseUntil ?? 0, read.pauseUntil) };
}

/**
 * The writes for one polled job: its snapshot (if any), its changed items (when the answer was
 * accepted) and its notifications (the outbox) first, then the update that releases the lease.
 * `tracked`: the job's first poll, as it is being tracked.
 */
export function outcomeStatements(
  db: Database,
  polled: PolledJob & { read?: JobRead },
  opts: { source: SnapshotSource; now: number; token: string; tracked?: boolean },
): Statement[] {
  const { row, outcome, read } = polled;
  const statements: Statement[] = [];
  if (outcome.snapshot) {
    statements.push(
      snapshotStatement(db, row.jobId, outcome.snapshot, {
        ...opts,
        statusChanged: row.status !== outcome.snapshot.status,
      }),
    );
  }
  if (read && outcome.changes.upstream && read.items.length > 0) {
    statements.push(...itemUpsertStatements(db, row.jobId, read.items, opts));
  }
  statements.push(...notificationStatements(db, row, outcome, { ...opts, failedItems: read?.failed ?? [] }));
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
 * Polls jobs this invocation has claimed, at most MAX_IN_FLIGHT at a time, each read (a v2 batch with
 * its child pages) inside its own pool slot. A 429 stops new polls at once (the pause applies to every
 * job); so do the request budget running out and the invocation running late. `stored` holds the
 * claimed jobs' items, read with the claim. Returns the writes rather than running them so the
 * caller can add its own to the same batch.
 */
export async function pollClaimed(
  db: Database,
  config: Config,
  rows: JobRow[],
  stored: ReadonlyMap<string, ItemState[]>,
  opts: { source: SnapshotSource; now: number; token: string; deadline: number; budget: RequestBudget },
): Promise<PollRound> {
  const reads: (JobRead | undefined)[] = new Array(rows.length);
  let pauseUntil: number | null = null;
  const target = llamaCloudTarget(config);
  const pause = (until: number) => {
    pauseUntil = Math.max(pauseUntil ?? 0, until);
  };
  await inPool(
    rows,
    () => pauseUntil !== null || !opts.budget.available || Date.now() >= opts.deadline,
    async (row, index) => {
      const read = await readJob(target, row, stored.get(row.jobId) ?? [], opts.budget, opts.now);
      if (!read) return;
      reads[index] = read;
      if (!read.result.ok && read.result.failure.kind === "rate_limited") {
        pause(read.result.failure.retryAt ?? opts.now);
      }
      if (read.pauseUntil !== null) pause(read.pauseUntil);
    },
  );

  const round: PollRound = { polled: [], pauseUntil, groups: [] };
  rows.forEach((row, index) => {
    const read = reads[index];
    if (!read) {
      // Claimed but not polled (a 429 paused polling, or the budget or the time ran out): given back.
      round.groups.push([releaseStatement(db, row.jobId, opts.token, pauseUntil ?? undefined)]);
      return;
    }
    const polled = { row, outcome: decideRead(row, read, opts.now, config) };
    round.polled.push(polled);
    round.groups.push(outcomeStatements(db, { ...polled, read }, opts));
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
  const read = await readUnlessPaused(config, row, claim.items, claim.pausedUntil, opts.now);
  const polled = { row, outcome: decideRead(row, read, opts.now, config) };
  const statements = outcomeStatements(db, { ...polled, read }, { ...opts, token });
  // A poll held back by a 429 pause asked nothing upstream, so it is not counted.
  if (claim.pausedUntil === null) {
    statements.push(...pollCountStatements(db, [polled.outcome], opts.now));
  }
  // The job as written comes back from the same batch.
  const written = await runGroupsThen(db, [statements], [findJobStatement(db, jobId)]);
  const [updated] = written.tail[0] as JobRow[];
  return updated ? { kind: "polled", row: updated, outcome: polled.outcome } : { kind: "not_found" };
}
