import { z } from "@hono/zod-openapi";
import { INBOUND_RETENTION_MS } from "../../db/callbacks";
import { handleCallback } from "../../monitor/callback";
import { routeBudget } from "../../monitor/poll";
import { firstAttempts } from "../../notifications/background";
import { type CallbackRefusal, readCallbackRequest } from "../../upstream/callbacks";
import { afterAnswer } from "../context";
import { ApiError } from "../errors";
import { apiRoute, errorAnswer, jsonContent, OPEN, router } from "../openapi";

const acceptedSchema = z.object({
  received: z.literal(true),
  duplicate: z.boolean(),
  action: z.enum(["poll", "due", "all_due", "none"]).openapi({
    description:
      "poll: the job named was polled before this answer; due: it is due at the next tick instead (another " +
      "invocation was polling it, the poll failed to run, or callbacks are arriving faster than polls are " +
      "made for them); all_due: every active job is due now; none: nothing to do (a repeated event_id, or, " +
      "while callbacks are unsigned, one naming no tracked job within a minute of the last that made every job due).",
  }),
});

const SIGNATURE_CHALLENGE = 'LC-Signature realm="batchwatch"';

/** How each refused callback is answered. */
const REFUSALS: Record<CallbackRefusal, () => ApiError> = {
  bad_signature: () =>
    new ApiError("unauthorized", "The LC-Signature header is missing or does not match the body.", {
      "WWW-Authenticate": SIGNATURE_CHALLENGE,
    }),
  not_json: () => new ApiError("validation_error", "The callback body is not valid JSON."),
  no_event_id: () => new ApiError("validation_error", "The callback must be a JSON object with an event_id."),
  no_timestamp: () =>
    new ApiError("validation_error", "A signed callback must carry a timestamp (unix seconds or ISO-8601)."),
  stale: () =>
    new ApiError(
      "unauthorized",
      "The callback's timestamp is too old (or too far ahead) to be told apart from a replay.",
      { "WWW-Authenticate": SIGNATURE_CHALLENGE },
    ),
};

export const webhookRoutes = router().openapi(
  apiRoute({
    method: "post",
    path: "/webhooks/llamacloud",
    operationId: "receiveLlamaCloudCallback",
    summary: "LlamaCloud callbacks (a hint: the job is polled, the status API stays the truth)",
    description:
      "Body `{event_id, event_type, timestamp, data}`. With LLAMA_CLOUD_WEBHOOK_SECRET set, `LC-Signature: " +
      "sha256=<hex HMAC-SHA256 of the raw body>` is required, and the signed body's `timestamp` must be " +
      "at most 7 days minus an hour old and at most an hour ahead. A repeated event_id has no second effect.",
    // No token: LlamaCloud cannot send one. The LC-Signature (when a secret is set) is the check.
    security: OPEN,
    responses: {
      202: jsonContent(acceptedSchema, "Accepted"),
      200: jsonContent(acceptedSchema, "A repeated event_id: nothing done"),
      400: errorAnswer("Not JSON, no event_id, or a signed body without a timestamp"),
      401: errorAnswer("Missing or wrong signature, or a signed body too old to tell from a replay"),
      413: errorAnswer("Body over 64 KiB"),
    },
  }),
  async (c) => {
    const config = c.var.config;
    const read = await readCallbackRequest(
      {
        body: await c.req.arrayBuffer(),
        signature: c.req.header("lc-signature"),
        eventId: c.req.header("x-webhook-event-id"),
        eventType: c.req.header("x-webhook-event-type"),
      },
      config.webhookSecret,
      { now: Date.now(), rememberedMs: INBOUND_RETENTION_MS },
    );
    if (!read.ok) throw REFUSALS[read.refusal]();
    const callback = { ...read.callback, signed: config.webhookSecret !== undefined };

    const now = Date.now();
    const budget = routeBudget(config);
    const outcome = await handleCallback(c.var.db, config, callback, now, budget);
    if (outcome.polled && outcome.jobId !== null) firstAttempts(afterAnswer(c), outcome.jobId, now, budget);
    if (outcome.repeated) {
      return c.json({ received: true as const, duplicate: true, action: outcome.action }, 200);
    }
    return c.json({ received: true as const, duplicate: false, action: outcome.action }, 202);
  },
);
