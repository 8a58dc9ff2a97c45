import { z } from "@hono/zod-openapi";
import { monitorFigures } from "../../db/metrics";
import { METRICS_CONTENT_TYPE, renderMetrics } from "../../present/metrics";
import { readRoute, router } from "../openapi";

export const metricsRoutes = router().openapi(
  readRoute({
    method: "get",
    path: "/metrics",
    operationId: "getMetrics",
    summary: "Prometheus metrics: jobs and deliveries by status, the last tick, poll and delivery counters",
    description:
      "The Prometheus text exposition format (version 0.0.4). Reads like the JSON API: the read or admin " +
      'token as a Bearer token (a scraper\'s `authorization` setting), or open with PUBLIC_READ="true".',
    responses: {
      200: {
        content: {
          "text/plain": {
            schema: z.string().openapi({ example: 'batchwatch_polls_total{outcome="changed"} 12\n' }),
          },
        },
        description: "The metrics",
      },
    },
  }),
  async (c) => {
    const text = renderMetrics(await monitorFigures(c.var.db));
    return c.text(text, 200, { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" });
  },
);
