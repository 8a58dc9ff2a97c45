/** `GET /api/jobs/:job_id/items`: a job's files (README "Using it"), newest first. */
import { z } from "@hono/zod-openapi";
import { listItems } from "../../db/item-lists";
import { itemSchema, presentItem } from "../../present/items";
import { requireRead } from "../auth";
import { decodeCursor, encodeCursor } from "../cursor";
import { ApiError, errorSchema } from "../errors";
import { cursorQuery, emptyAsMissing, idInput, limitQuery } from "../inputs";
import { AUTH_ERRORS, apiRoute, jsonContent, READ_SECURITY, router } from "../openapi";

const jobIdParam = z.object({
  job_id: idInput.openapi({ param: { name: "job_id", in: "path" }, example: "bat-0f4c2e" }),
});

export const itemRoutes = router().openapi(
  apiRoute({
    method: "get",
    path: "/api/jobs/{job_id}/items",
    operationId: "listJobItems",
    summary: "A job's files, newest first",
    description:
      "v2: every file of the batch with its child job's state. v1: the failed items batchwatch has read (at most 1,000).",
    middleware: [requireRead] as const,
    security: READ_SECURITY,
    request: {
      params: jobIdParam,
      query: z.object({
        // Items are stored in lower case, so a filter is compared in lower case too.
        status: emptyAsMissing(
          z
            .string()
            .max(200)
            .transform((s) => s.toLowerCase())
            .optional(),
        ).openapi({ description: "Only items with this status (lower case)", example: "failed" }),
        limit: limitQuery,
        cursor: cursorQuery,
      }),
    },
    responses: {
      200: jsonContent(
        z.object({ items: z.array(itemSchema), next_cursor: z.string().nullable() }),
        "A page of items",
      ),
      404: jsonContent(errorSchema, "Not tracked"),
      ...AUTH_ERRORS,
    },
  }),
  async (c) => {
    const { job_id } = c.req.valid("param");
    const query = c.req.valid("query");
    const page = await listItems(c.var.db, {
      jobId: job_id,
      status: query.status,
      limit: query.limit,
      after: decodeCursor(query.cursor),
    });
    if (!page) throw new ApiError("not_found", `No tracked job has the id "${job_id}".`);
    return c.json(
      { items: page.rows.map(presentItem), next_cursor: page.next && encodeCursor(page.next) },
      200,
    );
  },
);
