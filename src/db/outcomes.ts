/**
 * What a poll's outcome writes: the snapshot and the job's new columns (both guarded by the poll's
 * lease token, so a poll whose lease expired and was taken over writes nothing), or the row of a job
 * being tracked, which takes the lease its first poll writes under.
 */
import { and, eq, sql } from "drizzle-orm";
import { type Api, apiOfJobId, type JobChanges, NO_OBSERVATION, type Observation } from "../model";
import type { Database, Statement } from "./client";
import { type JobRow, jobs, type SnapshotRow, snapshots } from "./schema";

export type SnapshotSource = SnapshotRow["source"];

/** The lease a new job holds until its first poll's outcome, written in the same batch, releases it. */
const TRACK_LEASE_MS = 60_000;

/**
 * A snapshot insert that only happens while `token` still holds the job's lease: the insert and the
 * job update that releases the lease run in one batch, so a poll whose lease expired (and was taken
 * over) writes nothing.
 */
export function snapshotStatement(
  db: Database,
  jobId: string,
  o: Observation,
  opts: { source: SnapshotSource; now: number; token: string; statusChanged: boolean },
): Statement {
  return db.insert(snapshots).select(
    db
      .select({
        // drizzle checks that an INSERT ... SELECT names every column in table order; null lets SQLite pick the id.
        id: sql`null`.as("id"),
        jobId: sql`${jobId}`.as("job_id"),
        observedAt: sql`${opts.now}`.as("observed_at"),
        source: sql`${opts.source}`.as("source"),
        status: sql`${o.status}`.as("status"),
        totalItems: sql`${o.totalItems}`.as("total_items"),
        processedItems: sql`${o.processedItems}`.as("processed_items"),
        failedItems: sql`${o.failedItems}`.as("failed_items"),
        skippedItems: sql`${o.skippedItems}`.as("skipped_items"),
        progressPercentage: sql`${o.progressPercentage}`.as("progress_percentage"),
        errorMessage: sql`${o.errorMessage}`.as("error_message"),
        upstreamUpdatedAt: sql`${o.upstreamUpdatedAt}`.as("upstream_updated_at"),
        statusChanged: sql`${opts.statusChanged ? 1 : 0}`.as("status_changed"),
      })
      .from(jobs)
      .where(and(eq(jobs.jobId, jobId), eq(jobs.leaseToken, opts.token))),
  );
}

/** The columns a poll outcome sets: tracking always, the upstream view only when an answer was accepted. */
export function changeColumns(changes: JobChanges) {
  const { upstream, ...tracking } = changes;
  if (!upstream) return tracking;
  const o = upstream.observation;
  return {
    ...tracking,
    jobType: upstream.jobType,
    status: o.status,
    totalItems: o.totalItems,
    processedItems: o.processedItems,
    failedItems: o.failedItems,
    skippedItems: o.skippedItems,
    progressPercentage: o.progressPercentage,
    errorMessage: o.errorMessage,
    upstreamUpdatedAt: o.upstreamUpdatedAt,
    upstreamJob: upstream.upstreamJob,
  };
}

/**
 * The columns whose value differs from the row as claimed: an unchanged poll then writes its clock
 * and schedule only, not every upstream field again (D1 counts a rewritten indexed column, such as
 * status or state, as extra rows written).
 */
function onlyDiffering<T extends Record<string, unknown>>(columns: T, before: JobRow): Partial<T> {
  const stored = before as unknown as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(columns).filter(([key, value]) => stored[key] !== value),
  ) as Partial<T>;
}

/**
 * Applies a poll's outcome and releases the lease, only if `token` still holds it. `claimedNextPollAt`
 * is the job's `next_poll_at` when it was claimed: if a callback has moved it since (see
 * `makeDueStatement`), the news may postdate this poll's answer, so the earlier time is kept.
 */
export function applyChangesStatement(
  db: Database,
  jobId: string,
  changes: JobChanges,
  opts: { token: string; claimedNextPollAt: number | null; before?: JobRow },
): Statement {
  const next = changes.nextPollAt;
  const columns = changeColumns(changes);
  return db
    .update(jobs)
    .set({
      ...(opts.before ? onlyDiffering(columns, opts.before) : columns),
      ...(next === null
        ? {}
        : {
            nextPollAt: sql`case when ${jobs.nextPollAt} is ${opts.claimedNextPollAt} then ${next}
              else min(${next}, coalesce(${jobs.nextPollAt}, ${next})) end`,
          }),
      leaseToken: null,
      leaseUntil: null,
    })
    .where(and(eq(jobs.jobId, jobId), eq(jobs.leaseToken, opts.token)));
}
export interface NewJob {
  jobId: string;
  projectId: string | null;
  organizationId: string | null;
  label: string | null;
  /** Default: by the id's prefix. */
  api?: Api;
  /** The watch that found the job; none for jobs tracked by hand. */
  watchId?: string | null;
}

/**
 * A job as it stands before its first poll, holding the lease under which that poll's outcome is
 * applied: what `insertJobStatement` writes, and the "before" its first outcome is decided from.
 */
export function newJobRow(
  job: NewJob,
  opts: { now: number; token: string; pollIntervalSeconds: number },
): JobRow {
  return {
    ...job,
    api: job.api ?? apiOfJobId(job.jobId),
    state: "active",
    trackedAt: opts.now,
    pollIntervalSeconds: opts.pollIntervalSeconds,
    nextPollAt: opts.now,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    jobType: null,
    ...NO_OBSERVATION,
    upstreamJob: null,
    lastPolledAt: null,
    lastSuccessAt: null,
    lastChangeAt: null,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    stalledSince: null,
    watchId: job.watchId ?? null,
    terminalSeenAt: null,
    leaseToken: opts.token,
    leaseUntil: opts.now + TRACK_LEASE_MS,
  };
}

/** Starts tracking a job. ON CONFLICT DO NOTHING makes two concurrent track requests create one job. */
export function insertJobStatement(db: Database, row: JobRow) {
  return db.insert(jobs).values(row).onConflictDoNothing();
}
