/**
 * A watch as batchwatch shows it (README "Watches"): in the API and on the dashboard. A zod schema, so
 * the OpenAPI document is derived from the definition the route is typed against.
 */
import { z } from "@hono/zod-openapi";
import type { WatchRow } from "../db/schema";
import { watchApis } from "../db/watches";
import { APIS } from "../model";
import { lastErrorSchema, presentLastError } from "./last-error";
import { iso, timestampSchema } from "./time";

export const watchSchema = z
  .object({
    id: z.string().openapi({ example: "wat_5b0c8e2f7a1d4c3b9e6f0a1b2c3d4e5f" }),
    project_id: z.string(),
    organization_id: z.string().nullable(),
    apis: z
      .array(z.enum(APIS))
      .openapi({ description: "The batch API generations the watch discovers.", example: ["v1", "v2"] }),
    label: z.string().nullable(),
    created_at: timestampSchema,
    last_scan_at: timestampSchema.nullable().openapi({
      description: "The latest scan that got every answer it asked for; null before the first.",
    }),
    jobs_found: z.number().int().openapi({ description: "Jobs this watch started tracking." }),
    last_error: lastErrorSchema.openapi({
      description: "Why the latest scan failed (it is retried with backoff); null once one succeeds.",
    }),
  })
  .openapi("Watch");

export type WatchJson = z.infer<typeof watchSchema>;

export function presentWatch(row: WatchRow): WatchJson {
  return {
    id: row.id,
    project_id: row.projectId,
    organization_id: row.organizationId,
    apis: watchApis(row),
    label: row.label,
    created_at: iso(row.createdAt),
    last_scan_at: iso(row.lastScanAt),
    jobs_found: row.jobsFound,
    last_error: presentLastError(row),
  };
}
