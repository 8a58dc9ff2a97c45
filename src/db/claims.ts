/**
 * Claims and leases: a poll holds a job's lease (see `jobs.leaseToken`) from its claim until its
 * outcome is written, so overlapping ticks, callbacks and manual polls never poll one job twice; and
 * the monitor-wide pause a 429 imposes, read with every claim.
 */
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { ItemState } from "../model";
import type { Database, Statement } from "./client";
import { claimedItemsStatement, itemsByJob, jobItemsStatement } from "./items";
import { findJobStatement } from "./jobs";
import { idChunks, inJsonArray } from "./json-lists";
import { type JobRow, jobs, monitorState } from "./schema";

const RATE_LIMIT_KEY = "rate_limited_until";

/** No 429 pause holds at `now`: the condition every claim of upstream work carries (jobs, watches). */
export function notPausedCondition(now: number) {
  return sql`not exists (select 1 from ${monitorState} where ${monitorState.key} = ${RATE_LIMIT_KEY} and cast(${monitorState.value} as integer) > ${now})`;
}

/**
 * A poll's results are only written by the holder of the job's lease (see `jobs.leaseToken`); a
 * watch's scan is leased the same way (`leaseUntil`: `watches.leaseUntil`).
 */
export function leaseFree(now: number, leaseUntil: SQLiteColumn = jobs.leaseUntil) {
  return or(isNull(leaseUntil), lte(leaseUntil, now));
}

/** The order claimed jobs are polled (and handed off) in: oldest due first, then by id. */
export function oldestDueFirst(
  a: Pick<JobRow, "nextPollAt" | "jobId">,
  b: Pick<JobRow, "nextPollAt" | "jobId">,
): number {
  return (a.nextPollAt ?? 0) - (b.nextPollAt ?? 0) || a.jobId.localeCompare(b.jobId);
}

/** The ids of up to `limit` due active jobs nobody holds, oldest due first: what every claim leases. */
export function dueJobIds(db: Database, opts: { now: number; limit: number }) {
  return db
    .select({ jobId: jobs.jobId })
    .from(jobs)
    .where(and(eq(jobs.state, "active"), lte(jobs.nextPollAt, opts.now), leaseFree(opts.now)))
    .orderBy(jobs.nextPollAt)
    .limit(opts.limit);
}

/**
 * Claims up to `limit` due active jobs, oldest due first, in one conditional UPDATE. SQLite runs it
 * atomically, so two overlapping ticks can never both claim a job. The claimed jobs' stored items
 * come back from the same round trip, by job id.
 */
export async function claimDueJobs(
  db: Database,
  opts: { now: number; limit: number; token: string; leaseUntil: number },
): Promise<{
  rows: JobRow[];
  items: Map<string, ItemState[]>;
  /** Statements the claim sent, in one round trip (for a counted budget). */
  statements: number;
}> {
  const due = dueJobIds(db, opts);
  const batch = [
    db
      .update(jobs)
      .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
      .where(
        and(
          inArray(jobs.jobId, due),
          // Re-checked here: the subquery's snapshot of the table is not the lock.
          leaseFree(opts.now),
          notPausedCondition(opts.now),
        ),
      )
      .returning(),
    claimedItemsStatement(db, opts),
  ] as const;
  const [claimed, stored] = await db.batch(batch);
  return {
    rows: claimed.sort(oldestDueFirst),
    items: itemsByJob(stored),
    statements: batch.length,
  };
}

/**
 * Claims one job whatever its schedule (a manual or webhook poll), in one round trip that also reads
 * the job as it stands (so a job held by another poll can be reported busy), the rate-limit pause and
 * the job's stored items.
 */
export async function claimJob(
  db: Database,
  opts: { jobId: string; now: number; token: string; leaseUntil: number },
): Promise<{
  claimed: JobRow | null;
  current: JobRow | null;
  pausedUntil: number | null;
  items: ItemState[];
  /** Statements the claim sent, in one round trip (for a counted budget). */
  statements: number;
}> {
  const batch = [
    db
      .update(jobs)
      .set({ leaseToken: opts.token, leaseUntil: opts.leaseUntil })
      .where(and(eq(jobs.jobId, opts.jobId), leaseFree(opts.now)))
      .returning(),
    findJobStatement(db, opts.jobId),
    pauseQuery(db),
    jobItemsStatement(db, opts.jobId),
  ] as const;
  const [claimed, current, pause, stored] = await db.batch(batch);
  return {
    claimed: claimed[0] ?? null,
    current: current[0] ?? null,
    pausedUntil: pauseFrom(pause, opts.now),
    items: itemsByJob(stored).get(opts.jobId) ?? [],
    statements: batch.length,
  };
}

/** Until when the 429 pause runs (ms), as an SQL value: null when none was ever set. */
export function pausedUntilValue() {
  return sql`(select cast(${monitorState.value} as integer) from ${monitorState} where ${monitorState.key} = ${RATE_LIMIT_KEY})`;
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
): Promise<{
  row: JobRow | null;
  pausedUntil: number | null;
  /** Statements sent, in one round trip (for a counted budget). */
  statements: number;
}> {
  const batch = [findJobStatement(db, jobId), pauseQuery(db)] as const;
  const [row, pause] = await db.batch(batch);
  return { row: row[0] ?? null, pausedUntil: pauseFrom(pause, now), statements: batch.length };
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

/** A given-back job's lease columns: free, and due no earlier than `nextPollAt` when one is named. */
function released(nextPollAt?: number) {
  return {
    leaseToken: null,
    leaseUntil: null,
    ...(nextPollAt === undefined
      ? {}
      : { nextPollAt: sql`max(coalesce(${jobs.nextPollAt}, 0), ${nextPollAt})` }),
  };
}

/**
 * Gives back claimed jobs that were not polled (or whose outcome did not fit the budget, or whose
 * hand-off to the queue failed) in as few statements as the ids' JSON arrays allow (./json-lists.ts):
 * on the Free plan every statement counts. None for no ids.
 */
export function releaseJobsStatements(
  db: Database,
  jobIds: readonly string[],
  token: string,
  nextPollAt?: number,
): Statement[] {
  return idChunks(jobIds).map((json) =>
    db
      .update(jobs)
      .set(released(nextPollAt))
      .where(and(inJsonArray(jobs.jobId, json), eq(jobs.leaseToken, token))),
  );
}
