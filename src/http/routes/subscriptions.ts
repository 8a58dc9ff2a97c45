import { z } from "@hono/zod-openapi";
import {
  createSubscription,
  deleteSubscription,
  listDeliveries,
  listSubscriptions,
  retryDelivery,
} from "../../db/subscriptions";
import { EVENT_TYPES, SUBSCRIPTION_FORMATS } from "../../model";
import { retryNow } from "../../notifications/background";
import { checkSubscriptionUrl } from "../../notifications/urls";
import {
  createdSubscriptionSchema,
  deliverySchema,
  presentDelivery,
  presentSubscription,
  subscriptionSchema,
} from "../../present/subscriptions";
import { afterAnswer } from "../context";
import { decodeCursor } from "../cursor";
import { ApiError, notFound } from "../errors";
import { idInput, optionalInput } from "../inputs";
import { PAGE_QUERY, pageAnswer, pageAt, pageContent } from "../lists";
import { DELETED, errorAnswer, jsonContent, router, writeRoute } from "../openapi";

const id = idInput;
const createBody = z
  .object({
    url: z.string().min(1).max(2000).openapi({ example: "https://hooks.example.com/batchwatch" }),
    events: optionalInput(z.array(z.enum(EVENT_TYPES)).min(1).max(20)).openapi({
      description: "Only these event types; omit (or null) for every event.",
    }),
    job_id: optionalInput(id).openapi({
      description: "Only this job's events; omit (or null) for every job.",
    }),
    format: optionalInput(z.enum(SUBSCRIPTION_FORMATS)).openapi({
      description:
        "standard (the default): signed Standard Webhooks; slack: a Slack incoming-webhook message; " +
        "discord: a Discord webhook message. Chat messages are not signed: their URL is the secret.",
    }),
  })
  .strict();

const subscriptionIdParam = z.object({
  id: id.openapi({ param: { name: "id", in: "path" }, example: "sub_3f1c0b6e9a2d4c58b7e6a1f0d9c8b7a6" }),
});
const deliveryIdParam = z.object({
  id: id.openapi({ param: { name: "id", in: "path" }, example: "msg_6c0f5e3b2a1d4e9f8a7b6c5d4e3f2a1b" }),
});

const NO_SUCH_SUBSCRIPTION = { 404: errorAnswer("No such subscription") };

export const subscriptionRoutes = router()
  .openapi(
    writeRoute({
      method: "post",
      path: "/api/subscriptions",
      operationId: "createSubscription",
      summary: "Subscribe a URL to job notifications (the signing secret is shown once)",
      request: { body: { content: { "application/json": { schema: createBody } }, required: true } },
      responses: {
        201: jsonContent(z.object({ subscription: createdSubscriptionSchema }), "Subscribed"),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const check = checkSubscriptionUrl(body.url, c.var.config.allowHttpWebhooks);
      if (!check.ok) throw new ApiError("validation_error", check.reason);
      const row = await createSubscription(c.var.db, {
        url: check.url,
        events: body.events ?? null,
        jobId: body.job_id ?? null,
        format: body.format ?? "standard",
        // Chat messages link to job pages here when PUBLIC_BASE_URL is not set.
        origin: new URL(c.req.url).origin,
        now: Date.now(),
      });
      return c.json({ subscription: { ...presentSubscription(row), secret: row.secret } }, 201);
    },
  )
  .openapi(
    writeRoute({
      method: "get",
      path: "/api/subscriptions",
      operationId: "listSubscriptions",
      summary: "Subscriptions, newest first (without secrets)",
      request: {
        query: z.object(PAGE_QUERY),
      },
      responses: {
        200: pageContent("subscriptions", subscriptionSchema),
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await listSubscriptions(c.var.db, pageAt(query, decodeCursor));
      return c.json(pageAnswer("subscriptions", page, presentSubscription), 200);
    },
  )
  .openapi(
    writeRoute({
      method: "delete",
      path: "/api/subscriptions/{id}",
      operationId: "deleteSubscription",
      summary: "Unsubscribe (pending deliveries are dropped)",
      request: { params: subscriptionIdParam },
      responses: {
        ...DELETED,
        ...NO_SUCH_SUBSCRIPTION,
      },
    }),
    async (c) => {
      const { id: subscriptionId } = c.req.valid("param");
      if (!(await deleteSubscription(c.var.db, subscriptionId)))
        throw notFound("subscription", subscriptionId);
      return c.body(null, 204);
    },
  )
  .openapi(
    writeRoute({
      method: "get",
      path: "/api/subscriptions/{id}/deliveries",
      operationId: "listDeliveries",
      summary: "A subscription's deliveries, newest first",
      request: {
        params: subscriptionIdParam,
        query: z.object(PAGE_QUERY),
      },
      responses: {
        200: pageContent("deliveries", deliverySchema),
        ...NO_SUCH_SUBSCRIPTION,
      },
    }),
    async (c) => {
      const { id: subscriptionId } = c.req.valid("param");
      const query = c.req.valid("query");
      const page = await listDeliveries(c.var.db, {
        subscriptionId,
        ...pageAt(query, decodeCursor),
      });
      if (!page) throw notFound("subscription", subscriptionId);
      return c.json(pageAnswer("deliveries", page, presentDelivery), 200);
    },
  )
  .openapi(
    writeRoute({
      method: "post",
      path: "/api/deliveries/{id}/retry",
      operationId: "retryDelivery",
      summary: "Try a failed delivery again",
      request: { params: deliveryIdParam },
      responses: {
        202: jsonContent(z.object({ delivery: deliverySchema }), "Queued; the attempt starts right away"),
        404: errorAnswer("No such delivery"),
        409: errorAnswer("The delivery is not failed, or its subscription is disabled"),
      },
    }),
    async (c) => {
      const { id: deliveryId } = c.req.valid("param");
      const now = Date.now();
      const result = await retryDelivery(c.var.db, deliveryId, now);
      if (result.kind === "not_found") throw notFound("delivery", deliveryId);
      if (result.kind === "conflict") throw new ApiError("conflict", result.message);
      retryNow(afterAnswer(c), deliveryId);
      return c.json({ delivery: presentDelivery(result.row) }, 202);
    },
  );
