/**
 * A subscription's `format` decides what each of its deliveries sends (README "Notifications
 * (webhooks out)"): `standard` is the event's stored body, signed by the Standard Webhooks scheme;
 * `slack` and `discord` are a short chat message rendered from that body when it is sent. Chat
 * messages carry no signature (the webhook URL is their secret); outbox, retries and the 410 rule
 * are the same for every format.
 */
import { Webhook } from "standardwebhooks";
import type { SubscriptionFormat } from "../model";
import { discordMessage } from "./discord";
import { readStoredEvent } from "./messages";
import { slackMessage } from "./slack";

export interface DeliveryContent {
  id: string;
  secret: string;
  /** The event's Standard body as the outbox stored it. */
  payload: string;
  format: SubscriptionFormat;
  /** The origin the subscription was created through (null for subscriptions from before formats). */
  origin: string | null;
}

/** The body and the format's own headers for one attempt at `sentAt`. */
export function deliveryRequest(
  delivery: DeliveryContent,
  opts: { sentAt: Date; publicBaseUrl: string | null },
): { headers: Record<string, string>; body: string } {
  if (delivery.format === "standard") {
    // Signed per attempt (fresh timestamp); the id stays the delivery's across retries.
    const signature = new Webhook(delivery.secret).sign(delivery.id, opts.sentAt, delivery.payload);
    return {
      headers: {
        "webhook-id": delivery.id,
        "webhook-timestamp": String(Math.floor(opts.sentAt.getTime() / 1000)),
        "webhook-signature": signature,
      },
      body: delivery.payload,
    };
  }
  return { headers: {}, body: JSON.stringify(chatBody(delivery, opts.publicBaseUrl)) };
}

function chatBody(delivery: DeliveryContent, publicBaseUrl: string | null): unknown {
  const event = readStoredEvent(delivery.payload);
  const linkBase = publicBaseUrl ?? delivery.origin;
  if (delivery.format === "slack") {
    return event ? slackMessage(event, linkBase) : { text: UNREADABLE };
  }
  return event ? discordMessage(event, linkBase) : { content: UNREADABLE, allowed_mentions: { parse: [] } };
}

// Only for a stored body this version cannot read: better a vague message than a failed delivery.
const UNREADABLE = "batchwatch has news about a job but could not put it into words; see its deliveries.";
