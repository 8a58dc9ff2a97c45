/** What the routes under /api/jobs/{job_id} (routes/jobs.ts, routes/items.ts) share. */
import { z } from "@hono/zod-openapi";
import { ApiError } from "./errors";
import { idInput } from "./inputs";
import { errorAnswer } from "./openapi";

/** The `{job_id}` path parameter; `example` is a job id of the API generation the route is mostly for. */
export const jobIdParam = (example: string) =>
  z.object({ job_id: idInput.openapi({ param: { name: "job_id", in: "path" }, example }) });

/** The answer for a job id batchwatch does not track, declared... */
export const NOT_TRACKED = { 404: errorAnswer("Not tracked") };

/** ...and answered. */
export function notTracked(jobId: string): never {
  throw new ApiError("not_found", `No tracked job has the id "${jobId}".`);
}
