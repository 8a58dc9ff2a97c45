/** Subscriptions, deliveries and inbound callbacks in D1: the queries the routes and the tick run. */
import { and, count, desc, eq, gt, inArray, isNull, lt, notExists, or } from "drizzle-orm";
import type { Database, Statement } from "../db/client";
import { olderThan, type Position, toPage } from "../db/keyset";
import { DAY_MS, PRUNE_BATCH } from "../db/prune";
import {
  type DeliveryRow,
  deliveries,
  events,
  inboundEvents,
  type SubscriptionRow,
  subscriptions,
} from "../db/schema";
import { EVENT_TYPES, type EventType } from "./events";

/** Delivered rows are kept this long for the deliveries list, then pruned. */
const DELIVERED_RETENTION_DAYS = 7;
/** Inbound callback ids are remembered this long: LlamaCloud's redeliveries come well within it. */
const INBOUND_RETENTION_DAYS = 7;
/** Rows one prune statement deletes at most, so a tick's clean-up stays small. */

/**
 * A signing secret in the Standard Webhooks format: `whsec_` and base64 of 32 random bytes (the
 * scheme asks for 24 to 64).
 */
export function generateSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}

export function randomId(prefix: string): string {
  return `${prefix}_${crypto.randomUUID().replaceAll("-", "")}`;
}

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
  input: { url: string; events: EventType[] | null; jobId: string | null; now: number },
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

export async function findSubscription(db: Database, id: string): Promise<SubscriptionRow | undefined> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  return row;
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

/** A subscription's deliveries, newest first, keyset-paginated on (created_at, id). */
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
  const inboundCutoff = opts.now - INBOUND_RETENTION_DAYS * DAY_MS;
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
