/** The retention clean-up each tick runs, as deletes of bounded size. */
import { and, inArray, lt, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { snapshots, ticks } from "./schema";

/** Rows one retention clean-up statement deletes at most, so a tick's prune stays short. */
export const PRUNE_BATCH = 500;
export const DAY_MS = 86_400_000;

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
