/** What the routes under /api/jobs/{job_id} (routes/jobs.ts, routes/items.ts) share. */
import { z } from "@hono/zod-openapi";
import { notFound } from "./errors";
import { idInput } from "./inputs";
import { errorAnswer } from "./openapi";

/** The `{job_id}` path parameter; `example` is a job id of the API generation the route is mostly for. */
export const jobIdParam = (example: string) =>
  z.object({ job_id: idInput.openapi({ param: { name: "job_id", in: "path" }, example }) });

/** How a route declares the 404 it answers (with notTracked) for a job id batchwatch does not track. */
export const NOT_TRACKED = { 404: errorAnswer("Not tracked") };

/** The 404 for a job id batchwatch does not track (declared by NOT_TRACKED). */
export function notTracked(jobId: string): never {
  throw notFound("tracked job", jobId);
}
