/** The retention clean-up each tick runs, as deletes of bounded size. */
import { and, eq, inArray, lt, notExists, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { INBOUND_RETENTION_MS } from "./callbacks";
import type { Database, Statement } from "./client";
import { deliveries, events, inboundEvents, snapshots, ticks } from "./schema";

/** Rows one retention clean-up statement deletes at most, so a tick's prune stays short. */
export const PRUNE_BATCH = 500;
export const DAY_MS = 86_400_000;

/** Tick records are kept this long: enough to look back on a bad week. */
const TICK_RETENTION_DAYS = 7;
/** Delivered rows are kept this long for the deliveries list, then pruned. */
const DELIVERED_RETENTION_DAYS = 7;

/** Bounded clean-up run with every tick: old snapshots (never a job's newest) and old tick records. */
export function pruneStatements(db: Database, opts: { now: number; retentionDays: number }): Statement[] {
  const cutoff = opts.now - opts.retentionDays * DAY_MS;
  // Ordered like the job's index (job_id, observed_at, id), so finding the newest is one seek rather
  // than a walk through the job's whole history.
  const newestOfJob = sql`(select s2.id from ${snapshots} s2 where s2.job_id = ${snapshots.jobId}
    order by s2.observed_at desc, s2.id desc limit 1)`;
  return [
    pruneRows(
      db,
      snapshots,
      snapshots.id,
      and(lt(snapshots.observedAt, cutoff), lt(snapshots.id, newestOfJob)),
    ),
    pruneRows(db, ticks, ticks.id, lt(ticks.startedAt, opts.now - TICK_RETENTION_DAYS * DAY_MS)),
  ];
}

/**
 * The tick's bounded clean-up: delivered rows and remembered callbacks after their retention,
 * failed deliveries after the history retention, and events no delivery refers to any more.
 */
export function notificationPruneStatements(
  db: Database,
  opts: { now: number; historyRetentionDays: number },
): Statement[] {
  const deliveredCutoff = opts.now - DELIVERED_RETENTION_DAYS * DAY_MS;
  const failedCutoff = opts.now - opts.historyRetentionDays * DAY_MS;
  // The dedupe window; signed callbacks older than it are refused (upstream/callbacks.ts).
  const inboundCutoff = opts.now - INBOUND_RETENTION_MS;
  return [
    pruneRows(
      db,
      deliveries,
      deliveries.id,
      or(
        and(eq(deliveries.status, "delivered"), lt(deliveries.createdAt, deliveredCutoff)),
        and(eq(deliveries.status, "failed"), lt(deliveries.createdAt, failedCutoff)),
      ),
    ),
    pruneRows(
      db,
      events,
      events.id,
      and(
        lt(events.createdAt, deliveredCutoff),
        notExists(db.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.eventId, events.id))),
      ),
    ),
    pruneRows(db, inboundEvents, inboundEvents.eventId, lt(inboundEvents.receivedAt, inboundCutoff)),
  ];
}

/** Deletes at most PRUNE_BATCH of the rows of `table` that `where` picks, bounded by a subquery on `key`. */
function pruneRows(db: Database, table: SQLiteTable, key: SQLiteColumn, where: SQL | undefined): Statement {
  return db.delete(table).where(inArray(key, db.select({ key }).from(table).where(where).limit(PRUNE_BATCH)));
}
