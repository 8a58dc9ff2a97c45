/** `GET /api/jobs/:job_id/items`: a job's files (README "Using it"), newest first. */
import { z } from "@hono/zod-openapi";
import { listItems } from "../../db/item-lists";
import { itemSchema, presentItem } from "../../present/items";
import { decodeCursor } from "../cursor";
import { emptyAsMissing } from "../inputs";
import { PAGE_QUERY, pageAnswer, pageAt, pageContent } from "../lists";
import { readRoute, router } from "../openapi";
import { jobIdParam, NOT_TRACKED, notTracked } from "../tracked-jobs";

export const itemRoutes = router().openapi(
  readRoute({
    method: "get",
    path: "/api/jobs/{job_id}/items",
    operationId: "listJobItems",
    summary: "A job's files, newest first",
    description:
      "v2: every file of the batch with its child job's state. v1: the failed items batchwatch has read (at most 1,000).",
    request: {
      params: jobIdParam("bat-0f4c2e"),
      query: z.object({
        // Items are stored in lower case, so a filter is compared in lower case too.
        status: emptyAsMissing(
          z
            .string()
            .max(200)
            .transform((s) => s.toLowerCase())
            .optional(),
        ).openapi({ description: "Only items with this status (lower case)", example: "failed" }),
        ...PAGE_QUERY,
      }),
    },
    responses: {
      200: pageContent("items", itemSchema),
      ...NOT_TRACKED,
    },
  }),
  async (c) => {
    const { job_id } = c.req.valid("param");
    const query = c.req.valid("query");
    const page = await listItems(c.var.db, {
      jobId: job_id,
      status: query.status,
      ...pageAt(query, decodeCursor),
    });
    if (!page) notTracked(job_id);
    return c.json(pageAnswer("items", page, presentItem), 200);
  },
);
