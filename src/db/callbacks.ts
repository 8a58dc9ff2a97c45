/**
 * LlamaCloud callbacks already seen, by event id: the dedupe, the count behind the callback rate
 * limit, and the monitor-wide mark that caps how often unsigned callbacks make every job due.
 */
import { and, count, eq, gt, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { inboundEvents, items, jobs, monitorState } from "./schema";

/** Event ids are remembered this long: LlamaCloud's redeliveries come well within it. */
export const INBOUND_RETENTION_MS = 7 * 86_400_000;

export type InboundRecord = { eventId: string; eventType: string | null; jobId: string | null; now: number };

/** The event id, if it was seen before (a repeat). */
export function seenStatement(db: Database, eventId: string) {
  return db
    .select({ eventId: inboundEvents.eventId })
    .from(inboundEvents)
    .where(eq(inboundEvents.eventId, eventId))
    .limit(1);
}

/** Remembers a callback; returns no row when its `event_id` was seen before (the callback is a repeat). */
export function recordInboundStatement(db: Database, record: InboundRecord) {
  return db
    .insert(inboundEvents)
    .values({
      eventId: record.eventId,
      eventType: record.eventType,
      jobId: record.jobId,
      receivedAt: record.now,
    })
    .onConflictDoNothing()
    .returning({ eventId: inboundEvents.eventId });
}

/**
 * Remembers an unsigned callback only when it names a tracked job (or a child job of one) and fewer
 * than `perMinute` callbacks were stored in the last minute: forged posts with fresh ids must not
 * grow the table, and past the limit a repeat could do no more than make its job due again.
 */
export function recordUnsignedStatement(db: Database, record: InboundRecord, perMinute: number) {
  const named = record.jobId ?? "";
  return db
    .insert(inboundEvents)
    .select(
      sql`select ${record.eventId}, ${record.eventType}, ${record.jobId}, ${record.now}
        where (exists (select 1 from ${jobs} where ${jobs.jobId} = ${named})
            or exists (select 1 from ${items} where ${items.childJobId} = ${named}))
          and (select count(*) from ${inboundEvents} where ${inboundEvents.receivedAt} > ${record.now - 60_000}) < ${perMinute}`,
    )
    .onConflictDoNothing()
    .returning({ eventId: inboundEvents.eventId });
}

/** How many callbacks were stored since `since` (for the callback rate limit). */
export function callbacksSinceQuery(db: Database, since: number) {
  return db.select({ n: count() }).from(inboundEvents).where(gt(inboundEvents.receivedAt, since));
}

/** The tracked v2 batch whose child job this is (`items_child_idx`), if any. */
export function parentOfChildQuery(db: Database, childJobId: string) {
  return db
    .select({ jobId: items.jobId })
    .from(items)
    .innerJoin(jobs, eq(jobs.jobId, items.jobId))
    .where(eq(items.childJobId, childJobId))
    .limit(1);
}

const ALL_DUE_KEY = "callbacks_all_due";

/**
 * Takes the monitor-wide "every job due" mark when it was last taken at least `everyMs` ago; returns
 * a row only then. One conditional upsert, so concurrent callbacks cannot both take it.
 */
export function takeAllDueStatement(db: Database, opts: { now: number; everyMs: number }): Statement {
  return db
    .insert(monitorState)
    .values({ key: ALL_DUE_KEY, value: String(opts.now), updatedAt: opts.now })
    .onConflictDoUpdate({
      target: monitorState.key,
      set: { value: String(opts.now), updatedAt: opts.now },
      setWhere: and(sql`${monitorState.updatedAt} <= ${opts.now - opts.everyMs}`),
    })
    .returning({ key: monitorState.key });
}
