import { createRoute, z } from "@hono/zod-openapi";
import { count, eq, gt } from "drizzle-orm";
import type { Context } from "hono";
import { type Bindings, type Config, readConfig } from "../../config";
import { type Database, database } from "../../db/client";
import { inboundEvents, jobs } from "../../db/schema";
import { pollOne } from "../../monitor/poll";
import { firstAttempts } from "../../notifications/background";
import { readCallback, verifyLlamaCloudSignature } from "../../notifications/inbound";
import { makeDueStatement, recordInboundStatement } from "../../notifications/store";
import { ApiError } from "../errors";
import { jsonContent, router } from "../openapi";
import { errorSchema } from "../shapes";

const acceptedSchema = z.object({
  received: z.literal(true),
  duplicate: z.boolean(),
  action: z.enum(["poll", "due", "all_due", "none"]).openapi({
    description:
      "poll: the job named was polled before this answer; due: it is due at the next tick instead (another " +
      "invocation was polling it, or callbacks are arriving faster than polls are made for them); " +
      "all_due: every active job is due now; none: a repeated event_id.",
  }),
});

const SIGNATURE_CHALLENGE = 'LC-Signature realm="batchwatch"';
/**
 * Callbacks poll at once only while fewer than this many arrived in the last minute; past that the
 * job is made due for the next tick. A flood of callbacks (or forged ones, without a signing secret)
 * must not turn into a flood of upstream requests and a 429 that pauses every job.
 */
export const CALLBACK_POLLS_PER_MINUTE = 60;

/**
 * Polls the job the callback named before answering, so the snapshot it brings is on record when
 * LlamaCloud (or anyone watching) sees the 202. Bursts need no limit of their own: the lease makes
 * concurrent callbacks for one job a single poll, and a 429 pauses callback polls like every other.
 * The poll's notifications go out after the answer.
 */
async function pollNamedJob(
  c: Context<{ Bindings: Bindings }>,
  db: Database,
  config: Config,
  jobId: string,
  now: number,
): Promise<"poll" | "due"> {
  try {
    const result = await pollOne(db, config, jobId, { source: "webhook", now });
    if (result.kind === "polled") firstAttempts(c, jobId, now);
    if (result.kind !== "busy") return "poll";
  } catch (error) {
    console.error(JSON.stringify({ event: "callback_poll_error", job_id: jobId, message: String(error) }));
  }
  // Someone else holds the job, or the poll itself broke: the next tick polls it instead.
  await makeDueStatement(db, Date.now(), jobId);
  return "due";
}

export const webhookRoutes = router().openapi(
  createRoute({
    method: "post",
    path: "/webhooks/llamacloud",
    summary: "LlamaCloud callbacks (a hint: the job is polled, the status API stays the truth)",
    description:
      "Body `{event_id, event_type, timestamp, data}`. With LLAMA_CLOUD_WEBHOOK_SECRET set, `LC-Signature: " +
      "sha256=<hex HMAC-SHA256 of the raw body>` is required. A repeated event_id has no second effect.",
    responses: {
      202: jsonContent(acceptedSchema, "Accepted"),
      200: jsonContent(acceptedSchema, "A repeated event_id: nothing done"),
      400: jsonContent(errorSchema, "Not JSON, or no event_id"),
      401: jsonContent(errorSchema, "Missing or wrong signature"),
      413: jsonContent(errorSchema, "Body over 64 KiB"),
    },
  }),
  async (c) => {
    const config = readConfig(c.env);
    const raw = await c.req.arrayBuffer();
    if (
      config.webhookSecret !== undefined &&
      !(await verifyLlamaCloudSignature(config.webhookSecret, raw, c.req.header("lc-signature")))
    ) {
      throw new ApiError("unauthorized", "The LC-Signature header is missing or does not match the body.", {
        "WWW-Authenticate": SIGNATURE_CHALLENGE,
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(raw));
    } catch {
      throw new ApiError("validation_error", "The callback body is not valid JSON.");
    }
    // The headers are not covered by the signature: with a secret, the event id must come from the body.
    const signed = config.webhookSecret !== undefined;
    const callback = readCallback(body, {
      eventId: signed ? null : c.req.header("x-webhook-event-id"),
      eventType: c.req.header("x-webhook-event-type"),
    });
    if (!callback) {
      throw new ApiError("validation_error", "The callback must be a JSON object with an event_id.");
    }

    const now = Date.now();
    const db = database(c.env.DB);
    // One round trip: remember the event id (the dedupe), look up the job it names and count the
    // callbacks of the last minute (this one included).
    const [inserted, named, recent] = await db.batch([
      recordInboundStatement(db, { ...callback, now }),
      db
        .select({ jobId: jobs.jobId })
        .from(jobs)
        .where(eq(jobs.jobId, callback.jobId ?? "")),
      db
        .select({ n: count() })
        .from(inboundEvents)
        .where(gt(inboundEvents.receivedAt, now - 60_000)),
    ]);
    if (inserted.length === 0) {
      return c.json({ received: true as const, duplicate: true, action: "none" as const }, 200);
    }
    if (callback.jobId !== null && named.length > 0) {
      if ((recent[0]?.n ?? 0) > CALLBACK_POLLS_PER_MINUTE) {
        await makeDueStatement(db, now, callback.jobId);
        return c.json({ received: true as const, duplicate: false, action: "due" as const }, 202);
      }
      const action = await pollNamedJob(c, db, config, callback.jobId, now);
      return c.json({ received: true as const, duplicate: false, action }, 202);
    }
    await makeDueStatement(db, now);
    return c.json({ received: true as const, duplicate: false, action: "all_due" as const }, 202);
  },
);
