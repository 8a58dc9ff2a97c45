/**
 * The outbox in D1: a job's event rows and their fan-out to deliveries. They join the statement group
 * of the state change that caused them, so they commit (or not) with it in one D1 batch, and each is
 * guarded by the poll's lease token: a poll whose lease was lost writes no event.
 */
import { and, eq, isNull, or, sql } from "drizzle-orm";
import type { EventType } from "../model";
import type { Database, Statement } from "./client";
import { deliveries, events, jobs, subscriptions } from "./schema";

/**
 * Records one event, but only while `token` holds the job's lease. The statement must run before
 * the statement that applies the outcome, which releases the lease.
 */
export function eventStatement(
  db: Database,
  event: { id: string; type: EventType; jobId: string; createdAt: number; payload: string },
  token: string,
): Statement {
  return db.insert(events).select(
    db
      .select({
        id: sql`${event.id}`.as("id"),
        type: sql`${event.type}`.as("type"),
        jobId: sql`${event.jobId}`.as("job_id"),
        createdAt: sql`${event.createdAt}`.as("created_at"),
        payload: sql`${event.payload}`.as("payload"),
      })
      .from(jobs)
      .where(and(eq(jobs.jobId, event.jobId), eq(jobs.leaseToken, token))),
  );
}

/**
 * One pending delivery per enabled subscription that wants the event: all of them or this type, all
 * jobs or this one. The fan-out happens inside SQLite, and only if the event row was written. The
 * delivery id (the `webhook-id` of every attempt) is generated there too.
 */
export function fanOutStatement(db: Database, eventId: string, now: number): Statement {
  return db.insert(deliveries).select(
    db
      .select({
        id: sql<string>`'msg_' || lower(hex(randomblob(16)))`.as("id"),
        eventId: events.id,
        subscriptionId: subscriptions.id,
        status: sql`'pending'`.as("status"),
        attempts: sql`0`.as("attempts"),
        nextAttemptAt: sql`${now}`.as("next_attempt_at"),
        lastAttemptAt: sql`null`.as("last_attempt_at"),
        lastStatusCode: sql`null`.as("last_status_code"),
        lastError: sql`null`.as("last_error"),
        createdAt: sql`${now}`.as("created_at"),
        deliveredAt: sql`null`.as("delivered_at"),
        claimToken: sql`null`.as("claim_token"),
        claimUntil: sql`null`.as("claim_until"),
      })
      .from(events)
      .innerJoin(
        subscriptions,
        and(
          isNull(subscriptions.disabledAt),
          or(isNull(subscriptions.jobId), eq(subscriptions.jobId, events.jobId)),
          or(
            isNull(subscriptions.events),
            sql`exists (select 1 from json_each(${subscriptions.events}) where json_each.value = ${events.type})`,
          ),
        ),
      )
      .where(eq(events.id, eventId)),
  );
}
