/** Reading tracked jobs and their history (the API and the pages), and deleting a job. */
import { and, desc, eq, gte, lte } from "drizzle-orm";
import type { Database } from "./client";
import { dismissJobStatement } from "./dismissed";
import { deleteItemsStatement } from "./items";
import { olderThan, type Position, toPage } from "./keyset";
import { type JobRow, jobs, type SnapshotRow, snapshots } from "./schema";

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

/**
 * Stops tracking: the job, all its history and its items go in one batch, which also remembers the
 * job so that no watch tracks it again (README "Watches").
 */
export async function deleteJob(db: Database, jobId: string): Promise<boolean> {
  const [, , , deleted] = await db.batch([
    dismissJobStatement(db, jobId, Date.now()),
    db.delete(snapshots).where(eq(snapshots.jobId, jobId)),
    deleteItemsStatement(db, jobId),
    db.delete(jobs).where(eq(jobs.jobId, jobId)).returning({ jobId: jobs.jobId }),
  ]);
  return deleted.length > 0;
}

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
