import type { Config } from "../config";
import { runGroupsThen } from "../db/batch";
import { claimJob, pauseStatement, releaseJobsStatements } from "../db/claims";
import type { Database, Statement } from "../db/client";
import { itemUpsertStatements } from "../db/items";
import { findJobStatement } from "../db/jobs";
import { applyChangesStatement, type SnapshotSource, snapshotStatement } from "../db/outcomes";
import type { JobRow } from "../db/schema";
import type { ItemState } from "../model";
import { MAX_DELIVERIES_INLINE } from "../notifications/deliver";
import { notificationStatements } from "../notifications/outbox";
import { inPool } from "../outbound";
import type { LlamaCloudTarget } from "../upstream/v1";
import { type InvocationBudget, invocationBudget, type RequestBudget, requestBudget } from "./budget";
import { decideOutcome, type PollOutcome } from "./decisions";
import { pollCountStatements } from "./health";
import { type JobRead, readJob } from "./read";
import { backgroundWriter } from "./writer";

/** How long a claim protects a job; longer than any one poll (10 s timeout) plus the write. */
export const LEASE_MS = 2 * 60_000;

export interface PolledJob {
  row: JobRow;
  outcome: PollOutcome;
}

export interface PollRound {
  polled: PolledJob[];
  /** Until when a 429 paused every job; null when none did. */
  pauseUntil: number | null;
  /**
   * The writes not made yet, grouped per job so a group never straddles two batches (the last polls'
   * outcomes and the release of the jobs not polled), for the caller's last batch.
   */
  groups: Statement[][];
  /** D1 round trips already made: outcomes written in batches while the pool kept polling. */
  batches: number;
  /**
   * The poll counters (/metrics) and what the polls said of the key (/healthz), already charged, for
   * the tail of the caller's last batch (so they cost no round trip of their own).
   */
  counted: Statement[];
}

/** What a round of polls did, as the tick record and the queue consumer's result count it. */
export function roundCounts(round: PollRound) {
  return {
    polled: round.polled.length,
    changed: round.polled.filter((p) => p.outcome.snapshot !== null).length,
    errors: round.polled.filter((p) => p.outcome.failure !== null).length,
    rateLimitedUntil: round.pauseUntil,
  };
}

/**
 * D1 statements each poll in flight holds back where every statement counts (the Free plan): its
 * snapshot, two events with their fan-outs, and its update. A poll is not started without them.
 */
const POLL_STATEMENTS = 6;

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
 * Upstream requests one poll a route makes (tracking, a manual or callback poll) may send: the tick's
 * share, less the subrequests the same invocation keeps for its first delivery attempts after the
 * answer (MAX_DELIVERIES_INLINE), so a v2 batch of thousands of files cannot take the route past its
 * plan's subrequests (on Free: 20 requests and 30 attempts of 50). Children not read wait for the
 * next poll, as in a tick whose budget ran out.
 */
export function routePollRequests(config: Config): number {
  const beside = config.planLimits.subrequests - MAX_DELIVERIES_INLINE;
  return Math.max(1, Math.min(config.maxPollsPerTick, beside));
}

/**
 * The counted budget of a route's invocation (README "Plans and limits"): its poll's requests
 * (routePollRequests) and D1 queries are charged to it, and its first delivery attempts after the
 * answer get what is left.
 */
export function routeBudget(config: Config): InvocationBudget {
  return invocationBudget(config.planLimits, routePollRequests(config));
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
  budget: RequestBudget = requestBudget(routePollRequests(config)),
): Promise<JobRead> {
  if (pausedUntil !== null) return rateLimitedRead(pausedUntil);
  const read = readJob(llamaCloudTarget(config), job, stored, budget, now);
  // A fresh budget always has a unit for the first request (routePollRequests is at least 1).
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
      // Only what differs from the row as claimed is written (the lease keeps the row as it was).
      before: row,
    }),
  );
  return statements;
}

/**
 * Polls jobs this invocation has claimed, at most MAX_IN_FLIGHT at a time, each read (a v2 batch with
 * its child pages) inside its own pool slot, and writes their outcomes in batches while it goes on.
 * A 429 stops new polls at once (the pause applies to every job); so do the budget running out (its
 * upstream requests, or its D1 queries above `keepQueries`, which the caller keeps for what follows)
 * and the invocation running late. A poll whose writes do not fit the D1 budget is not written and is
 * given back like a job not polled (due again, polled next tick). Every statement of the round is
 * charged to the budget, the poll counters' (`counted`, which the caller writes) included.
 * `stored` holds the claimed jobs' items, read with the claim. The writes not made yet come back
 * (`groups`) so the caller can add its own to the same batch.
 */
export async function pollClaimed(
  db: Database,
  config: Config,
  rows: JobRow[],
  stored: ReadonlyMap<string, ItemState[]>,
  opts: {
    now: number;
    token: string;
    deadline: number;
    budget: InvocationBudget;
    keepQueries?: number;
  },
): Promise<PollRound> {
  const { budget } = opts;
  const keep = opts.keepQueries ?? 0;
  const share = budget.queryCost(POLL_STATEMENTS, 0);
  const round: PollRound = { polled: [], pauseUntil: null, groups: [], batches: 0, counted: [] };
  const written = new Set<string>();
  const counters = new Set<string>();
  const writer = backgroundWriter(db, budget);
  let held = 0;
  const target = llamaCloudTarget(config);
  const pause = (until: number) => {
    round.pauseUntil = Math.max(round.pauseUntil ?? 0, until);
  };
  await inPool(
    rows,
    () =>
      round.pauseUntil !== null ||
      !budget.available ||
      Date.now() >= opts.deadline ||
      budget.queriesLeft - held - share < keep,
    async (row) => {
      held += share;
      let read: JobRead | null;
      try {
        read = await readJob(target, row, stored.get(row.jobId) ?? [], budget, opts.now);
      } finally {
        held -= share;
      }
      if (!read) return;
      if (!read.result.ok && read.result.failure.kind === "rate_limited") {
        pause(read.result.failure.retryAt ?? opts.now);
      }
      if (read.pauseUntil !== null) pause(read.pauseUntil);
      const polled = { row, outcome: decideRead(row, read, opts.now, config) };
      const group = outcomeStatements(db, { ...polled, read }, { ...opts, source: "poll" });
      const labels = counterLabels(polled.outcome).filter((label) => !counters.has(label));
      if (!budget.takeQueries(budget.queryCost(group.length + labels.length, 0), keep + held)) return;
      for (const label of labels) counters.add(label);
      round.polled.push(polled);
      written.add(row.jobId);
      writer.add(group);
    },
  );

  const rest = await writer.finish();
  round.batches = rest.batches;
  round.groups = rest.groups;
  // Claimed but not polled (a 429 paused polling, the budget or the time ran out, or its writes did
  // not fit): given back, after a 429 not before the pause ends.
  const unpolled = rows.filter((row) => !written.has(row.jobId)).map((row) => row.jobId);
  const release = releaseJobsStatements(db, unpolled, opts.token, round.pauseUntil ?? undefined);
  // The pause itself, should the poll that met the 429 be one whose writes did not fit.
  if (round.pauseUntil !== null && unpolled.length > 0)
    release.push(pauseStatement(db, round.pauseUntil, opts.now));
  if (release.length > 0) round.groups.push(release);
  budget.chargeQueries(budget.queryCost(release.length, 0));
  round.counted = pollCountStatements(
    db,
    round.polled.map((p) => p.outcome),
    opts.now,
  );
  return round;
}

/** The /metrics counters (and the upstream_auth state) a poll's outcome touches, as pollCountStatements writes them. */
function counterLabels(outcome: PollOutcome): string[] {
  const result =
    outcome.failure !== null
      ? ["failed", `failure:${outcome.failure}`]
      : [outcome.snapshot ? "changed" : "unchanged"];
  const auth = outcome.failure === null || outcome.failure === "unauthorized" ? ["auth"] : [];
  return [...result, ...auth];
}

export type PollOneResult =
  | { kind: "polled"; row: JobRow; outcome: PollOutcome }
  | { kind: "not_found" }
  | { kind: "busy"; row: JobRow };

/**
 * Polls one job now, whatever its schedule (a manual poll or a LlamaCloud callback), charging its
 * requests and D1 queries to the route's `budget` (routeBudget). A job another invocation is polling
 * at this moment is reported busy rather than polled twice.
 */
export async function pollOne(
  db: Database,
  config: Config,
  jobId: string,
  opts: { source: SnapshotSource; now: number; budget: InvocationBudget },
): Promise<PollOneResult> {
  const { budget } = opts;
  const token = crypto.randomUUID();
  const claim = await claimJob(db, { jobId, now: opts.now, token, leaseUntil: opts.now + LEASE_MS });
  budget.chargeQueries(budget.queryCost(claim.statements, 1));
  if (!claim.claimed) return claim.current ? { kind: "busy", row: claim.current } : { kind: "not_found" };
  const row = claim.claimed;
  const read = await readUnlessPaused(config, row, claim.items, claim.pausedUntil, opts.now, budget);
  const polled = { row, outcome: decideRead(row, read, opts.now, config) };
  const statements = outcomeStatements(db, { ...polled, read }, { ...opts, token });
  // A poll held back by a 429 pause asked nothing upstream, so it is not counted.
  if (claim.pausedUntil === null) {
    statements.push(...pollCountStatements(db, [polled.outcome], opts.now));
  }
  // The job as written comes back from the same batch.
  const written = await runGroupsThen(db, [statements], [findJobStatement(db, jobId)]);
  budget.chargeQueries(budget.queryCost(statements.length + 1, written.batches));
  const [updated] = written.tail[0] as JobRow[];
  return updated ? { kind: "polled", row: updated, outcome: polled.outcome } : { kind: "not_found" };
}
