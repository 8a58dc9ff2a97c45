/** LlamaCloud callbacks already seen, by event id: the dedupe, and the count behind the callback rate limit. */
import { count, gt } from "drizzle-orm";
import type { Database } from "./client";
import { inboundEvents } from "./schema";

export type InboundRecord = { eventId: string; eventType: string | null; jobId: string | null; now: number };

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

/** How many callbacks arrived since `since` (for the callback rate limit). */
export function callbacksSinceQuery(db: Database, since: number) {
  return db.select({ n: count() }).from(inboundEvents).where(gt(inboundEvents.receivedAt, since));
}
