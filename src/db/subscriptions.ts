/**
 * Subscriptions and their deliveries as the API manages them: storing, listing and deleting
 * subscriptions (with the events column they keep), a subscription's deliveries, the manual retry.
 */
import { and, desc, eq, inArray, isNull } from "drizzle-orm";
import { EVENT_TYPES, type EventType, type SubscriptionFormat } from "../model";
import type { Database } from "./client";
import { generateSecret, randomId } from "./ids";
import { olderThan, type Position, toPage } from "./keyset";
import { type DeliveryRow, deliveries, events, type SubscriptionRow, subscriptions } from "./schema";

/** The event types a subscription asked for (stored as a JSON array); null for every event. */
export function subscribedEvents(row: SubscriptionRow): EventType[] | null {
  if (row.events === null) return null;
  try {
    const value: unknown = JSON.parse(row.events);
    return Array.isArray(value) ? value.filter((v): v is EventType => EVENT_TYPES.includes(v)) : null;
  } catch {
    return null;
  }
}

/** Stores a subscription with a new signing secret; `events` are kept once each, in the order given. */
export async function createSubscription(
  db: Database,
  input: {
    url: string;
    events: EventType[] | null;
    jobId: string | null;
    format: SubscriptionFormat;
    /** The origin the request came in through, for job links in chat messages. */
    origin: string;
    now: number;
  },
): Promise<SubscriptionRow> {
  let rows: SubscriptionRow[];
  try {
    rows = await db
      .insert(subscriptions)
      .values({
        id: randomId("sub"),
        url: input.url,
        secret: generateSecret(),
        events: input.events === null ? null : JSON.stringify([...new Set(input.events)]),
        jobId: input.jobId,
        format: input.format,
        origin: input.origin,
        createdAt: input.now,
      })
      .returning();
  } catch (error) {
    // A failed query's error quotes its parameters, the new secret among them: never let it reach a log.
    throw new Error(`storing the subscription failed (${error instanceof Error ? error.name : "error"})`);
  }
  const [row] = rows;
  if (!row) throw new Error("the subscription insert returned no row");
  return row;
}

/** Subscriptions newest first, keyset-paginated on (created_at, id). */
export async function listSubscriptions(
  db: Database,
  opts: { limit: number; after?: Position },
): Promise<{ rows: SubscriptionRow[]; next: Position | null }> {
  const after = opts.after;
  const rows = await db
    .select()
    .from(subscriptions)
    .where(olderThan(subscriptions.createdAt, subscriptions.id, after))
    .orderBy(desc(subscriptions.createdAt), desc(subscriptions.id))
    .limit(opts.limit + 1);
  return toPage(rows, opts.limit, (row) => ({ time: row.createdAt, id: row.id }));
}

/** Deletes a subscription and its deliveries (pending ones are then never sent) in one batch. */
export async function deleteSubscription(db: Database, id: string): Promise<boolean> {
  const [, deleted] = await db.batch([
    db.delete(deliveries).where(eq(deliveries.subscriptionId, id)),
    db.delete(subscriptions).where(eq(subscriptions.id, id)).returning({ id: subscriptions.id }),
  ]);
  return deleted.length > 0;
}

export type DeliveryListRow = DeliveryRow & { eventType: string };

/** A page of a subscription's deliveries, newest first; null when it does not exist. One round trip. */
export async function listDeliveries(
  db: Database,
  opts: { subscriptionId: string; limit: number; after?: Position },
): Promise<{ rows: DeliveryListRow[]; next: Position | null } | null> {
  const after = opts.after;
  const [subscription, rows] = await db.batch([
    db.select({ id: subscriptions.id }).from(subscriptions).where(eq(subscriptions.id, opts.subscriptionId)),
    db
      .select({ delivery: deliveries, eventType: events.type })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .where(
        and(
          eq(deliveries.subscriptionId, opts.subscriptionId),
          olderThan(deliveries.createdAt, deliveries.id, after),
        ),
      )
      .orderBy(desc(deliveries.createdAt), desc(deliveries.id))
      .limit(opts.limit + 1),
  ]);
  if (subscription.length === 0) return null;
  const flat = rows.map((r) => ({ ...r.delivery, eventType: r.eventType }));
  return toPage(flat, opts.limit, (row) => ({ time: row.createdAt, id: row.id }));
}

export type RetryResult =
  | { kind: "queued"; row: DeliveryListRow }
  | { kind: "not_found" }
  | { kind: "conflict"; message: string };

/**
 * Puts a failed delivery back in the queue, due now, for one more attempt (it goes back to `failed`
 * if that attempt fails too). Only a failed delivery of an enabled subscription can be retried.
 */
export async function retryDelivery(db: Database, id: string, now: number): Promise<RetryResult> {
  const [updated, current] = await db.batch([
    db
      .update(deliveries)
      .set({ status: "pending", nextAttemptAt: now, claimToken: null, claimUntil: null })
      .where(
        and(
          eq(deliveries.id, id),
          eq(deliveries.status, "failed"),
          inArray(
            deliveries.subscriptionId,
            db.select({ id: subscriptions.id }).from(subscriptions).where(isNull(subscriptions.disabledAt)),
          ),
        ),
      )
      .returning({ id: deliveries.id }),
    db
      .select({ delivery: deliveries, eventType: events.type, disabledAt: subscriptions.disabledAt })
      .from(deliveries)
      .innerJoin(events, eq(events.id, deliveries.eventId))
      .innerJoin(subscriptions, eq(subscriptions.id, deliveries.subscriptionId))
      .where(eq(deliveries.id, id)),
  ]);
  const found = current[0];
  if (!found) return { kind: "not_found" };
  const row = { ...found.delivery, eventType: found.eventType };
  if (updated.length > 0) return { kind: "queued", row };
  if (found.disabledAt !== null) {
    return {
      kind: "conflict",
      message: "This delivery's subscription is disabled; nothing more is sent to it.",
    };
  }
  return {
    kind: "conflict",
    message: `Only a failed delivery can be retried; this one is ${found.delivery.status}.`,
  };
}
