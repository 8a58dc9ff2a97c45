import { createRoute, z } from "@hono/zod-openapi";
import { handleCallback } from "../../monitor/callback";
import { firstAttempts } from "../../notifications/background";
import { readCallback, verifyLlamaCloudSignature } from "../../upstream/callbacks";
import { afterAnswer } from "../context";
import { ApiError, errorSchema } from "../errors";
import { jsonContent, router } from "../openapi";

const acceptedSchema = z.object({
  received: z.literal(true),
  duplicate: z.boolean(),
  action: z.enum(["poll", "due", "all_due", "none"]).openapi({
    description:
      "poll: the job named was polled before this answer; due: it is due at the next tick instead (another " +
      "invocation was polling it, the poll failed to run, or callbacks are arriving faster than polls are " +
      "made for them); all_due: every active job is due now; none: a repeated event_id.",
  }),
});

const SIGNATURE_CHALLENGE = 'LC-Signature realm="batchwatch"';

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
    const config = c.var.config;
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
    const outcome = await handleCallback(c.var.db, config, callback, now);
    if (outcome.polled && callback.jobId !== null) firstAttempts(afterAnswer(c), callback.jobId, now);
    if (outcome.action === "none") {
      return c.json({ received: true as const, duplicate: true, action: outcome.action }, 200);
    }
    return c.json({ received: true as const, duplicate: false, action: outcome.action }, 202);
  },
);
