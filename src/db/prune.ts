/** The retention clean-up each tick runs, as deletes of bounded size. */
import { and, eq, inArray, lt, notExists, or, sql } from "drizzle-orm";
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
  const oldDeliveries = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      or(
        and(eq(deliveries.status, "delivered"), lt(deliveries.createdAt, deliveredCutoff)),
        and(eq(deliveries.status, "failed"), lt(deliveries.createdAt, failedCutoff)),
      ),
    )
    .limit(PRUNE_BATCH);
  const orphanEvents = db
    .select({ id: events.id })
    .from(events)
    .where(
      and(
        lt(events.createdAt, deliveredCutoff),
        notExists(db.select({ id: deliveries.id }).from(deliveries).where(eq(deliveries.eventId, events.id))),
      ),
    )
    .limit(PRUNE_BATCH);
  const oldInbound = db
    .select({ id: inboundEvents.eventId })
    .from(inboundEvents)
    .where(lt(inboundEvents.receivedAt, inboundCutoff))
    .limit(PRUNE_BATCH);
  return [
    db.delete(deliveries).where(inArray(deliveries.id, oldDeliveries)),
    db.delete(events).where(inArray(events.id, orphanEvents)),
    db.delete(inboundEvents).where(inArray(inboundEvents.eventId, oldInbound)),
  ];
}
