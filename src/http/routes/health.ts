import { z } from "@hono/zod-openapi";
import { healthSummary } from "../../db/ticks";
import { iso } from "../../present/time";
import { apiRoute, jsonContent, OPEN, router } from "../openapi";

export const healthRoutes = router().openapi(
  apiRoute({
    method: "get",
    path: "/healthz",
    operationId: "getHealth",
    summary: "Liveness and the last tick",
    // Open on purpose: uptime checks must reach it without a token, and it shows no secret.
    security: OPEN,
    responses: {
      200: jsonContent(
        z.object({ ok: z.literal(true), last_tick_at: z.string().nullable(), active_jobs: z.number().int() }),
        "Healthy",
      ),
      "4XX": { description: "Never sent by batchwatch itself; only a proxy or access policy in front of it" },
    },
  }),
  async (c) => {
    const summary = await healthSummary(c.var.db);
    return c.json(
      { ok: true as const, last_tick_at: iso(summary.lastTickAt), active_jobs: summary.activeJobs },
      200,
    );
  },
);
