import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { type Config, readConfig } from "../../config";
import { type Database, database } from "../../db/client";
import { jobs } from "../../db/schema";
import { pollOne } from "../../monitor/poll";
import { deliverJobEvents, inBackground } from "../../notifications/background";
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
      "poll: the job named is polled now; due: it was polled moments ago, so it is due at the next tick; " +
      "all_due: every active job is due now; none: a repeated event_id.",
  }),
});

const SIGNATURE_CHALLENGE = 'LC-Signature realm="batchwatch"';
/**
 * A job polled this recently is not polled again for a callback, only made due: a busy job can send
 * a callback per item, and one upstream poll per callback would soon meet LlamaCloud's rate limit.
 */
export const CALLBACK_POLL_GAP_MS = 5_000;

/** Polls the job the callback named; if another invocation is polling it right now, makes it due. */
async function pollNamedJob(db: Database, config: Config, jobId: string, now: number): Promise<void> {
  try {
    const result = await pollOne(db, config, jobId, { source: "webhook", now });
    if (result.kind === "busy") await makeDueStatement(db, Date.now(), jobId);
    if (result.kind === "polled") await deliverJobEvents(db, jobId, now);
  } catch (error) {
    console.error(JSON.stringify({ event: "callback_poll_error", job_id: jobId, message: String(error) }));
  }
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
    // One round trip: remember the event id (the dedupe) and look up the job it names.
    const [inserted, named] = await db.batch([
      recordInboundStatement(db, { ...callback, now }),
      db
        .select({ jobId: jobs.jobId, lastPolledAt: jobs.lastPolledAt })
        .from(jobs)
        .where(eq(jobs.jobId, callback.jobId ?? "")),
    ]);
    if (inserted.length === 0) {
      return c.json({ received: true as const, duplicate: true, action: "none" as const }, 200);
    }
    const [job] = named;
    if (callback.jobId !== null && job) {
      if (job.lastPolledAt !== null && now - job.lastPolledAt < CALLBACK_POLL_GAP_MS) {
        await makeDueStatement(db, now, callback.jobId);
        return c.json({ received: true as const, duplicate: false, action: "due" as const }, 202);
      }
      inBackground(c, pollNamedJob(db, config, callback.jobId, now));
      return c.json({ received: true as const, duplicate: false, action: "poll" as const }, 202);
    }
    await makeDueStatement(db, now);
    return c.json({ received: true as const, duplicate: false, action: "all_due" as const }, 202);
  },
);
