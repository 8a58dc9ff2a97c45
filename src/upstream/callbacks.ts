/**
 * LlamaCloud's callbacks: the signature check over the raw body and the parts of the body batchwatch
 * reads. A callback is only a hint that something changed; the status API stays the truth.
 */
import { z } from "zod";

const encoder = new TextEncoder();

function hexToBytes(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * True when `header` is `sha256=<hex>` of the HMAC-SHA256 of exactly these body bytes under `secret`.
 * The comparison runs in constant time over the 32-byte MACs.
 */
export async function verifyLlamaCloudSignature(
  secret: string,
  body: ArrayBuffer,
  header: string | null | undefined,
): Promise<boolean> {
  if (!header) return false;
  const match = /^\s*sha256=([0-9a-fA-F]{64})\s*$/.exec(header);
  const given = match?.[1] ? hexToBytes(match[1]) : null;
  if (!given) return false;
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const expected = new Uint8Array(await crypto.subtle.sign("HMAC", key, body));
  return crypto.subtle.timingSafeEqual(expected, given);
}

const id = z.string().min(1).max(200);

/** What batchwatch reads of a callback; everything else in it is ignored. */
const callbackSchema = z.looseObject({
  event_id: id.optional(),
  event_type: z.string().max(200).nullish(),
  timestamp: z.unknown().optional(),
  data: z
    .looseObject({
      job_id: z.unknown().optional(),
      batch_id: z.unknown().optional(),
      id: z.unknown().optional(),
    })
    .nullish(),
});

export interface Callback {
  eventId: string;
  eventType: string | null;
  /** The job the callback names (`data.job_id`, else `data.batch_id`, else `data.id`), if it names one. */
  jobId: string | null;
}

/**
 * Reads a parsed callback body, with the `X-Webhook-Event-ID` / `-Type` headers as fallbacks. Null
 * when it has no usable event id (so it cannot be deduplicated).
 */
export function readCallback(
  body: unknown,
  headers: { eventId?: string | null; eventType?: string | null },
): Callback | null {
  const parsed = callbackSchema.safeParse(body);
  if (!parsed.success) return null;
  const eventId = parsed.data.event_id ?? headerId(headers.eventId);
  if (!eventId) return null;
  const data = parsed.data.data;
  const named = [data?.job_id, data?.batch_id, data?.id].find((v): v is string => id.safeParse(v).success);
  return {
    eventId,
    eventType: parsed.data.event_type ?? headers.eventType?.slice(0, 200) ?? null,
    jobId: named ?? null,
  };
}

function headerId(value: string | null | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed.length <= 200 ? trimmed : undefined;
}

/** A callback request as it arrived: the raw body and the headers LlamaCloud sets. */
export interface CallbackRequest {
  body: ArrayBuffer;
  /** `LC-Signature`. */
  signature: string | null | undefined;
  /** `X-Webhook-Event-ID`. */
  eventId: string | null | undefined;
  /** `X-Webhook-Event-Type`. */
  eventType: string | null | undefined;
}

/**
 * Why a callback request is refused: a missing or wrong signature while a secret is set, a body that
 * is not strict UTF-8 JSON, no usable event id, or (signed callbacks only) no readable `timestamp` or
 * one outside the window in which a replay would still be caught as a repeated event id.
 */
export type CallbackRefusal = "bad_signature" | "not_json" | "no_event_id" | "no_timestamp" | "stale";

/**
 * How far LlamaCloud's clock may run ahead of ours. A signed body dated later than this could be
 * replayed after its event id is forgotten, so the accepted age shrinks by the same amount.
 */
export const CALLBACK_CLOCK_SKEW_MS = 60 * 60_000;

/** What the freshness rule needs: the time now, and how long event ids are remembered for dedupe. */
export interface CallbackClock {
  now: number;
  /** Event ids are kept this long after they arrive (the dedupe window). */
  rememberedMs: number;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** A callback's `timestamp` in epoch ms: unix seconds (a number or numeric text, may be fractional) or ISO-8601. */
export function callbackTime(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value * 1000 : null;
  if (typeof value !== "string") return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  if (!ISO_DATE.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * A signed body is accepted only while a replay of it would still be caught: dated no earlier than
 * the dedupe window (less the clock skew allowed) and no later than the skew ahead of our clock.
 */
export function signedCallbackFresh(time: number, clock: CallbackClock): boolean {
  return (
    time >= clock.now - (clock.rememberedMs - CALLBACK_CLOCK_SKEW_MS) &&
    time <= clock.now + CALLBACK_CLOCK_SKEW_MS
  );
}

/**
 * LlamaCloud's rules for one callback request, in order: with a signing secret the signature must
 * match the raw body (checked before anything is read), the body must be JSON in strict UTF-8, and the
 * event id comes from the body, or from the header only while callbacks are unsigned (the headers are
 * not covered by the signature, so with a secret a header could replay a signed body as a new event).
 * A signed body must also carry a `timestamp` that is fresh (signedCallbackFresh): its event id is
 * forgotten after `clock.rememberedMs`, and an older body would then count as new. Unsigned callbacks
 * have no timestamp rule: anyone can forge a fresh one anyway.
 */
export async function readCallbackRequest(
  request: CallbackRequest,
  secret: string | undefined,
  clock: CallbackClock,
): Promise<{ ok: true; callback: Callback } | { ok: false; refusal: CallbackRefusal }> {
  if (secret !== undefined && !(await verifyLlamaCloudSignature(secret, request.body, request.signature))) {
    return { ok: false, refusal: "bad_signature" };
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(request.body));
  } catch {
    return { ok: false, refusal: "not_json" };
  }
  const callback = readCallback(body, {
    eventId: secret === undefined ? request.eventId : null,
    eventType: request.eventType,
  });
  if (!callback) return { ok: false, refusal: "no_event_id" };
  if (secret !== undefined) {
    const time = callbackTime((body as { timestamp?: unknown }).timestamp);
    if (time === null) return { ok: false, refusal: "no_timestamp" };
    if (!signedCallbackFresh(time, clock)) return { ok: false, refusal: "stale" };
  }
  return { ok: true, callback };
}
