import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { SUBSCRIPTION_FORMATS } from "../../model";

// Notifications, both ways. Times are epoch milliseconds (UTC), as in monitor.ts.

/** LlamaCloud callbacks already handled, by `event_id`, so a redelivered callback has no second effect. */
export const inboundEvents = sqliteTable(
  "inbound_events",
  {
    eventId: text("event_id").primaryKey(),
    eventType: text("event_type"),
    /** The job the callback named, if any (whether or not batchwatch tracks it). */
    jobId: text("job_id"),
    receivedAt: integer("received_at").notNull(),
  },
  (t) => [
    // The callback rate limit (callbacksSinceQuery) and the prune of old callback ids.
    index("inbound_events_received_idx").on(t.receivedAt),
  ],
);

/** A subscriber's endpoint. The secret signs every delivery; it is shown to the API client only once. */
export const subscriptions = sqliteTable(
  "subscriptions",
  {
    id: text("id").primaryKey(),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    /** JSON array of event types, or null for every event. */
    events: text("events"),
    /** Only this job's events, or null for every job. */
    jobId: text("job_id"),
    /** The body deliveries send: `standard` (signed with `secret`), `slack` or `discord` (unsigned). */
    format: text("format", { enum: SUBSCRIPTION_FORMATS }).notNull().default("standard"),
    /**
     * The origin the subscription was created through (`https://host[:port]`): chat messages link to
     * job pages there unless PUBLIC_BASE_URL is set. Null for subscriptions older than this column.
     */
    origin: text("origin"),
    createdAt: integer("created_at").notNull(),
    /** Set when the receiver answered 410 Gone: nothing more is sent to it. */
    disabledAt: integer("disabled_at"),
    disabledReason: text("disabled_reason"),
  },
  (t) => [
    // GET /api/subscriptions (listSubscriptions), newest first.
    index("subscriptions_list_idx").on(t.createdAt, t.id),
  ],
);

/**
 * The outbox: one row per thing that happened to a job, written in the same D1 batch as the state
 * change that caused it. `payload` is the exact body every delivery of the event sends.
 */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    jobId: text("job_id").notNull(),
    createdAt: integer("created_at").notNull(),
    payload: text("payload").notNull(),
  },
  (t) => [
    // A route's first attempts: the deliveries of one job's events since a time (ofJobSince).
    index("events_job_time_idx").on(t.jobId, t.createdAt),
    // The prune of events no delivery refers to any more (notificationPruneStatements).
    index("events_time_idx").on(t.createdAt),
  ],
);

/**
 * One event for one subscription. The id is the `webhook-id` header, the same on every attempt. A
 * sender holds `claimToken` until `claimUntil` while an attempt is in flight, so two invocations
 * never send the same attempt.
 */
export const deliveries = sqliteTable(
  "deliveries",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    subscriptionId: text("subscription_id").notNull(),
    status: text("status", { enum: ["pending", "delivered", "failed"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at"),
    lastAttemptAt: integer("last_attempt_at"),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    deliveredAt: integer("delivered_at"),
    claimToken: text("claim_token"),
    claimUntil: integer("claim_until"),
  },
  (t) => [
    // The claim of due pending deliveries, by the tick and by a route (claimDeliveries).
    index("deliveries_due_idx").on(t.status, t.nextAttemptAt),
    // GET /api/subscriptions/:id/deliveries (listDeliveries) and deleteSubscription.
    index("deliveries_subscription_idx").on(t.subscriptionId, t.createdAt, t.id),
    // The orphaned-events prune: does any delivery still refer to this event?
    index("deliveries_event_idx").on(t.eventId),
    // Reading back what a claim took, and giving it back (claimDeliveries, releaseClaimStatement).
    index("deliveries_claim_idx").on(t.claimToken),
    // The prune of old delivered and failed rows, and failing a disabled subscription's pending ones.
    index("deliveries_status_time_idx").on(t.status, t.createdAt),
  ],
);

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type DeliveryRow = typeof deliveries.$inferSelect;
