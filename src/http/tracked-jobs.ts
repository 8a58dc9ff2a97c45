/**
 * What the tracked-job routes share: the list's filters (GET /api/jobs and the dashboard page), and
 * for the routes under /api/jobs/{job_id} (routes/jobs.ts, routes/items.ts) the path parameter and
 * its 404.
 */
import { z } from "@hono/zod-openapi";
import { TRACKING_STATES } from "../model";
import { notFound } from "./errors";
import { emptyAsMissing, idInput } from "./inputs";
import { errorAnswer } from "./openapi";

/** The tracked-job list's filters, spread into its query object beside PAGE_QUERY. */
export const JOB_FILTERS = {
  status: emptyAsMissing(z.string().max(200).optional()).openapi({ description: "LlamaCloud status" }),
  state: emptyAsMissing(z.enum(TRACKING_STATES).optional()).openapi({ description: "Tracking state" }),
};

/** The `{job_id}` path parameter; `example` is a job id of the API generation the route is mostly for. */
export const jobIdParam = (example: string) =>
  z.object({ job_id: idInput.openapi({ param: { name: "job_id", in: "path" }, example }) });

/** How a route declares the 404 it answers (with notTracked) for a job id batchwatch does not track. */
export const NOT_TRACKED = { 404: errorAnswer("Not tracked") };

/** The 404 for a job id batchwatch does not track (declared by NOT_TRACKED). */
export function notTracked(jobId: string): never {
  throw notFound("tracked job", jobId);
}
