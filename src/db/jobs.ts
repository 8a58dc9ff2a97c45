import { and, desc, eq, gte, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { JobChanges, Observation } from "../model";
import { DAY_MS, PRUNE_BATCH } from "./batch";
import type { Database, Statement } from "./client";
import { olderThan, type Position, toPage } from "./keyset";
import { type JobRow, jobs, monitorState, type SnapshotRow, snapshots, ticks } from "./schema";

export type SnapshotSource = SnapshotRow["source"];

const RATE_LIMIT_KEY = "rate_limited_until";
/** The lease a new job holds until its first poll's outcome, written in the same batch, releases it. */
const TRACK_LEASE_MS = 60_000;

/** A poll's results are only written by the holder of the job's lease (see `jobs.leaseToken`). */
function leaseFree(now: number) {
  return or(isNull(jobs.leaseUntil), lte(jobs.leaseUntil, now));
}

/**
 * Claims up to `limit` due active jobs, oldest due first, in one conditional UPDATE. SQLite runs it
 * atomically, so two overlapping ticks can never both claim a job.
 */
export async function claimDueJobs(
  db: Database,
  opts: { now: number; limit: number; token: string; leaseUntil: number },
): Promise<JobRow[]> {
  const due = db
    .select({ jobId: jobs.jobId })
    .from(jobs)
    .where(and(eq(jobs.state, "active"), lte(jobs.nextPollAt, opts.now), leaseFree(opts.now)))
    .orderBy(jobs.nextPollAt)
    .limit(opts.limit);
  const claimed = await db
    .update(jobs)
    .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
    .where(
      and(
        inArray(jobs.jobId, due),
        // Re-checked here: the subquery's snapshot of the table is not the lock.
        leaseFree(opts.now),
        sql`not exists (select 1 from ${monitorState} where ${monitorState.key} = ${RATE_LIMIT_KEY} and cast(${monitorState.value} as integer) > ${opts.now})`,
      ),
    )
    .returning();
  return claimed.sort((a, b) => (a.nextPollAt ?? 0) - (b.nextPollAt ?? 0) || a.jobId.localeCompare(b.jobId));
}

/**
 * Claims one job whatever its schedule (a manual or webhook poll), in one round trip that also reads
 * the job as it stands (so a job held by another poll can be reported busy) and the rate-limit pause.
 */
export async function claimJob(
  db: Database,
  opts: { jobId: string; now: number; token: string; leaseUntil: number },
): Promise<{ claimed: JobRow | null; current: JobRow | null; pausedUntil: number | null }> {
  const [claimed, current, pause] = await db.batch([
    db
      .update(jobs)
      .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
      .where(and(eq(jobs.jobId, opts.jobId), leaseFree(opts.now)))
      .returning(),
    findJobStatement(db, opts.jobId),
    pauseQuery(db),
  ]);
  return {
    claimed: claimed[0] ?? null,
    current: current[0] ?? null,
    pausedUntil: pauseFrom(pause, opts.now),
  };
}

function pauseQuery(db: Database) {
  return db.select().from(monitorState).where(eq(monitorState.key, RATE_LIMIT_KEY));
}

function pauseFrom(rows: { value: string }[], now: number): number | null {
  const until = rows[0] ? Number(rows[0].value) : Number.NaN;
  return Number.isFinite(until) && until > now ? until : null;
}

/** A job as it stands and the rate-limit pause, in one round trip (what tracking needs to decide). */
export async function jobAndPause(
  db: Database,
  jobId: string,
  now: number,
): Promise<{ row: JobRow | null; pausedUntil: number | null }> {
  const [row, pause] = await db.batch([findJobStatement(db, jobId), pauseQuery(db)]);
  return { row: row[0] ?? null, pausedUntil: pauseFrom(pause, now) };
}

/** Extends (never shortens) the monitor-wide pause that a 429 imposes. */
export function pauseStatement(db: Database, until: number, now: number): Statement {
  return db
    .insert(monitorState)
    .values({ key: RATE_LIMIT_KEY, value: String(until), updatedAt: now })
    .onConflictDoUpdate({
      target: monitorState.key,
      set: {
        value: sql`max(cast(${monitorState.value} as integer), cast(excluded.value as integer))`,
        updatedAt: now,
      },
    });
}

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
 * Applies a poll's outcome and releases the lease, only if `token` still holds it. `claimedNextPollAt`
 * is the job's `next_poll_at` when it was claimed: if a callback has moved it since (see
 * `makeDueStatement`), the news may postdate this poll's answer, so the earlier time is kept.
 */
export function applyChangesStatement(
  db: Database,
  jobId: string,
  changes: JobChanges,
  opts: { token: string; claimedNextPollAt: number | null },
): Statement {
  const next = changes.nextPollAt;
  return db
    .update(jobs)
    .set({
      ...changeColumns(changes),
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

/** Makes jobs due now: one job, or every active job when `jobId` is omitted. */
export function makeDueStatement(db: Database, now: number, jobId?: string): Statement {
  return db
    .update(jobs)
    .set({ nextPollAt: now })
    .where(
      and(
        eq(jobs.state, "active"),
        jobId === undefined ? undefined : eq(jobs.jobId, jobId),
        or(
          isNull(jobs.nextPollAt),
          sql`${jobs.nextPollAt} > ${now}`,
          // A poll in flight may have asked upstream before the news: marking its job keeps it due
          // once that poll's outcome is written (applyChangesStatement).
          sql`${jobs.leaseUntil} > ${now}`,
        ),
      ),
    );
}

/** Gives back a claimed job that was not polled (tick out of time, or paused by a 429). */
export function releaseStatement(db: Database, jobId: string, token: string, nextPollAt?: number): Statement {
  return db
    .update(jobs)
    .set({
      leaseToken: null,
      leaseUntil: null,
      ...(nextPollAt === undefined
        ? {}
        : { nextPollAt: sql`max(coalesce(${jobs.nextPollAt}, 0), ${nextPollAt})` }),
    })
    .where(and(eq(jobs.jobId, jobId), eq(jobs.leaseToken, token)));
}

export interface NewJob {
  jobId: string;
  projectId: string | null;
  organizationId: string | null;
  label: string | null;
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
    state: "active",
    trackedAt: opts.now,
    pollIntervalSeconds: opts.pollIntervalSeconds,
    nextPollAt: opts.now,
    consecutiveFailures: 0,
    consecutiveNotFound: 0,
    jobType: null,
    status: null,
    totalItems: null,
    processedItems: null,
    failedItems: null,
    skippedItems: null,
    progressPercentage: null,
    errorMessage: null,
    upstreamUpdatedAt: null,
    upstreamJob: null,
    lastPolledAt: null,
    lastSuccessAt: null,
    lastChangeAt: null,
    lastErrorCode: null,
    lastErrorMessage: null,
    lastErrorAt: null,
    stalledSince: null,
    leaseToken: opts.token,
    leaseUntil: opts.now + TRACK_LEASE_MS,
  };
}

/** Starts tracking a job. ON CONFLICT DO NOTHING makes two concurrent track requests create one job. */
export function insertJobStatement(db: Database, row: JobRow) {
  return db.insert(jobs).values(row).onConflictDoNothing();
}

/** The job's row, as a statement to run at the end of a write batch. */
export function findJobStatement(db: Database, jobId: string) {
  return db.select().from(jobs).where(eq(jobs.jobId, jobId));
}

export async function findJob(db: Database, jobId: string): Promise<JobRow | undefined> {
  const [row] = await findJobStatement(db, jobId);
  return row;
}

/** Newest tracked first, keyset-paginated on (tracked_at, job_id). */
export async function listJobs(
  db: Database,
  opts: { status?: string; state?: string; limit: number; after?: Position },
): Promise<{ rows: JobRow[]; next: Position | null }> {
  const after = opts.after;
  const rows = await db
    .select()
    .from(jobs)
    .where(
      and(
        opts.status ? eq(jobs.status, opts.status) : undefined,
        opts.state ? eq(jobs.state, opts.state as JobRow["state"]) : undefined,
        olderThan(jobs.trackedAt, jobs.jobId, after),
      ),
    )
    .orderBy(desc(jobs.trackedAt), desc(jobs.jobId))
    .limit(opts.limit + 1);
  return toPage(rows, opts.limit, (row) => ({ time: row.trackedAt, id: row.jobId }));
}

/** Stops tracking: the job and all its history go in one batch. */
export async function deleteJob(db: Database, jobId: string): Promise<boolean> {
  const [, deleted] = await db.batch([
    db.delete(snapshots).where(eq(snapshots.jobId, jobId)),
    db.delete(jobs).where(eq(jobs.jobId, jobId)).returning({ jobId: jobs.jobId }),
  ]);
  return deleted.length > 0;
}

/** A job's history, newest first, keyset-paginated on (observed_at, id). */
/** A page of a job's history, newest first; null when the job is not tracked. One round trip. */
export async function listSnapshots(
  db: Database,
  opts: { jobId: string; since?: number; until?: number; limit: number; after?: Position<number> },
): Promise<{ rows: SnapshotRow[]; next: Position<number> | null } | null> {
  const after = opts.after;
  const [job, rows] = await db.batch([
    db.select({ jobId: jobs.jobId }).from(jobs).where(eq(jobs.jobId, opts.jobId)),
    db
      .select()
      .from(snapshots)
      .where(
        and(
          eq(snapshots.jobId, opts.jobId),
          opts.since === undefined ? undefined : gte(snapshots.observedAt, opts.since),
          opts.until === undefined ? undefined : lte(snapshots.observedAt, opts.until),
          olderThan(snapshots.observedAt, snapshots.id, after),
        ),
      )
      .orderBy(desc(snapshots.observedAt), desc(snapshots.id))
      .limit(opts.limit + 1),
  ]);
  if (job.length === 0) return null;
  return toPage(rows, opts.limit, (row) => ({ time: row.observedAt, id: row.id }));
}

export interface TickRecord {
  startedAt: number;
  durationMs: number;
  due: number;
  polled: number;
  changed: number;
  errors: number;
  rateLimitedUntil: number | null;
}

export function tickStatement(db: Database, tick: TickRecord): Statement {
  return db.insert(ticks).values(tick);
}

/** Tick records are kept this long: enough to look back on a bad week. */
const TICK_RETENTION_DAYS = 7;

/** Bounded clean-up run with every tick: old snapshots (never a job's newest) and old tick records. */
export function pruneStatements(db: Database, opts: { now: number; retentionDays: number }): Statement[] {
  const cutoff = opts.now - opts.retentionDays * DAY_MS;
  // Ordered like the job's index (job_id, observed_at, id), so finding the newest is one seek rather
  // than a walk through the job's whole history.
  const newestOfJob = sql`(select s2.id from ${snapshots} s2 where s2.job_id = ${snapshots.jobId}
    order by s2.observed_at desc, s2.id desc limit 1)`;
  const prunable = db
    .select({ id: snapshots.id })
    .from(snapshots)
    .where(and(lt(snapshots.observedAt, cutoff), lt(snapshots.id, newestOfJob)))
    .limit(PRUNE_BATCH);
  const tickCutoff = opts.now - TICK_RETENTION_DAYS * DAY_MS;
  const oldTicks = db
    .select({ id: ticks.id })
    .from(ticks)
    .where(lt(ticks.startedAt, tickCutoff))
    .limit(PRUNE_BATCH);
  return [
    db.delete(snapshots).where(inArray(snapshots.id, prunable)),
    db.delete(ticks).where(inArray(ticks.id, oldTicks)),
  ];
}

export async function healthSummary(
  db: Database,
): Promise<{ lastTickAt: number | null; activeJobs: number }> {
  const [lastTick, active] = await db.batch([
    db
      .select({ startedAt: ticks.startedAt, durationMs: ticks.durationMs })
      .from(ticks)
      .orderBy(desc(ticks.id))
      .limit(1),
    db.select({ n: sql<number>`count(*)` }).from(jobs).where(eq(jobs.state, "active")),
  ]);
  const tick = lastTick[0];
  return { lastTickAt: tick ? tick.startedAt + tick.durationMs : null, activeJobs: active[0]?.n ?? 0 };
}
