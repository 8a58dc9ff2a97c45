/**
 * A subscription and a delivery as the API shows them (README "Notifications (webhooks out)"), as
 * zod schemas for the OpenAPI document, plus the functions that map rows to them.
 */
import { z } from "@hono/zod-openapi";
import type { SubscriptionRow } from "../db/schema";
import type { DeliveryListRow } from "../db/subscriptions";
import { subscribedEvents } from "../db/subscriptions";
import { EVENT_TYPES, SUBSCRIPTION_FORMATS } from "../model";
import { iso } from "./time";

const timestamp = z.string().openapi({ format: "date-time" });

export const subscriptionSchema = z
  .object({
    id: z.string().openapi({ example: "sub_3f1c0b6e9a2d4c58b7e6a1f0d9c8b7a6" }),
    url: z.string(),
    events: z
      .array(z.enum(EVENT_TYPES))
      .nullable()
      .openapi({ description: "The event types sent; null sends every event." }),
    job_id: z.string().nullable().openapi({ description: "Only this job's events; null for every job." }),
    format: z.enum(SUBSCRIPTION_FORMATS).openapi({
      description:
        "standard: the signed Standard Webhooks body; slack / discord: a short unsigned chat message " +
        "for a Slack incoming webhook or a Discord webhook URL.",
    }),
    created_at: timestamp,
    disabled_at: timestamp.nullable().openapi({ description: "Set when the receiver answered 410 Gone." }),
    disabled_reason: z.string().nullable(),
  })
  .openapi("Subscription");

export const createdSubscriptionSchema = subscriptionSchema
  .extend({
    secret: z.string().openapi({
      description:
        "The Standard Webhooks signing secret (used by the standard format only). Shown in this answer only, never again.",
      example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    }),
  })
  .openapi("NewSubscription");

export const deliverySchema = z
  .object({
    id: z.string().openapi({ description: "Also the `webhook-id` header of every attempt." }),
    event_id: z.string(),
    event_type: z.string(),
    status: z.enum(["pending", "delivered", "failed"]),
    attempts: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: timestamp.nullable(),
    created_at: timestamp,
    delivered_at: timestamp.nullable(),
  })
  .openapi("Delivery");

/** A subscription as the API shows it: never with its secret. */
export function presentSubscription(row: SubscriptionRow): z.infer<typeof subscriptionSchema> {
  return {
    id: row.id,
    url: row.url,
    events: subscribedEvents(row),
    job_id: row.jobId,
    format: row.format,
    created_at: iso(row.createdAt),
    disabled_at: iso(row.disabledAt),
    disabled_reason: row.disabledReason,
  };
}

export function presentDelivery(row: DeliveryListRow): z.infer<typeof deliverySchema> {
  return {
    id: row.id,
    event_id: row.eventId,
    event_type: row.eventType,
    status: row.status,
    attempts: row.attempts,
    last_status_code: row.lastStatusCode,
    last_error: row.lastError,
    next_attempt_at: iso(row.nextAttemptAt),
    created_at: iso(row.createdAt),
    delivered_at: iso(row.deliveredAt),
  };
}
