/** Jobs deleted by hand, remembered so that no watch tracks them again (README "Watches"). */
import { eq, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { dismissedJobs, jobs } from "./schema";

/**
 * Remembers a job being deleted by hand so no watch tracks it again; runs before the delete in the
 * same batch (it reads the job's project and watch from the row being deleted).
 */
export function dismissJobStatement(db: Database, jobId: string, now: number): Statement {
  return db
    .insert(dismissedJobs)
    .select(
      db
        .select({
          jobId: jobs.jobId,
          projectId: jobs.projectId,
          watchId: jobs.watchId,
          dismissedAt: sql`${now}`.as("dismissed_at"),
        })
        .from(jobs)
        .where(eq(jobs.jobId, jobId)),
    )
    .onConflictDoUpdate({
      target: dismissedJobs.jobId,
      set: { dismissedAt: now, watchId: sql`excluded.watch_id` },
    });
}
