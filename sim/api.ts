// LlamaCloud's v1 batch-processing endpoints, as the simulator serves them: status, list, items,
// cancel. Errors look like FastAPI's (`{"detail": …}`), as LlamaCloud's do.

import { Hono } from "hono";
import { detail } from "./faults";
import { itemsPage, jobJson, statusJson } from "./job-answers";
import { CannotCancel, cancelJob } from "./jobs";
import { type Endpoint, ITEM_STATUSES, JOB_STATUSES, JOB_TYPES } from "./model";
import {
  type ApiDeps,
  type ApiEnv,
  badEnum,
  badInteger,
  parseJson,
  type Target,
  upstreamGate,
  validationError,
} from "./upstream";

export const API_PREFIX = "/api/v1/beta/batch-processing";

function targetOf(method: string, url: URL): Target {
  const rest = url.pathname.slice(API_PREFIX.length).replace(/\/$/, "");
  const target = (endpoint: Endpoint | null, jobId: string | null): Target => ({
    endpoint,
    jobId,
    jobIds: null,
    notFound: "Batch job not found",
  });
  if (rest === "") return target(method === "GET" ? "list" : null, null);
  const match = rest.match(/^\/([^/]+)(?:\/(items|cancel))?$/);
  if (!match?.[1]) return target(null, null);
  const jobId = decodeURIComponent(match[1]);
  const endpoint: Endpoint | null =
    match[2] === "items" && method === "GET"
      ? "items"
      : match[2] === "cancel" && method === "POST"
        ? "cancel"
        : match[2] === undefined && method === "GET"
          ? "status"
          : null;
  return target(endpoint, jobId);
}

export function apiRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.use(`${API_PREFIX}/*`, upstreamGate(deps, targetOf));

  app.get(API_PREFIX, (c) => {
    const query = c.req.query();
    const invalid = validateQuery(query, { status: JOB_STATUSES, job_type: JOB_TYPES });
    if (invalid) return c.json(invalid, 422);
    const { limit, offset } = paging(query);
    const jobs = [...c.var.world.jobs.values()]
      .map(jobJson)
      .filter(
        (job) =>
          (!query.status || job.status === query.status) &&
          (!query.job_type || job.job_type === query.job_type) &&
          (!query.directory_id || job.directory_id === query.directory_id) &&
          (!query.project_id || job.project_id === query.project_id),
      )
      .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)) || b.id.localeCompare(a.id));
    return c.json({ items: jobs.slice(offset, offset + limit), total_size: jobs.length });
  });

  app.get(`${API_PREFIX}/:jobId`, (c) => {
    const job = c.var.world.jobs.get(c.req.param("jobId"));
    if (!job) return notFound();
    return c.json(statusJson(job));
  });

  app.get(`${API_PREFIX}/:jobId/items`, (c) => {
    const job = c.var.world.jobs.get(c.req.param("jobId"));
    if (!job) return notFound();
    const query = c.req.query();
    const invalid = validateQuery(query, { status: ITEM_STATUSES });
    if (invalid) return c.json(invalid, 422);
    return c.json(itemsPage(job, { status: query.status, ...paging(query) }));
  });

  app.post(`${API_PREFIX}/:jobId/cancel`, async (c) => {
    const { world } = c.var;
    const job = world.jobs.get(c.req.param("jobId"));
    if (!job) return notFound();
    const text = await c.req.text();
    let reason: string | null = null;
    if (text.trim() !== "") {
      const body = parseJson(text);
      if (!body || typeof body !== "object" || Array.isArray(body)) {
        return c.json(validationError(["body"], "Input should be a valid dictionary", text), 422);
      }
      const given = (body as Record<string, unknown>).reason;
      if (given !== undefined && given !== null && typeof given !== "string") {
        return c.json(validationError(["body", "reason"], "Input should be a valid string", given), 422);
      }
      reason = given ?? null;
    }
    try {
      world.announce(cancelJob(job, world.now(), reason));
    } catch (error) {
      if (error instanceof CannotCancel) return detail(400, error.message);
      throw error;
    }
    const answer = jobJson(job);
    return c.json({
      job_id: job.id,
      message: reason ? `Batch job cancelled: ${reason}` : "Batch job cancelled",
      processed_items: answer.processed_items,
      status: answer.status,
    });
  });

  app.all(`${API_PREFIX}/*`, () => detail(404, "Not Found"));
  return app;
}

function notFound(): Response {
  return detail(404, "Batch job not found");
}

function paging(query: Record<string, string>): { limit: number; offset: number } {
  return { limit: query.limit ? Number(query.limit) : 50, offset: query.offset ? Number(query.offset) : 0 };
}

/** Checks paging and enum filters the way FastAPI would, answering its 422 body on the first problem. */
function validateQuery(query: Record<string, string>, enums: Record<string, readonly string[]>) {
  const paging =
    badInteger(query, "limit", 1, 1000) ?? badInteger(query, "offset", 0, Number.MAX_SAFE_INTEGER);
  if (paging) return paging;
  for (const [name, allowed] of Object.entries(enums)) {
    const invalid = badEnum(query, name, allowed);
    if (invalid) return invalid;
  }
  return null;
}
