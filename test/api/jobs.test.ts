import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import type { JobJson, SnapshotJson } from "../../src/http/shapes";
import {
  admin,
  call,
  errorOf,
  MINUTE,
  READ_TOKEN,
  resetDatabase,
  tick,
  upstream,
  type World,
  world,
} from "../helpers";

type JobAnswer = { job: JobJson };
type JobPage = { jobs: JobJson[]; next_cursor: string | null };
type SnapshotPage = { snapshots: SnapshotJson[]; next_cursor: string | null };

async function stored(): Promise<{ jobs: number; snapshots: number }> {
  const [jobs, snapshots] = await env.DB.batch<{ n: number }>([
    env.DB.prepare("select count(*) as n from jobs"),
    env.DB.prepare("select count(*) as n from snapshots"),
  ]);
  return { jobs: jobs?.results[0]?.n ?? -1, snapshots: snapshots?.results[0]?.n ?? -1 };
}

async function trackRunning(w: World, id: string, body: Record<string, unknown> = {}) {
  await upstream(w).createJob({ id, total_items: 50, items_per_step: 5, start_at: "running" });
  return admin(w, "/api/jobs", { method: "POST", json: { job_id: id, ...body } });
}

beforeEach(resetDatabase);

describe("POST /api/jobs", () => {
  it("tracks a job, polling it once inline", async () => {
    const w = world("track");
    await upstream(w).createJob({ id: "bjb-t1", total_items: 50, start_at: "running", project_id: "proj-1" });
    const res = await admin(w, "/api/jobs", {
      method: "POST",
      json: { job_id: "bjb-t1", project_id: "proj-1", organization_id: "org-1", label: "Invoices Q3" },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const { job } = (await res.json()) as JobAnswer;
    expect(job).toMatchObject({
      id: "bjb-t1",
      status: "running",
      total_items: 50,
      label: "Invoices Q3",
      project_id: "proj-1",
      organization_id: "org-1",
      tracking: { state: "active", consecutive_failures: 0, last_error: null, stalled_since: null },
    });
    expect(job.tracking.last_success_at).toBe(job.tracking.tracked_at);
    const [request] = await upstream(w).statusRequests("bjb-t1");
    expect(request?.query).toMatchObject({ project_id: "proj-1", organization_id: "org-1" });

    const history = (await (await admin(w, "/api/jobs/bjb-t1/history")).json()) as SnapshotPage;
    expect(history.snapshots).toHaveLength(1);
    expect(history.snapshots[0]).toMatchObject({ source: "track", status: "running", job_id: "bjb-t1" });
  });

  it("answers 200 with the same job when it is already tracked, and polls nothing", async () => {
    const w = world("track-twice");
    const first = (await (await trackRunning(w, "bjb-t2", { label: "first" })).json()) as JobAnswer;
    const again = await admin(w, "/api/jobs", {
      method: "POST",
      json: { job_id: "bjb-t2", label: "second" },
    });
    expect(again.status).toBe(200);
    expect(((await again.json()) as JobAnswer).job).toEqual(first.job);
    expect(await upstream(w).statusRequests("bjb-t2")).toHaveLength(1);
    expect(await stored()).toEqual({ jobs: 1, snapshots: 1 });
  });

  it("creates one job when two track requests race", async () => {
    const w = world("track-race");
    await upstream(w).createJob({ id: "bjb-race", start_at: "running" });
    const send = () => admin(w, "/api/jobs", { method: "POST", json: { job_id: "bjb-race" } });
    const statuses = (await Promise.all([send(), send(), send()])).map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(await stored()).toEqual({ jobs: 1, snapshots: 1 });
  });

  it("answers 422 upstream_not_found and stores nothing for a job LlamaCloud does not know", async () => {
    const w = world("track-404");
    const res = await admin(w, "/api/jobs", { method: "POST", json: { job_id: "bjb-nobody" } });
    expect(res.status).toBe(422);
    expect((await errorOf(res)).code).toBe("upstream_not_found");
    expect(await stored()).toEqual({ jobs: 0, snapshots: 0 });
  });

  it.each([422, 400])(
    "answers 422 upstream_not_found and stores nothing when LlamaCloud refuses the lookup with %i",
    async (status) => {
      const w = world(`track-refused-${status}`);
      await upstream(w).createJob({ id: "bjb-refused", start_at: "running" });
      await upstream(w).fault({ kind: "bad_request", status, times: 1 });
      const res = await admin(w, "/api/jobs", {
        method: "POST",
        json: { job_id: "bjb-refused", project_id: "not-a-uuid" },
      });
      expect(res.status).toBe(422);
      const error = await errorOf(res);
      expect(error.code).toBe("upstream_not_found");
      expect(error.message).toContain(`HTTP ${status}`);
      expect(await stored()).toEqual({ jobs: 0, snapshots: 0 });
    },
  );

  it("takes null for an optional field as not given", async () => {
    const w = world("track-nulls");
    await upstream(w).createJob({ id: "bjb-nulls", start_at: "running" });
    const res = await admin(w, "/api/jobs", {
      method: "POST",
      json: { job_id: "bjb-nulls", project_id: null, organization_id: null, label: null },
    });
    expect(res.status).toBe(201);
    const { job } = (await res.json()) as JobAnswer;
    expect(job).toMatchObject({ id: "bjb-nulls", label: null, organization_id: null });
    const [request] = await upstream(w).statusRequests("bjb-nulls");
    expect(request?.query).not.toHaveProperty("project_id");
  });

  it.each([
    ["server_error", { kind: "server_error", status: 500 }],
    ["rate_limited", { kind: "rate_limit", retry_after: 30 }],
    ["malformed", { kind: "malformed" }],
  ] as const)("tracks anyway on %s, with the error recorded and a later poll", async (code, fault) => {
    const w = world(`track-${code}`);
    await upstream(w).createJob({ id: "bjb-flaky", start_at: "running" });
    await upstream(w).fault({ ...fault, times: 1 });
    const res = await admin(w, "/api/jobs", { method: "POST", json: { job_id: "bjb-flaky" } });
    expect(res.status).toBe(201);
    const { job } = (await res.json()) as JobAnswer;
    expect(job.status).toBeNull();
    expect(job.tracking.last_error?.code).toBe(code);
    expect(job.tracking.next_poll_at).not.toBeNull();
    expect(await stored()).toEqual({ jobs: 1, snapshots: 0 });
  });
});

describe("reading jobs", () => {
  it("returns one job, and 404 for an untracked one", async () => {
    const w = world("get");
    await trackRunning(w, "bjb-get");
    const res = await call(w, "/api/jobs/bjb-get", { headers: { authorization: `Bearer ${READ_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobAnswer).job.id).toBe("bjb-get");
    expect((await admin(w, "/api/jobs/bjb-other")).status).toBe(404);
  });

  it("walks every page of the job list newest first without gaps or duplicates", async () => {
    const w = world("list");
    const ids = Array.from({ length: 23 }, (_, i) => `bjb-list-${String(i).padStart(2, "0")}`);
    // Same tracked_at for several jobs, so the cursor's tie-break on job_id is exercised.
    await env.DB.batch(
      ids.map((id, i) =>
        env.DB.prepare(
          "insert into jobs (job_id, state, tracked_at, status, next_poll_at) values (?, 'active', ?, ?, null)",
        ).bind(id, 1_000 + Math.floor(i / 4), i % 3 === 0 ? "completed" : "running"),
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=5&cursor=${encodeURIComponent(cursor)}` : "?limit=5";
      const page = (await (await admin(w, `/api/jobs${query}`)).json()) as JobPage;
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBe(5);
    expect(seen).toEqual([...ids].sort().reverse());

    const completed = (await (await admin(w, "/api/jobs?status=completed&limit=200")).json()) as JobPage;
    expect(completed.jobs.map((j) => j.id)).toEqual(ids.filter((_, i) => i % 3 === 0).reverse());
    expect(completed.next_cursor).toBeNull();
  });

  it("treats empty query values as not given", async () => {
    const w = world("empty-query");
    await trackRunning(w, "bjb-eq");
    const res = await admin(w, "/api/jobs?status=&state=&limit=&cursor=");
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobPage).jobs.map((j) => j.id)).toEqual(["bjb-eq"]);
    const history = await admin(w, "/api/jobs/bjb-eq/history?since=&until=&limit=");
    expect(history.status).toBe(200);
  });

  it("walks a job's history by pages and filters it by time", async () => {
    const w = world("history");
    await env.DB.prepare("insert into jobs (job_id, state, tracked_at) values ('bjb-h', 'active', 1)").run();
    const base = Date.parse("2026-11-01T00:00:00Z");
    const times = Array.from({ length: 30 }, (_, i) => base + Math.floor(i / 2) * MINUTE);
    await env.DB.batch(
      times.map((t, i) =>
        env.DB.prepare(
          "insert into snapshots (job_id, observed_at, source, status, processed_items) values ('bjb-h', ?, 'poll', 'running', ?)",
        ).bind(t, i),
      ),
    );
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=7&cursor=${encodeURIComponent(cursor)}` : "?limit=7";
      const page = (await (await admin(w, `/api/jobs/bjb-h/history${query}`)).json()) as SnapshotPage;
      seen.push(...page.snapshots.map((s) => s.processed_items ?? -1));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));

    const since = new Date(base + 10 * MINUTE).toISOString();
    const until = new Date(base + 12 * MINUTE).toISOString();
    const window = (await (
      await admin(w, `/api/jobs/bjb-h/history?since=${since}&until=${until}`)
    ).json()) as SnapshotPage;
    expect(window.snapshots.map((s) => s.processed_items)).toEqual([25, 24, 23, 22, 21, 20]);
  });
});

describe("changing jobs", () => {
  it("polls now on request, recording a manual snapshot", async () => {
    const w = world("manual");
    await trackRunning(w, "bjb-m");
    await upstream(w).advance("bjb-m");
    const res = await admin(w, "/api/jobs/bjb-m/poll", { method: "POST" });
    expect(res.status).toBe(200);
    const { job } = (await res.json()) as JobAnswer;
    expect(job.processed_items).toBeGreaterThan(0);
    const history = (await (await admin(w, "/api/jobs/bjb-m/history")).json()) as SnapshotPage;
    expect(history.snapshots.map((s) => s.source)).toEqual(["manual", "track"]);
  });

  it.each([
    ["server_error", { kind: "server_error", status: 500 }, 502, "upstream_error"],
    ["malformed", { kind: "malformed" }, 502, "upstream_error"],
    ["not_found", { kind: "not_found" }, 422, "upstream_not_found"],
  ] as const)(
    "answers a manual poll that hits %s with %i, and records it",
    async (kind, fault, status, code) => {
      const w = world(`manual-${kind}`);
      await trackRunning(w, "bjb-mf");
      await upstream(w).fault({ ...fault, times: 1 });
      const res = await admin(w, "/api/jobs/bjb-mf/poll", { method: "POST" });
      expect(res.status).toBe(status);
      expect((await errorOf(res)).code).toBe(code);
      const after = ((await (await admin(w, "/api/jobs/bjb-mf")).json()) as JobAnswer).job;
      expect(after.tracking.last_error?.code).toBe(kind);
      expect(after.tracking.consecutive_failures).toBe(1);
    },
  );

  it("answers 503 not_configured to a manual poll without an API key", async () => {
    const w = world("manual-no-key");
    await trackRunning(w, "bjb-nk");
    const res = await admin(
      { ...w, env: { ...w.env, LLAMA_CLOUD_API_KEY: undefined } },
      "/api/jobs/bjb-nk/poll",
      {
        method: "POST",
      },
    );
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("not_configured");
  });

  it("answers 409 when the job is being polled by someone else right now", async () => {
    const w = world("busy");
    await trackRunning(w, "bjb-busy");
    await env.DB.prepare("update jobs set lease_token = 'tick', lease_until = ? where job_id = 'bjb-busy'")
      .bind(Date.now() + MINUTE)
      .run();
    const res = await admin(w, "/api/jobs/bjb-busy/poll", { method: "POST" });
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("conflict");
  });

  it("stops tracking and deletes the history", async () => {
    const w = world("delete");
    await trackRunning(w, "bjb-del");
    await trackRunning(w, "bjb-keep");
    const res = await admin(w, "/api/jobs/bjb-del", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await stored()).toEqual({ jobs: 1, snapshots: 1 });
    expect((await admin(w, "/api/jobs/bjb-del")).status).toBe(404);
    await tick(w, Date.now() + 5 * MINUTE);
    expect(await upstream(w).statusRequests("bjb-del")).toHaveLength(1);
  });
});

describe("service routes", () => {
  it("reports health without auth", async () => {
    const w = world("healthz");
    await trackRunning(w, "bjb-hz");
    const res = await call(w, "/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, last_tick_at: null, active_jobs: 1 });
  });

  it("serves an OpenAPI document describing every route", async () => {
    const w = world("openapi");
    const doc = (await (await call(w, "/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    expect(doc.openapi).toBe("3.1.0");
    // Auth is part of the document: writes need the bearer token; reads take bearer, basic or (PUBLIC_READ) nothing.
    expect(doc.paths["/api/jobs"]?.post?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/api/jobs"]?.get?.security).toEqual([{ bearer: [] }, { basic: [] }, {}]);
    expect(Object.keys(doc.paths).sort()).toEqual(
      expect.arrayContaining([
        "/api/jobs",
        "/api/jobs/{job_id}",
        "/api/jobs/{job_id}/history",
        "/api/jobs/{job_id}/poll",
        "/healthz",
      ]),
    );
  });
});
