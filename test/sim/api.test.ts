import { describe, expect, it } from "vitest";
import { simTenant } from "./helpers";

// The simulator's upstream API and control routes, reached the way the worker reaches them: a plain
// fetch from inside workerd, answered by miniflare's outboundService in Node.

const BASE = "http://llamacloud.test/api/v1/beta/batch-processing";

const tenant = (name: string) => simTenant(name, BASE);

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

const JOB_FIELDS = [
  "id",
  "job_type",
  "project_id",
  "status",
  "total_items",
  "completed_at",
  "created_at",
  "directory_id",
  "effective_at",
  "error_message",
  "failed_items",
  "job_record_id",
  "processed_items",
  "skipped_items",
  "started_at",
  "updated_at",
  "workflow_id",
];

describe("the test network", () => {
  it("routes llamacloud.test to the simulator and refuses every other host", async () => {
    expect(await json(await fetch("http://llamacloud.test/__sim/health"))).toEqual({ ok: true });
    const elsewhere = await fetch("https://api.cloud.llamaindex.ai/api/v1/beta/batch-processing/bjb-1");
    expect(elsewhere.status).toBe(502);
    expect(await elsewhere.text()).toContain("no route to api.cloud.llamaindex.ai");
  });
});

describe("upstream auth", () => {
  it("answers 401 without a key, with a key LlamaCloud would not issue, and for a revoked key", async () => {
    const { sim, get } = tenant("auth");
    const job = await sim.createJob();
    const none = await fetch(`${BASE}/${job.id}`);
    expect(none.status).toBe(401);
    expect(await json(none)).toEqual({ detail: "Not authenticated" });
    const anonymous = await json<{ requests: { job_id: string; authorization_present: boolean }[] }>(
      await fetch("http://llamacloud.test/__sim/anonymous-requests"),
    );
    expect(anonymous.requests.some((r) => r.job_id === job.id && !r.authorization_present)).toBe(true);

    const wrong = await fetch(`${BASE}/${job.id}`, {
      headers: { authorization: "Bearer not-a-llamacloud-key" },
    });
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toEqual({ detail: "Invalid API key" });

    expect((await get(`/${job.id}`)).status).toBe(200);
    await sim.setConfig({ revoked: true });
    expect((await get(`/${job.id}`)).status).toBe(401);
    expect((await sim.requests({ job_id: job.id })).map((r) => r.status)).toEqual([200, 401]);
  });
});

describe("status", () => {
  it("answers {job, progress_percentage} with every contract field, and 404 once deleted", async () => {
    const { sim, get } = tenant("status");
    const job = await sim.createJob({ total_items: 4, start_at: "running", project_id: "prj-1" });
    await sim.advance(job.id);
    const answer = await json<{ job: Record<string, unknown>; progress_percentage: number }>(
      await get(`/${job.id}?project_id=prj-1&organization_id=org-1`),
    );
    expect(Object.keys(answer.job).sort()).toEqual([...JOB_FIELDS].sort());
    expect(answer.job).toMatchObject({
      id: job.id,
      status: "running",
      processed_items: 1,
      project_id: "prj-1",
    });
    expect(answer.progress_percentage).toBe(25);

    const [logged] = await sim.requests({ job_id: job.id });
    expect(logged).toMatchObject({
      method: "GET",
      endpoint: "status",
      query: { project_id: "prj-1", organization_id: "org-1" },
      authorization_present: true,
      status: 200,
      fault: null,
    });

    await sim.deleteJob(job.id);
    const gone = await get(`/${job.id}`);
    expect(gone.status).toBe(404);
    expect(await json(gone)).toEqual({ detail: "Batch job not found" });
  });

  it("shows unknown statuses, extra fields and missing optional fields when told to", async () => {
    const { sim, get } = tenant("patch");
    const job = await sim.createJob({ start_at: "running" });
    await sim.patchJob(job.id, {
      status: "paused_for_review",
      updated_at: "2020-01-01T00:00:00Z",
      extra: { reviewer: "ada" },
      omit: ["workflow_id", "error_message"],
    });
    const answer = await json<{ job: Record<string, unknown> }>(await get(`/${job.id}`));
    expect(answer.job).toMatchObject({
      status: "paused_for_review",
      updated_at: "2020-01-01T00:00:00Z",
      reviewer: "ada",
    });
    expect(answer.job).not.toHaveProperty("workflow_id");
    expect(answer.job).not.toHaveProperty("error_message");
  });
});

describe("list", () => {
  it("filters, pages with limit/offset and total_size, newest first", async () => {
    const { sim, get } = tenant("list");
    for (let i = 0; i < 5; i++)
      await sim.createJob({ id: `bjb-list-${i}`, job_type: i % 2 ? "extract" : "parse" });
    await sim.advance("bjb-list-4", { to: "end" });

    const page = await json<{ items: { id: string }[]; total_size: number }>(await get("?limit=2&offset=1"));
    expect(page.total_size).toBe(5);
    expect(page.items).toHaveLength(2);
    const all = await json<{ items: { id: string }[] }>(await get(""));
    expect(all.items.map((job) => job.id)).toContain(page.items[0]?.id);

    const extract = await json<{ items: { id: string }[]; total_size: number }>(
      await get("?job_type=extract"),
    );
    expect(extract.items.map((job) => job.id).sort()).toEqual(["bjb-list-1", "bjb-list-3"]);
    const completed = await json<{ items: { id: string }[] }>(await get("?status=completed"));
    expect(completed.items.map((job) => job.id)).toEqual(["bjb-list-4"]);

    const bad = await get("?limit=0");
    expect(bad.status).toBe(422);
    expect(await json(bad)).toMatchObject({ detail: [{ loc: ["query", "limit"] }] });
  });
});

describe("items", () => {
  it("lists a job's items with status filter and paging", async () => {
    const { sim, get } = tenant("items");
    const job = await sim.createJob({ total_items: 9, finished_items: 6, skipped_every: 3 });
    const skipped = await json<{ items: { status: string; skip_reason: string }[]; total_size: number }>(
      await get(`/${job.id}/items?status=skipped`),
    );
    expect(skipped.total_size).toBe(2);
    expect(skipped.items.every((item) => item.status === "skipped" && item.skip_reason)).toBe(true);
    const page = await json<{ items: unknown[]; total_size: number }>(
      await get(`/${job.id}/items?limit=4&offset=8`),
    );
    expect(page).toMatchObject({ total_size: 9 });
    expect(page.items).toHaveLength(1);
    expect((await get("/bjb-nope/items")).status).toBe(404);
  });
});

describe("cancel", () => {
  it("cancels an active job once, answering the SDK's cancel shape", async () => {
    const { sim, get } = tenant("cancel");
    const job = await sim.createJob({ total_items: 10, finished_items: 3 });
    const post = (body?: unknown) =>
      get(`/${job.id}/cancel`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const first = await post({ reason: "not needed" });
    expect(await json(first)).toEqual({
      job_id: job.id,
      message: "Batch job cancelled: not needed",
      processed_items: 3,
      status: "cancelled",
    });
    expect((await json<{ job: { status: string } }>(await get(`/${job.id}`))).job.status).toBe("cancelled");
    const again = await post();
    expect(again.status).toBe(400);
    expect(((await json(again)) as { detail: string }).detail).toContain("cancelled");
  });
});

describe("faults", () => {
  it("rate limits with Retry-After in seconds or as an HTTP date, then recovers", async () => {
    const { sim, get } = tenant("rate");
    const job = await sim.createJob();
    await sim.injectFault({ kind: "rate_limit", job_id: job.id, retry_after: 120 });
    await sim.injectFault({
      kind: "rate_limit",
      job_id: job.id,
      retry_after: 60,
      retry_after_format: "http-date",
    });
    const first = await get(`/${job.id}`);
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("120");
    const second = await get(`/${job.id}`);
    expect(second.status).toBe(429);
    const date = Date.parse(second.headers.get("retry-after") ?? "");
    expect(date).toBeGreaterThan(Date.now() + 50_000);
    expect((await get(`/${job.id}`)).status).toBe(200);
    expect((await sim.requests({ job_id: job.id })).map((r) => r.fault)).toEqual([
      "rate_limit",
      "rate_limit",
      null,
    ]);
  });

  it("answers server errors: JSON 5xx from the API, HTML from a gateway", async () => {
    const { sim, get } = tenant("5xx");
    const job = await sim.createJob();
    await sim.injectFault({ kind: "server_error", status: 503 });
    await sim.injectFault({ kind: "server_error", status: 502 });
    const api = await get(`/${job.id}`);
    expect(api.status).toBe(503);
    expect(await json(api)).toEqual({ detail: "Internal Server Error" });
    const gateway = await get(`/${job.id}`);
    expect(gateway.status).toBe(502);
    expect(gateway.headers.get("content-type")).toContain("text/html");
  });

  it.each([
    ["truncated", (text: string) => expect(() => JSON.parse(text)).toThrow()],
    ["not_json", (text: string) => expect(text).toMatch(/^<html>/)],
    ["wrong_shape", (text: string) => expect(JSON.parse(text)).not.toHaveProperty("job")],
    ["empty", (text: string) => expect(text).toBe("")],
  ] as const)("breaks the body when malformed (%s), with a 200", async (variant, check) => {
    const { sim, get } = tenant(`malformed-${variant}`);
    const job = await sim.createJob();
    await sim.injectFault({ kind: "malformed", variant, job_id: job.id });
    const response = await get(`/${job.id}`);
    expect(response.status).toBe(200);
    check(await response.text());
  });

  it("shows an unknown status once, and delays answers", async () => {
    const { sim, get } = tenant("odd");
    const job = await sim.createJob();
    await sim.injectFault({ kind: "unknown_status", status_value: "archived" });
    await sim.injectFault({ kind: "latency", delay_ms: 300 });
    const started = Date.now();
    const answer = await json<{ job: { status: string } }>(await get(`/${job.id}`));
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(answer.job.status).toBe("archived");
    expect((await json<{ job: { status: string } }>(await get(`/${job.id}`))).job.status).toBe("pending");
  });

  it("answers 404 and 401 on request, scoped to one job and endpoint, as many times as asked", async () => {
    const { sim, get } = tenant("scoped");
    const a = await sim.createJob();
    const b = await sim.createJob();
    await sim.injectFault({ kind: "not_found", job_id: a.id, endpoint: "status", times: 2 });
    await sim.injectFault({ kind: "unauthorized", job_id: b.id, forever: true });
    expect((await get(`/${a.id}/items`)).status).toBe(200);
    expect((await get(`/${a.id}`)).status).toBe(404);
    expect((await get(`/${a.id}`)).status).toBe(404);
    expect((await get(`/${a.id}`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await get(`/${b.id}`)).status).toBe(401);
    const faults = await sim.faults();
    expect(faults.map((f) => [f.kind, f.remaining, f.used])).toEqual([
      ["not_found", 0, 2],
      ["unauthorized", null, 3],
    ]);
    await sim.clearFaults();
    expect((await get(`/${b.id}`)).status).toBe(200);
  });
});

describe("tenancy", () => {
  it("keeps jobs, faults and request logs apart per API key", async () => {
    const one = tenant("one");
    const two = tenant("two");
    await one.sim.createJob({ id: "bjb-shared-id", total_items: 1 });
    await two.sim.createJob({ id: "bjb-shared-id", total_items: 7 });
    await one.sim.injectFault({ kind: "server_error" });
    expect((await two.get("/bjb-shared-id")).status).toBe(200);
    expect((await one.get("/bjb-shared-id")).status).toBe(500);
    const seenByTwo = await json<{ job: { total_items: number } }>(await two.get("/bjb-shared-id"));
    expect(seenByTwo.job.total_items).toBe(7);
    expect(await two.sim.requestCount("bjb-shared-id")).toBe(2);
    expect(await one.sim.requestCount("bjb-shared-id")).toBe(1);
    await one.sim.reset();
    expect((await one.get("/bjb-shared-id")).status).toBe(404);
    expect((await two.get("/bjb-shared-id")).status).toBe(200);
  });
});

describe("clocks", () => {
  it("moves realtime jobs by elapsed time; the tenant clock can be fast-forwarded", async () => {
    const { sim, get } = tenant("clock");
    const job = await sim.createJob({
      mode: "realtime",
      total_items: 10,
      speed: 2,
      pending_ms: 0,
      dispatched_ms: 0,
    });
    const { changes } = await sim.advanceClock(2_000);
    expect(changes[0]?.after.processed_items).toBe(4);
    const answer = await json<{ job: { processed_items: number } }>(await get(`/${job.id}`));
    expect(answer.job.processed_items).toBeGreaterThanOrEqual(4);
    await sim.advanceClock(60_000);
    expect((await sim.job(job.id)).answer.job.status).toBe("completed");
  });

  it("moves manual jobs only through advance, up to a stage or the end", async () => {
    const { sim } = tenant("manual");
    const job = await sim.createJob({ total_items: 6, items_per_step: 2 });
    await sim.advanceClock(3_600_000);
    expect((await sim.job(job.id)).answer.job.status).toBe("pending");
    expect((await sim.advance(job.id, { to: "running" })).job.answer.job.status).toBe("running");
    const { job: done, changes } = await sim.advance(job.id, { to: "end" });
    expect(done.answer.job).toMatchObject({ status: "completed", processed_items: 6 });
    expect(done.sim.finished).toBe(true);
    expect(changes[0]?.statuses).toEqual(["completed"]);
  });
});

describe("control routes", () => {
  it("reject bad bodies with 400, duplicate ids with 409, and need a key", async () => {
    const { sim, apiKey } = tenant("control");
    await sim.createJob({ id: "bjb-dup" });
    await expect(sim.createJob({ id: "bjb-dup" })).rejects.toMatchObject({ status: 409 });
    await expect(sim.createJob({ total_items: -1 })).rejects.toMatchObject({ status: 400 });
    await expect(sim.injectFault({ kind: "meteor" as "latency" })).rejects.toMatchObject({ status: 400 });
    const bad = await fetch("http://llamacloud.test/__sim/jobs", {
      method: "POST",
      headers: { authorization: `Bearer ${apiKey}` },
      body: "{not json",
    });
    expect(bad.status).toBe(400);
    expect((await fetch("http://llamacloud.test/__sim/jobs")).status).toBe(401);
  });
});
