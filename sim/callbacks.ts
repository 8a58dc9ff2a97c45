// LlamaCloud-style webhook callbacks: `{event_id, event_type, timestamp, data}`, the X-Webhook-*
// headers, and `LC-Signature: sha256=<hex HMAC-SHA256 of the raw body>` when a secret is set.
//
// Event types follow LlamaCloud's `<product>.<state>` naming (`parse.success`, `parse.error`, …):
//   batch.pending, batch.dispatched, batch.running   the job entered that status
//   batch.progress                                   items finished while the status stayed the same
//   batch.success                                    completed with no failed item
//   batch.partial_success                            completed with some failed items
//   batch.error                                      failed
//   batch.cancelled                                  cancelled
//   batch.status_changed                             any other (unknown) status
//
// v2 batches follow the current API's names: batch.pending|running|success|error|cancelled with `data`
// naming the batch (`batch_id`), and parse.* / extract.* for each child job with `data` naming the
// child (`job_id`); their timestamp is unix seconds (a float), v1's an ISO string.

import { createHmac } from "node:crypto";
import type { BatchJson, ChildJobJson, ChildJobType } from "./batch-model";
import type { BatchStatusJson } from "./model";

export interface CallbackEvent {
  event_id: string;
  event_type: string;
  timestamp: string | number;
  data: Record<string, unknown>;
}

/** A callback ready to be sent: the exact bytes and headers. */
export interface OutgoingCallback {
  url: string | null;
  event: CallbackEvent;
  body: string;
  headers: Record<string, string>;
}

export function eventTypeForStatus(status: string, failedItems: unknown): string {
  switch (status) {
    case "pending":
    case "dispatched":
    case "running":
    case "cancelled":
      return `batch.${status}`;
    case "completed":
      return typeof failedItems === "number" && failedItems > 0 ? "batch.partial_success" : "batch.success";
    case "failed":
      return "batch.error";
    default:
      return "batch.status_changed";
  }
}

/** The event for a job's current answer: the job's fields plus `job_id` and `progress_percentage`. */
export function jobEvent(
  answer: BatchStatusJson,
  eventType: string,
  nowMs: number,
  eventId?: string,
): CallbackEvent {
  const data = { ...answer.job, job_id: answer.job.id, progress_percentage: answer.progress_percentage };
  return jobEventFromData(data, eventType, nowMs, eventId);
}

export function jobEventFromData(
  data: Record<string, unknown>,
  eventType: string,
  nowMs: number,
  eventId?: string,
): CallbackEvent {
  return {
    event_id: eventId ?? `evt_${crypto.randomUUID().replaceAll("-", "")}`,
    event_type: eventType,
    timestamp: new Date(nowMs).toISOString(),
    data,
  };
}

const BATCH_EVENTS: Record<string, string> = {
  PENDING: "batch.pending",
  RUNNING: "batch.running",
  COMPLETED: "batch.success",
  FAILED: "batch.error",
  CANCELLED: "batch.cancelled",
};

/** The event a v2 batch entering `status` sends; null for statuses without one (THROTTLED). */
export function batchEventType(status: string): string | null {
  return BATCH_EVENTS[status] ?? null;
}

const CHILD_EVENTS: Record<string, string> = {
  PENDING: "pending",
  RUNNING: "running",
  COMPLETED: "success",
  FAILED: "error",
  CANCELLED: "cancelled",
};

/** The event a child job entering `status` sends (the SDK lists no `extract.running`). */
export function childEventType(jobType: ChildJobType, status: string): string | null {
  const product = jobType === "parse_v2" ? "parse" : "extract";
  const state = CHILD_EVENTS[status];
  if (!state || (product === "extract" && state === "running")) return null;
  return `${product}.${state}`;
}

/** A v2 batch event: the batch's fields (results left out) plus `batch_id`. */
export function batchEvent(
  batch: BatchJson,
  eventType: string,
  nowMs: number,
  eventId?: string,
): CallbackEvent {
  const { results: _perFile, ...fields } = batch;
  return v2Event({ batch_id: batch.id, ...fields }, eventType, nowMs, eventId);
}

/** A child job's event: the job's fields plus `job_id`. */
export function childEvent(
  job: ChildJobJson,
  eventType: string,
  nowMs: number,
  eventId?: string,
): CallbackEvent {
  return v2Event({ job_id: job.id, ...job }, eventType, nowMs, eventId);
}

function v2Event(
  data: Record<string, unknown>,
  eventType: string,
  nowMs: number,
  eventId?: string,
): CallbackEvent {
  return { ...jobEventFromData(data, eventType, nowMs, eventId), timestamp: nowMs / 1000 };
}

export async function prepareCallback(
  event: CallbackEvent,
  url: string | null,
  secret: string | null,
): Promise<OutgoingCallback> {
  const body = JSON.stringify(event);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "LlamaCloud-Webhooks/1.0 (batchwatch simulator)",
    "x-webhook-event-id": event.event_id,
    "x-webhook-event-type": event.event_type,
  };
  if (secret) headers["lc-signature"] = await signature(secret, body);
  return { url, event, body, headers };
}

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, raw body). Node's HMAC (workerd has it under nodejs_compat), not
 * the WebCrypto that batchwatch verifies with: a mistake in one is not repeated by the other.
 * A Promise, as its callers and the tests that sign their own bodies already await it.
 */
export async function signature(secret: string, body: string): Promise<string> {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface DeliveryResult {
  status: number | null;
  error: string | null;
}

export type Deliver = (request: Request) => Promise<Response>;

/** One POST, no retries: the receiver's answer (or failure) is recorded, never thrown. */
export async function sendCallback(
  callback: OutgoingCallback,
  deliver: Deliver,
  timeoutMs = 10_000,
): Promise<DeliveryResult> {
  if (!callback.url) return { status: null, error: "no callback URL configured" };
  const request = new Request(callback.url, {
    method: "POST",
    headers: callback.headers,
    body: callback.body,
    redirect: "manual",
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A race rather than an AbortSignal: in-process deliveries (the receiver) ignore signals.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const response = await Promise.race([deliver(request), timeout]);
    await response.body?.cancel();
    return { status: response.status, error: null };
  } catch (error) {
    return { status: null, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
