// LlamaCloud's v1 batch-processing endpoints, as the simulator serves them: status, list, items,
// cancel. Errors look like FastAPI's (`{"detail": …}`), as LlamaCloud's do.

import { Hono } from "hono";
import { alterResponse, detail, type Fault, faultResponse, takeFaults } from "./faults";
import { itemsPage, jobJson, statusJson } from "./job-answers";
import { CannotCancel, cancelJob } from "./jobs";
import { type Endpoint, ITEM_STATUSES, JOB_STATUSES, JOB_TYPES } from "./model";
import type { RequestLogEntry, World, Worlds } from "./world";

export const API_PREFIX = "/api/v1/beta/batch-processing";

export interface ApiDeps {
  worlds: Worlds;
  /** Whether a Bearer key is one the simulated LlamaCloud would accept. */
  acceptKey: (key: string) => boolean;
  /** Requests that carried no key at all belong to no tenant; they are logged here. */
  anonymousLog: RequestLogEntry[];
}

type ApiEnv = { Variables: { world: World } };

/** Real LlamaCloud keys look like `llx-…`; anything else is refused like a wrong key. */
export function looksLikeLlamaCloudKey(key: string): boolean {
  return /^llx-\S+$/.test(key);
}

export function bearerKey(header: string | undefined): string | null {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

interface Target {
  endpoint: Endpoint | null;
  jobId: string | null;
}

function targetOf(method: string, pathname: string): Target {
  const rest = pathname.slice(API_PREFIX.length).replace(/\/$/, "");
  if (rest === "") return { endpoint: method === "GET" ? "list" : null, jobId: null };
  const match = rest.match(/^\/([^/]+)(?:\/(items|cancel))?$/);
  if (!match?.[1]) return { endpoint: null, jobId: null };
  const jobId = decodeURIComponent(match[1]);
  const endpoint: Endpoint | null =
    match[2] === "items" && method === "GET"
      ? "items"
      : match[2] === "cancel" && method === "POST"
        ? "cancel"
        : match[2] === undefined && method === "GET"
          ? "status"
          : null;
  return { endpoint, jobId };
}

export function apiRoutes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  // Auth, request log and faults wrap every upstream route, in the order a real API applies them:
  // a request without a valid key never reaches rate limits or handlers.
  app.use(`${API_PREFIX}/*`, async (c, next) => {
    const url = new URL(c.req.url);
    const target = targetOf(c.req.method, url.pathname);
    const header = c.req.header("authorization");
    const key = bearerKey(header);
    const entry = {
      method: c.req.method,
      path: url.pathname,
      endpoint: target.endpoint,
      job_id: target.jobId,
      query: Object.fromEntries(url.searchParams),
      authorization_present: header !== undefined,
      fault: null as Fault["spec"]["kind"] | null,
    };
    if (key === null) {
      const at = new Date().toISOString();
      deps.anonymousLog.push({ seq: deps.anonymousLog.length + 1, at, ...entry, status: 401 });
      return c.json({ detail: "Not authenticated" }, 401, { "www-authenticate": "Bearer" });
    }
    const world = deps.worlds.get(key);
    const log = (status: number) =>
      world.logRequest({ ...entry, at: new Date(world.now()).toISOString(), status });
    if (!deps.acceptKey(key) || world.config.revoked) {
      log(401);
      return c.json({ detail: "Invalid API key" }, 401);
    }
    world.sync();
    const { delayMs, fault } = target.endpoint
      ? takeFaults(world.faults, { endpoint: target.endpoint, jobId: target.jobId })
      : { delayMs: 0, fault: null };
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    entry.fault = fault?.spec.kind ?? (delayMs > 0 ? "latency" : null);
    const replacement = fault ? faultResponse(fault, Date.now()) : null;
    if (replacement) {
      log(replacement.status);
      return replacement;
    }
    c.set("world", world);
    await next();
    if (fault) c.res = await alterResponse(fault, c.res);
    log(c.res.status);
  });

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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** FastAPI's 422 body for one bad input. */
function validationError(loc: string[], msg: string, input: unknown) {
  return { detail: [{ type: "value_error", loc, msg, input }] };
}

/** Checks paging and enum filters the way FastAPI would, answering its 422 body on the first problem. */
function validateQuery(query: Record<string, string>, enums: Record<string, readonly string[]>) {
  for (const [name, min, max] of [
    ["limit", 1, 1000],
    ["offset", 0, Number.MAX_SAFE_INTEGER],
  ] as const) {
    const raw = query[name];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      return validationError(["query", name], `Input should be an integer between ${min} and ${max}`, raw);
    }
  }
  for (const [name, allowed] of Object.entries(enums)) {
    const raw = query[name];
    if (raw !== undefined && raw !== "" && !allowed.includes(raw)) {
      return validationError(
        ["query", name],
        `Input should be ${allowed.map((v) => `'${v}'`).join(", ")}`,
        raw,
      );
    }
  }
  return null;
}
