// Shared by the notification tests: subscriptions made through the API, receivers on the test
// network that record every request, and a check of every recorded request with the
// `standardwebhooks` library, as any subscriber would verify it.
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import { type ReceivedRequest, receiverControl } from "../../sim/control";
import type { DeliveryJson, NewSubscriptionJson } from "../../src/http/routes/subscriptions";
import type { JobJson } from "../../src/http/shapes";
import { admin, type World } from "../helpers";

export type Subscription = NewSubscriptionJson;
export type Delivery = DeliveryJson;

export interface Notification {
  type: string;
  timestamp: string;
  data: { job: JobJson; previous: Record<string, unknown> | null };
}

/** A fresh receiver on https://receiver.test (https, so subscriptions need no ALLOW_HTTP_WEBHOOKS). */
export function receiver(label: string) {
  return receiverControl({ name: `${label}-${crypto.randomUUID()}`, baseUrl: "https://receiver.test" });
}
export type Receiver = ReturnType<typeof receiver>;

export async function subscribe(
  w: World,
  body: { url: string; events?: string[] | null; job_id?: string | null },
): Promise<Subscription> {
  const res = await admin(w, "/api/subscriptions", { method: "POST", json: body });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { subscription: Subscription }).subscription;
}

export async function deliveriesOf(w: World, subscriptionId: string): Promise<Delivery[]> {
  const res = await admin(w, `/api/subscriptions/${subscriptionId}/deliveries?limit=200`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { deliveries: Delivery[] }).deliveries;
}

export interface Verified {
  request: ReceivedRequest;
  id: string;
  body: Notification;
}

/**
 * Every request the receiver got, each verified with the Standard Webhooks library under the
 * subscription's secret (a request that does not verify fails the test).
 */
export async function verifiedRequests(r: Receiver, secret: string): Promise<Verified[]> {
  const verifier = new Webhook(secret);
  return (await r.requests()).map((request) => {
    expect(request.method).toBe("POST");
    expect(request.headers["content-type"]).toBe("application/json");
    const body = verifier.verify(request.body, request.headers) as Notification;
    return { request, id: request.headers["webhook-id"] as string, body };
  });
}

/** The notification types the receiver got, in arrival order. */
export async function receivedTypes(r: Receiver, secret: string): Promise<string[]> {
  return (await verifiedRequests(r, secret)).map((v) => v.body.type);
}

/** Direct reads of the tables, for what the API does not show. */
export async function countRows(table: string, where = "1 = 1", ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`select count(*) as n from "${table}" where ${where}`)
    .bind(...binds)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
