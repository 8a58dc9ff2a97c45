import { createRoute, z } from "@hono/zod-openapi";
import { healthSummary } from "../../db/ticks";
import { iso } from "../../present/time";
import { jsonContent, router } from "../openapi";

export const healthRoutes = router().openapi(
  createRoute({
    method: "get",
    path: "/healthz",
    summary: "Liveness and the last tick",
    responses: {
      200: jsonContent(
        z.object({ ok: z.literal(true), last_tick_at: z.string().nullable(), active_jobs: z.number().int() }),
        "Healthy",
      ),
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
