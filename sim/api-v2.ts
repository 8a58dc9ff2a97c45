// LlamaCloud's current (v2) endpoints, as the simulator serves them: batches (get, list, cancel) and
// the parse and extract job lists a batch's children are read through. Auth, log and faults are the
// same gate as v1's; errors are FastAPI's `{"detail": …}`.

import { Hono } from "hono";
import {
  BadPageToken,
  batchJson,
  childCreatedAtMs,
  childJson,
  cursorPage,
  type Listed,
} from "./batch-answers";
import {
  BATCH_STATUSES,
  CHILD_STATUSES,
  type ChildJobJson,
  type ChildJobType,
  type SimBatch,
} from "./batch-model";
import { CannotCancelBatch, cancelBatch } from "./batches";
import { detail } from "./faults";
import type { Endpoint } from "./model";
import {
  type ApiDeps,
  type ApiEnv,
  badEnum,
  badInteger,
  type Target,
  upstreamGate,
  validationError,
} from "./upstream";
import type { World } from "./world";

export const V2_PREFIX = "/api/v2";
const BATCHES = `${V2_PREFIX}/batches`;
const CHILD_LISTS: Record<string, ChildJobType> = {
  [`${V2_PREFIX}/parse`]: "parse_v2",
  [`${V2_PREFIX}/extract`]: "extract_v2",
};
/** The most a list answers per page, and the most `job_ids` one child list request may name. */
export const MAX_PAGE_SIZE = 100;
const DEFAULT_PAGE_SIZE = 50;

function targetOf(method: string, url: URL, world: World | null): Target {
  const path = url.pathname.replace(/\/$/, "");
  const plain = (endpoint: Endpoint | null, jobId: string | null = null): Target => ({
    endpoint,
    jobId,
    jobIds: null,
    notFound: "Batch not found",
  });
  if (path === BATCHES) return plain(method === "GET" ? "batches" : null);
  const batch = path.slice(BATCHES.length).match(/^\/([^/]+)(\/cancel)?$/);
  if (path.startsWith(`${BATCHES}/`) && batch?.[1]) {
    const id = decodeURIComponent(batch[1]);
    if (batch[2] === undefined) return plain(method === "GET" ? "batch" : null, id);
    return plain(method === "POST" ? "batch_cancel" : null, id);
  }
  if (CHILD_LISTS[path] && method === "GET") {
    const ids = url.searchParams.getAll("job_ids");
    const batches = [...new Set(ids.flatMap((id) => world?.childJobs.get(id)?.batch.id ?? []))];
    return {
      endpoint: "children",
      jobId: batches[0] ?? null,
      jobIds: ids,
      about: [...ids, ...batches],
      notFound: "Not Found",
    };
  }
  return plain(null);
}

export function apiV2Routes(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  app.use(`${V2_PREFIX}/*`, upstreamGate(deps, targetOf));
  app.onError((error, c) => {
    if (error instanceof BadPageToken) return c.json({ detail: error.message }, 400);
    throw error;
  });

  app.get(BATCHES, (c) => {
    const query = c.req.query();
    const invalid = badListQuery(query, BATCH_STATUSES);
    if (invalid) return c.json(invalid, 422);
    const entries: Listed<unknown>[] = [];
    for (const batch of c.var.world.batches.values()) {
      const json = batchJson(batch, { results: false });
      if (query.project_id && json.project_id !== query.project_id) continue;
      if (query.source_directory_id && json.source_directory_id !== query.source_directory_id) continue;
      if (query.status && json.status !== query.status) continue;
      if (!createdWithin(query, batch.createdAtMs)) continue;
      entries.push({ createdAtMs: batch.createdAtMs, id: batch.id, json });
    }
    return c.json(cursorPage(entries, pageSize(query), query.page_token));
  });

  app.get(`${BATCHES}/:batchId`, (c) => {
    const batch = c.var.world.batches.get(c.req.param("batchId"));
    if (!batch) return detail(404, "Batch not found");
    // The SDK sends `expand=results` (repeated for several); a comma list is accepted too.
    const expand = c.req.queries("expand")?.flatMap((value) => value.split(",")) ?? [];
    return c.json(batchJson(batch, { results: expand.includes("results") }));
  });

  app.post(`${BATCHES}/:batchId/cancel`, (c) => {
    const { world } = c.var;
    const batch = world.batches.get(c.req.param("batchId"));
    if (!batch) return detail(404, "Batch not found");
    try {
      world.announceBatch(cancelBatch(batch, world.now()));
    } catch (error) {
      if (error instanceof CannotCancelBatch) return detail(400, error.message);
      throw error;
    }
    return c.json(batchJson(batch, { results: false }));
  });

  for (const [path, type] of Object.entries(CHILD_LISTS)) {
    app.get(path, (c) => {
      const query = c.req.query();
      const ids = (c.req.queries("job_ids") ?? []).filter((id) => id !== "");
      if (ids.length > MAX_PAGE_SIZE) {
        const msg = `List should have at most ${MAX_PAGE_SIZE} items after validation, not ${ids.length}`;
        return c.json(validationError(["query", "job_ids"], msg, ids.length), 422);
      }
      const invalid = badListQuery(query, CHILD_STATUSES[type]);
      if (invalid) return c.json(invalid, 422);
      const entries: Listed<ChildJobJson>[] = [];
      for (const { batch, file } of childrenOf(c.var.world, type, ids)) {
        const json = childJson(batch, file);
        if (!json) continue;
        if (query.project_id && json.project_id !== query.project_id) continue;
        if (query.status && json.status !== query.status) continue;
        const createdAtMs = childCreatedAtMs(batch, file);
        if (!createdWithin(query, createdAtMs)) continue;
        entries.push({ createdAtMs, id: json.id, json });
      }
      return c.json(cursorPage(entries, pageSize(query), query.page_token));
    });
  }

  app.all(`${V2_PREFIX}/*`, () => detail(404, "Not Found"));
  return app;
}

/** The jobs a child list may show: those named by `job_ids`, or every job of that product. */
function* childrenOf(
  world: World,
  type: ChildJobType,
  ids: string[],
): Iterable<{ batch: SimBatch; file: number }> {
  if (ids.length > 0) {
    for (const id of new Set(ids)) {
      const child = world.childJobs.get(id);
      if (child && child.batch.jobType === type) yield child;
    }
    return;
  }
  for (const batch of world.batches.values()) {
    if (batch.jobType !== type) continue;
    for (let file = 0; file < batch.plan.totalFiles; file++) yield { batch, file };
  }
}

function badListQuery(query: Record<string, string>, statuses: readonly string[]) {
  const range = ["created_at_on_or_after", "created_at_on_or_before"].find(
    (name) => query[name] !== undefined && Number.isNaN(Date.parse(query[name] ?? "")),
  );
  if (range) return validationError(["query", range], "Input should be a valid datetime", query[range]);
  return badInteger(query, "page_size", 1, MAX_PAGE_SIZE) ?? badEnum(query, "status", statuses);
}

function pageSize(query: Record<string, string>): number {
  return query.page_size ? Number(query.page_size) : DEFAULT_PAGE_SIZE;
}

function createdWithin(query: Record<string, string>, createdAtMs: number): boolean {
  const after = query.created_at_on_or_after;
  const before = query.created_at_on_or_before;
  return (!after || createdAtMs >= Date.parse(after)) && (!before || createdAtMs <= Date.parse(before));
}
