/**
 * Deliveries in D1. Nothing is sent from memory: every attempt starts from a pending row, claimed
 * with a conditional UPDATE (a token and an expiry, like the jobs' lease) so that two invocations —
 * overlapping ticks, or a tick and a route's first attempt — never send the same attempt twice.
 */
import { and, asc, eq, exists, gte, inArray, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { type DeliveryRow, deliveries, events, type SubscriptionRow, subscriptions } from "./schema";

/**
 * How long a claim protects a delivery: longer than the time a sender may still start attempts
 * (DELIVERY_SEND_BUDGET_MS in notifications/deliver.ts) plus one attempt's timeout.
 */
export const DELIVERY_CLAIM_MS = 2 * 60_000;

export interface Claimed {
  id: string;
  attempts: number;
  subscriptionId: string;
  url: string;
  secret: string;
  payload: string;
  /** The subscription's format and creation origin: what the body looks like and where it links. */
  format: SubscriptionRow["format"];
  origin: string | null;
}

function claimFree(now: number) {
  return or(isNull(deliveries.claimUntil), lte(deliveries.claimUntil, now));
}

/** Only the deliveries of one job's events written at or after `since` (a route's first attempts). */
export function ofJobSince(db: Database, jobId: string, since: number): SQL {
  return inArray(
    deliveries.eventId,
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.jobId, jobId), gte(events.createdAt, since))),
  );
}

/** Only this delivery (a manual retry). */
export function onlyDelivery(id: string): SQL {
  return eq(deliveries.id, id);
}

export interface ClaimOptions {
  now: number;
  limit: number;
  /** Narrows what is claimed; every due delivery when omitted (the tick). */
  filter?: SQL;
}

/**
 * Claims due pending deliveries and reads what to send, in one batch: the UPDATE marks them with
 * `token`, the SELECT reads them back by that token (with the event's payload and the receiver).
 */
function claimStatements(db: Database, opts: ClaimOptions & { token: string }) {
  const claimable = and(
    eq(deliveries.status, "pending"),
    lte(deliveries.nextAttemptAt, opts.now),
    claimFree(opts.now),
    opts.filter,
  );
  const due = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(claimable)
    .orderBy(asc(deliveries.nextAttemptAt))
    .limit(opts.limit);
  const claim = db
    .update(deliveries)
    // From the wall clock: the sends this claim protects start now, whatever time the tick is for.
    .set({ claimToken: opts.token, claimUntil: Math.max(Date.now(), opts.now) + DELIVERY_CLAIM_MS })
    .where(
      and(
        inArray(deliveries.id, due),
        // Re-checked on the row itself: the subquery is not the lock.
        claimable,
        exists(
          db
            .select({ id: subscriptions.id })
            .from(subscriptions)
            .where(and(eq(subscriptions.id, deliveries.subscriptionId), isNull(subscriptions.disabledAt))),
        ),
      ),
    );
  const read = db
    .select({
      id: deliveries.id,
      attempts: deliveries.attempts,
      subscriptionId: deliveries.subscriptionId,
      url: subscriptions.url,
      secret: subscriptions.secret,
      payload: events.payload,
      format: subscriptions.format,
      origin: subscriptions.origin,
    })
    .from(deliveries)
    .innerJoin(events, eq(events.id, deliveries.eventId))
    .innerJoin(subscriptions, eq(subscriptions.id, deliveries.subscriptionId))
    .where(eq(deliveries.claimToken, opts.token))
    .orderBy(asc(deliveries.nextAttemptAt), asc(deliveries.id));
  return [claim, read] as const;
}

/** A claim ready to run: its statements (an UPDATE, then the SELECT of what to send) and its token. */
export interface DeliveryClaim {
  token: string;
  statements: [Statement, Statement];
  /** The claimed deliveries, from the results of `statements`. */
  read: (results: unknown[]) => Claimed[];
}

/**
 * Prepares a claim of due deliveries. It may run at the end of a batch of other writes (the tick
 * appends it to its last one): the claimed rows are then only those committed by that batch.
 */
export function claimDeliveries(db: Database, opts: ClaimOptions): DeliveryClaim {
  const token = crypto.randomUUID();
  const [claim, read] = claimStatements(db, { ...opts, token });
  return { token, statements: [claim, read], read: (results) => (results[1] ?? []) as Claimed[] };
}

/** What one attempt's result writes, as the delivery rules decided it (see notifications/schedule.ts). */
export interface AttemptRecord {
  status: DeliveryRow["status"];
  attempts: number;
  nextAttemptAt: number | null;
  statusCode: number | null;
  /** Why the attempt failed; null once delivered. */
  error: string | null;
  /** The receiver answered 410 Gone: its subscription is disabled and its pending deliveries fail. */
  gone: boolean;
}

/** The writes an attempt's result makes, guarded by the claim so a sender that lost it writes nothing. */
export function attemptStatements(
  db: Database,
  delivery: Pick<Claimed, "id" | "subscriptionId">,
  attempt: AttemptRecord,
  opts: { now: number; token: string },
): Statement[] {
  // An attempt still in flight when another one got 410 must not put its delivery back to pending:
  // the subscription is disabled, so nothing would ever send or fail it.
  const disabled = sql`exists (select 1 from ${subscriptions} where ${subscriptions.id} = ${delivery.subscriptionId} and ${subscriptions.disabledAt} is not null)`;
  const stillSendable = attempt.status === "pending";
  const statements: Statement[] = [
    db
      .update(deliveries)
      .set({
        status: stillSendable ? sql`case when ${disabled} then 'failed' else 'pending' end` : attempt.status,
        attempts: attempt.attempts,
        nextAttemptAt: stillSendable
          ? sql`case when ${disabled} then null else ${attempt.nextAttemptAt} end`
          : attempt.nextAttemptAt,
        lastAttemptAt: opts.now,
        lastStatusCode: attempt.statusCode,
        lastError: attempt.error,
        deliveredAt: attempt.status === "delivered" ? opts.now : null,
        claimToken: null,
        claimUntil: null,
      })
      .where(and(eq(deliveries.id, delivery.id), eq(deliveries.claimToken, opts.token))),
  ];
  if (attempt.gone) {
    statements.push(
      db
        .update(subscriptions)
        .set({ disabledAt: opts.now, disabledReason: "The receiver answered 410 Gone." })
        .where(and(eq(subscriptions.id, delivery.subscriptionId), isNull(subscriptions.disabledAt))),
      db
        .update(deliveries)
        .set({
          status: "failed",
          nextAttemptAt: null,
          lastError: "Not sent: the subscription was disabled after its receiver answered 410 Gone.",
        })
        .where(and(eq(deliveries.subscriptionId, delivery.subscriptionId), eq(deliveries.status, "pending"))),
    );
  }
  return statements;
}

/** Gives back what a sender claimed but did not get to (it ran out of time), for the next tick. */
export function releaseClaimStatement(db: Database, token: string): Statement {
  return db
    .update(deliveries)
    .set({ claimToken: null, claimUntil: null })
    .where(eq(deliveries.claimToken, token));
}
