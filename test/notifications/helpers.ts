// Shared by the notification tests: subscriptions made through the API, receivers on the test
// network that record every request, and a check of every recorded request with the
// `standardwebhooks` library, as any subscriber would verify it.
import { env } from "cloudflare:workers";
import type { InferRequestType, InferResponseType } from "hono/client";
import { Webhook } from "standardwebhooks";
import { expect } from "vitest";
import { type ReceivedRequest, receiverControl } from "../../sim/control";
import { client, expectJson, type Job, type World } from "../helpers/app";

type Subscriptions = ReturnType<typeof client>["api"]["subscriptions"];
/** A new subscription as POST /api/subscriptions answers it: the one answer with its secret. */
export type Subscription = InferResponseType<Subscriptions["$post"], 201>["subscription"];
export type Delivery = InferResponseType<
  Subscriptions[":id"]["deliveries"]["$get"],
  200
>["deliveries"][number];

export interface Notification {
  type: string;
  timestamp: string;
  data: {
    job: Job;
    previous: Record<string, unknown> | null;
    /** `job.finished` only. */
    failed_items?: { name: string; error_message: string | null }[];
  };
}

/**
 * A fresh receiver on https://receiver.example.com (https on a public-looking name, so subscriptions
 * need no ALLOW_HTTP_WEBHOOKS; the test network never lets it leave).
 */
export function receiver(label: string) {
  return receiverControl({
    name: `${label}-${crypto.randomUUID()}`,
    baseUrl: "https://receiver.example.com",
  });
}
export type Receiver = ReturnType<typeof receiver>;

export type SubscribeBody = InferRequestType<Subscriptions["$post"]>["json"];

export async function subscribe(w: World, body: SubscribeBody): Promise<Subscription> {
  return (await expectJson(client(w).api.subscriptions.$post({ json: body }), 201)).subscription;
}

export async function deliveriesOf(w: World, subscriptionId: string): Promise<Delivery[]> {
  const deliveries = client(w).api.subscriptions[":id"].deliveries;
  return (await expectJson(deliveries.$get({ param: { id: subscriptionId }, query: { limit: "200" } }), 200))
    .deliveries;
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

/**
 * Deliveries whose earlier attempt failed and whose retry is due: `count` events of `type` about
 * `jobIds` in turn (ids `evt_<tag>_<i>`, created two minutes before `now`), each with a pending
 * delivery `msg_<tag>_<i>` to the subscription, written straight to D1 in one batch.
 */
export async function pendingDeliveries(
  subscriptionId: string,
  jobIds: string[],
  count: number,
  now: number,
  event: { tag: string; type: string },
): Promise<void> {
  const { tag, type } = event;
  await env.DB.batch(
    Array.from({ length: count }, (_, i) => [
      env.DB.prepare(
        "insert into events (id, type, job_id, created_at, payload) values (?, ?, ?, ?, ?)",
      ).bind(
        `evt_${tag}_${i}`,
        type,
        jobIds[i % jobIds.length],
        now - 120_000,
        JSON.stringify({ type, n: i }),
      ),
      env.DB.prepare(
        `insert into deliveries (id, event_id, subscription_id, status, attempts, next_attempt_at, created_at)
         values (?, ?, ?, 'pending', 1, ?, ?)`,
      ).bind(`msg_${tag}_${i}`, `evt_${tag}_${i}`, subscriptionId, now - 1_000, now - 120_000),
    ]).flat(),
  );
}
