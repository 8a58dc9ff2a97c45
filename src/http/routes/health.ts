import { z } from "@hono/zod-openapi";
import { healthFigures } from "../../db/metrics";
import { healthProblems } from "../../monitor/health";
import { iso } from "../../present/time";
import { apiRoute, jsonContent, OPEN, router } from "../openapi";

const problemSchema = z
  .object({
    code: z.enum(["tick_overdue", "upstream_key_refused", "api_key_missing", "callbacks_unsigned"]),
    severity: z.enum(["error", "warning"]).openapi({
      description: "error: the monitor does not work (the answer is 503); warning: it works, but fix this.",
    }),
    message: z.string(),
  })
  .openapi("HealthProblem");

const healthSchema = (ok: boolean) =>
  z.object({
    ok: z.literal(ok),
    last_tick_at: z.string().nullable().openapi({ description: "When the last cron tick ended." }),
    active_jobs: z.number().int(),
    problems: z.array(problemSchema),
  });

export const healthRoutes = router().openapi(
  apiRoute({
    method: "get",
    path: "/healthz",
    operationId: "getHealth",
    summary: "Whether the monitor works: ticks running, the LlamaCloud key accepted",
    description:
      "503 when no tick has run for more than 3 minutes after the first one, or when LlamaCloud refused " +
      "the API key (401/403) on the latest poll and no poll has succeeded since. Warnings (such as unsigned " +
      "callbacks) are listed in `problems` without failing the check.",
    // Open on purpose: uptime checks must reach it without a token, and it shows no secret.
    security: OPEN,
    responses: {
      200: jsonContent(healthSchema(true), "Healthy (problems holds warnings only)"),
      503: jsonContent(healthSchema(false), "Not working: problems names why"),
      "4XX": { description: "Never sent by batchwatch itself; only a proxy or access policy in front of it" },
    },
  }),
  async (c) => {
    const figures = await healthFigures(c.var.db);
    const { config } = c.var;
    const lastTickAt = figures.lastTick ? figures.lastTick.startedAt + figures.lastTick.durationMs : null;
    const problems = healthProblems({
      now: Date.now(),
      lastTickAt,
      upstreamAuth: figures.upstreamAuth?.state ?? null,
      apiKeySet: config.llamaCloudApiKey !== undefined,
      webhookSecretSet: config.webhookSecret !== undefined,
    });
    const body = { last_tick_at: iso(lastTickAt), active_jobs: figures.activeJobs, problems };
    // Never cached: a health check must see the monitor as it is now.
    c.header("Cache-Control", "no-store");
    if (problems.some((p) => p.severity === "error")) return c.json({ ok: false as const, ...body }, 503);
    return c.json({ ok: true as const, ...body }, 200);
  },
);
