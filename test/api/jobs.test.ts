import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { call, client, expectError, expectJson, READ_TOKEN, world } from "../helpers/app";
import { countRows, insertJob, insertJobs, resetDatabase } from "../helpers/d1";
import { history, job, pollNow, trackRunning } from "../helpers/jobs";
import { tick } from "../helpers/tick";
import { MINUTE } from "../helpers/time";
import { upstream } from "../helpers/upstream";

async function stored(): Promise<{ jobs: number; snapshots: number }> {
  return { jobs: await countRows("jobs"), snapshots: await countRows("snapshots") };
}

beforeEach(resetDatabase);

describe("POST /api/jobs", () => {
  it("tracks a job, polling it once inline", async () => {
    const w = world("track");
    await upstream(w).createJob({ id: "bjb-t1", total_items: 50, start_at: "running", project_id: "proj-1" });
    const res = await client(w).api.jobs.$post({
      json: { job_id: "bjb-t1", project_id: "proj-1", organization_id: "org-1", label: "Invoices Q3" },
    });
    const { job } = await expectJson(res, 201);
    expect(res.headers.get("cache-control")).toBe("no-store");
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

    const snapshots = await history(w, "bjb-t1");
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]).toMatchObject({ source: "track", status: "running", job_id: "bjb-t1" });
  });

  it("answers 200 with the same job when it is already tracked, and polls nothing", async () => {
    const w = world("track-twice");
    const first = await trackRunning(w, "bjb-t2", { label: "first" });
    const again = await client(w).api.jobs.$post({ json: { job_id: "bjb-t2", label: "second" } });
    expect((await expectJson(again, 200)).job).toEqual(first);
    expect(await upstream(w).statusRequests("bjb-t2")).toHaveLength(1);
    expect(await stored()).toEqual({ jobs: 1, snapshots: 1 });
  });

  it("creates one job when two track requests race", async () => {
    const w = world("track-race");
    await upstream(w).createJob({ id: "bjb-race", start_at: "running" });
    const send = () => client(w).api.jobs.$post({ json: { job_id: "bjb-race" } });
    const statuses = (await Promise.all([send(), send(), send()])).map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(await stored()).toEqual({ jobs: 1, snapshots: 1 });
  });

  it("answers 422 upstream_not_found and stores nothing for a job LlamaCloud does not know", async () => {
    const w = world("track-404");
    const res = await client(w).api.jobs.$post({ json: { job_id: "bjb-nobody" } });
    await expectError(res, 422, "upstream_not_found");
    expect(await stored()).toEqual({ jobs: 0, snapshots: 0 });
  });

  it.each([422, 400])(
    "answers 422 upstream_not_found and stores nothing when LlamaCloud refuses the lookup with %i",
    async (status) => {
      const w = world(`track-refused-${status}`);
      await upstream(w).createJob({ id: "bjb-refused", start_at: "running" });
      await upstream(w).fault({ kind: "bad_request", status, times: 1 });
      const res = await client(w).api.jobs.$post({
        json: { job_id: "bjb-refused", project_id: "not-a-uuid" },
      });
      const error = await expectError(res, 422, "upstream_not_found");
      expect(error.message).toContain(`HTTP ${status}`);
      expect(await stored()).toEqual({ jobs: 0, snapshots: 0 });
    },
  );

  it("takes null for an optional field as not given", async () => {
    const w = world("track-nulls");
    await upstream(w).createJob({ id: "bjb-nulls", start_at: "running" });
    const res = await client(w).api.jobs.$post({
      json: { job_id: "bjb-nulls", project_id: null, organization_id: null, label: null },
    });
    const { job } = await expectJson(res, 201);
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
    const res = await client(w).api.jobs.$post({ json: { job_id: "bjb-flaky" } });
    const { job } = await expectJson(res, 201);
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
    const reader = client(w, { authorization: `Bearer ${READ_TOKEN}` });
    const res = await reader.api.jobs[":job_id"].$get({ param: { job_id: "bjb-get" } });
    expect((await expectJson(res, 200)).job.id).toBe("bjb-get");
    expect((await client(w).api.jobs[":job_id"].$get({ param: { job_id: "bjb-other" } })).status).toBe(404);
  });

  it("walks every page of the job list newest first without gaps or duplicates", async () => {
    const w = world("list");
    const ids = Array.from({ length: 23 }, (_, i) => `bjb-list-${String(i).padStart(2, "0")}`);
    // Same tracked_at for several jobs, so the cursor's tie-break on job_id is exercised.
    await insertJobs(
      ids.map((jobId, i) => ({
        jobId,
        trackedAt: 1_000 + Math.floor(i / 4),
        status: i % 3 === 0 ? "completed" : "running",
        nextPollAt: null,
      })),
    );
    const list = async (query: { limit: string; status?: string; cursor?: string }) =>
      expectJson(client(w).api.jobs.$get({ query }), 200);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(cursor ? { limit: "5", cursor } : { limit: "5" });
      seen.push(...page.jobs.map((j) => j.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor && pages < 20);
    expect(pages).toBe(5);
    expect(seen).toEqual([...ids].sort().reverse());

    const completed = await list({ status: "completed", limit: "200" });
    expect(completed.jobs.map((j) => j.id)).toEqual(ids.filter((_, i) => i % 3 === 0).reverse());
    expect(completed.next_cursor).toBeNull();
  });

  it("treats empty query values as not given", async () => {
    const w = world("empty-query");
    await trackRunning(w, "bjb-eq");
    const res = await client(w).api.jobs.$get({ query: { status: "", state: "", limit: "", cursor: "" } });
    expect((await expectJson(res, 200)).jobs.map((j) => j.id)).toEqual(["bjb-eq"]);
    const snapshots = await client(w).api.jobs[":job_id"].history.$get({
      param: { job_id: "bjb-eq" },
      query: { since: "", until: "", limit: "" },
    });
    expect(snapshots.status).toBe(200);
  });

  it("walks a job's history by pages and filters it by time", async () => {
    const w = world("history");
    await insertJob({ jobId: "bjb-h", trackedAt: 1 });
    const base = Date.parse("2026-11-01T00:00:00Z");
    const times = Array.from({ length: 30 }, (_, i) => base + Math.floor(i / 2) * MINUTE);
    await env.DB.batch(
      times.map((t, i) =>
        env.DB.prepare(
          "insert into snapshots (job_id, observed_at, source, status, processed_items) values ('bjb-h', ?, 'poll', 'running', ?)",
        ).bind(t, i),
      ),
    );
    const historyPage = async (query: { limit?: string; cursor?: string; since?: string; until?: string }) =>
      expectJson(client(w).api.jobs[":job_id"].history.$get({ param: { job_id: "bjb-h" }, query }), 200);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await historyPage(cursor ? { limit: "7", cursor } : { limit: "7" });
      seen.push(...page.snapshots.map((s) => s.processed_items ?? -1));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 30 }, (_, i) => 29 - i));

    const since = new Date(base + 10 * MINUTE).toISOString();
    const until = new Date(base + 12 * MINUTE).toISOString();
    const window = await historyPage({ since, until });
    expect(window.snapshots.map((s) => s.processed_items)).toEqual([25, 24, 23, 22, 21, 20]);
  });
});

describe("changing jobs", () => {
  it("polls now on request, recording a manual snapshot", async () => {
    const w = world("manual");
    await trackRunning(w, "bjb-m");
    await upstream(w).advance("bjb-m");
    const res = await pollNow(w, "bjb-m");
    const { job } = await expectJson(res, 200);
    expect(job.processed_items).toBeGreaterThan(0);
    expect((await history(w, "bjb-m")).map((s) => s.source)).toEqual(["manual", "track"]);
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
      const res = await pollNow(w, "bjb-mf");
      await expectError(res, status, code);
      const after = await job(w, "bjb-mf");
      expect(after.tracking.last_error?.code).toBe(kind);
      expect(after.tracking.consecutive_failures).toBe(1);
    },
  );

  it("answers 503 not_configured to a manual poll without an API key", async () => {
    const w = world("manual-no-key");
    await trackRunning(w, "bjb-nk");
    const unconfigured = { ...w, env: { ...w.env, LLAMA_CLOUD_API_KEY: undefined } };
    const res = await pollNow(unconfigured, "bjb-nk");
    await expectError(res, 503, "not_configured");
  });

  it("answers 409 when the job is being polled by someone else right now", async () => {
    const w = world("busy");
    await trackRunning(w, "bjb-busy");
    await env.DB.prepare("update jobs set lease_token = 'tick', lease_until = ? where job_id = 'bjb-busy'")
      .bind(Date.now() + MINUTE)
      .run();
    const res = await pollNow(w, "bjb-busy");
    await expectError(res, 409, "conflict");
  });

  it("stops tracking and deletes the history", async () => {
    const w = world("delete");
    await trackRunning(w, "bjb-del");
    await trackRunning(w, "bjb-keep");
    const jobs = client(w).api.jobs[":job_id"];
    const res = await jobs.$delete({ param: { job_id: "bjb-del" } });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(await stored()).toEqual({ jobs: 1, snapshots: 1 });
    expect((await jobs.$get({ param: { job_id: "bjb-del" } })).status).toBe(404);
    await tick(w, Date.now() + 5 * MINUTE);
    expect(await upstream(w).statusRequests("bjb-del")).toHaveLength(1);
  });
});

describe("service routes", () => {
  it("reports health without auth", async () => {
    const w = world("healthz");
    await trackRunning(w, "bjb-hz");
    const res = await client(w, {}).healthz.$get();
    expect(res.status).toBe(200);
    // problems holds the unsigned-callbacks warning here; test/api/health.test.ts covers it.
    expect(await res.json()).toMatchObject({ ok: true, last_tick_at: null, active_jobs: 1 });
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
