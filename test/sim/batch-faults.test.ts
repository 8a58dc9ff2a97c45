import { describe, expect, it } from "vitest";
import { receiverControl, type SimControl } from "../../sim/control";
import { simTenant } from "./helpers";

// The v2 routes share v1's gate: auth, the request log and every injected fault work on them too;
// and the callback sender speaks v2's batch.* / parse.* / extract.* events.

const V2 = "http://llamacloud.test/api/v2";

const tenant = (name: string) => simTenant(`v2f-${name}`, V2);

/** A mapped batch and the ids of its first child jobs. */
async function mappedBatch(sim: SimControl, files = 3) {
  const view = await sim.createBatch({ total_files: files, start_at: "mapped" });
  const ids = (view.answer.results ?? []).flatMap((entry) =>
    entry.job_reference ? [entry.job_reference.id] : [],
  );
  return { id: view.id, ids, query: ids.map((id) => `job_ids=${id}`).join("&") };
}

describe("auth on the v2 routes", () => {
  it("answers 401 without a key, for a key LlamaCloud would not issue, and for a revoked key", async () => {
    const { sim, get } = tenant("auth");
    const batch = await mappedBatch(sim);
    const none = await fetch(`${V2}/batches/${batch.id}`);
    expect(none.status).toBe(401);
    expect(await none.json()).toEqual({ detail: "Not authenticated" });
    const wrong = await fetch(`${V2}/parse?${batch.query}`, { headers: { authorization: "Bearer nope" } });
    expect(await wrong.json()).toEqual({ detail: "Invalid API key" });
    await sim.setConfig({ revoked: true });
    expect((await get("/batches")).status).toBe(401);
    expect((await sim.requests()).map((r) => [r.endpoint, r.status])).toEqual([["batches", 401]]);
  });
});

describe("faults on the v2 routes", () => {
  it("rate limits a batch's child pages (named by the batch) with Retry-After, then recovers", async () => {
    const { sim, get } = tenant("rate");
    const batch = await mappedBatch(sim);
    const other = await mappedBatch(sim);
    await sim.injectFault({ kind: "rate_limit", endpoint: "children", job_id: batch.id, retry_after: 90 });
    expect((await get(`/parse?${other.query}`)).status).toBe(200);
    expect((await get(`/batches/${batch.id}`)).status).toBe(200);
    const limited = await get(`/parse?${batch.query}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("90");
    expect((await get(`/parse?${batch.query}`)).status).toBe(200);
    const log = await sim.requests({ job_id: batch.id });
    expect(log.map((r) => [r.endpoint, r.fault, r.status])).toEqual([
      ["batch", null, 200],
      ["children", "rate_limit", 429],
      ["children", null, 200],
    ]);
    expect(log[1]?.job_ids).toEqual(batch.ids);
    // A fault may also name one child job.
    await sim.injectFault({ kind: "not_found", job_id: batch.ids[1] });
    expect((await get(`/parse?job_ids=${batch.ids[0]}`)).status).toBe(200);
    expect((await get(`/parse?job_ids=${batch.ids[1]}`)).status).toBe(404);
  });

  it("answers 5xx (HTML from a gateway), 401/403 and a 404 in the batch API's words", async () => {
    const { sim, get } = tenant("errors");
    const batch = await mappedBatch(sim);
    await sim.injectFault({ kind: "server_error", endpoint: "batch", status: 504 });
    await sim.injectFault({ kind: "server_error", endpoint: "children" });
    await sim.injectFault({ kind: "unauthorized", endpoint: "batches", status: 403 });
    await sim.injectFault({ kind: "not_found", endpoint: "batch" });
    const gateway = await get(`/batches/${batch.id}`);
    expect([gateway.status, gateway.headers.get("content-type")]).toEqual([504, "text/html"]);
    const server = await get(`/parse?${batch.query}`);
    expect([server.status, await server.json()]).toEqual([500, { detail: "Internal Server Error" }]);
    expect((await get("/batches")).status).toBe(403);
    const missing = await get(`/batches/${batch.id}`);
    expect([missing.status, await missing.json()]).toEqual([404, { detail: "Batch not found" }]);
    expect((await get(`/batches/${batch.id}`)).status).toBe(200);
  });

  it("breaks bodies, shows unknown statuses in v2's style, and is slow when told", async () => {
    const { sim, get } = tenant("bodies");
    const batch = await mappedBatch(sim);
    await sim.injectFault({ kind: "malformed", variant: "oversized", endpoint: "batches" });
    await sim.injectFault({ kind: "malformed", variant: "truncated", endpoint: "children" });
    await sim.injectFault({ kind: "unknown_status", endpoint: "batch" });
    await sim.injectFault({ kind: "unknown_status", endpoint: "children", status_value: "ARCHIVED" });
    await sim.injectFault({ kind: "latency", endpoint: "batch_cancel", delay_ms: 300 });
    const oversized = await (await get("/batches")).text();
    expect(oversized.length).toBeGreaterThan(300 * 1024);
    expect(JSON.parse(oversized)).toMatchObject({ next_page_token: "" });
    const truncated = await (await get(`/parse?${batch.query}`)).text();
    expect(() => JSON.parse(truncated)).toThrow();
    expect(((await (await get(`/batches/${batch.id}`)).json()) as { status: string }).status).toBe(
      "SUSPENDED",
    );
    const children = (await (await get(`/parse?${batch.query}`)).json()) as { items: { status: string }[] };
    expect(children.items.map((child) => child.status)).toEqual(["ARCHIVED", "ARCHIVED", "ARCHIVED"]);
    const running = await sim.createBatch({ start_at: "running" });
    const started = Date.now();
    expect((await get(`/batches/${running.id}/cancel`, { method: "POST" })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });
});

describe("v2 callbacks", () => {
  it("send batch.* naming the batch and parse.* naming each child, signed, timestamps in unix seconds", async () => {
    const { sim } = simTenant("v2cb", V2);
    const receiver = receiverControl({ name: `v2cb-${crypto.randomUUID()}` });
    await sim.setConfig({ callback_url: receiver.url("/webhooks/llamacloud"), callback_secret: "s" });
    const view = await sim.createBatch({ total_files: 2, failed_children: 1, child_steps: 1 });
    await sim.advanceBatch(view.id, { to: "end" });
    const events = (await receiver.requests()).map(
      (request) =>
        JSON.parse(request.body) as { event_type: string; timestamp: number; data: Record<string, unknown> },
    );
    const batchEvents = events.filter((event) => event.event_type.startsWith("batch."));
    expect(batchEvents.map((event) => event.event_type)).toEqual([
      "batch.pending",
      "batch.running",
      "batch.success",
    ]);
    for (const event of batchEvents) expect(event.data).toMatchObject({ batch_id: view.id, id: view.id });
    const childEvents = events.filter((event) => event.event_type.startsWith("parse."));
    expect(childEvents.map((event) => event.event_type).sort()).toEqual([
      "parse.error",
      "parse.pending",
      "parse.pending",
      "parse.running",
      "parse.running",
      "parse.success",
    ]);
    for (const event of childEvents) {
      expect(event.data.job_id).toMatch(/^pjb-/);
      expect(event.data).not.toHaveProperty("batch_id");
    }
    for (const event of events) {
      expect(typeof event.timestamp).toBe("number");
      expect(Math.abs(event.timestamp - Date.now() / 1000)).toBeLessThan(60);
    }
    const log = await sim.callbacks();
    expect(
      log.every((entry) => entry.status === 200 && entry.headers["lc-signature"]?.startsWith("sha256=")),
    ).toBe(true);
  });

  it("are built on demand for a batch or a child job, and extract jobs send no extract.running", async () => {
    const { sim } = tenant("cb-demand");
    const view = await sim.createBatch({ job_type: "extract_v2", total_files: 1, start_at: "running" });
    await sim.advanceBatch(view.id, { steps: 2 });
    const child = (await sim.batch(view.id)).answer.results?.[0]?.job_reference?.id ?? "";
    const forBatch = JSON.parse((await sim.sendCallback({ job_id: view.id, deliver: false })).body);
    expect(forBatch).toMatchObject({
      event_type: "batch.running",
      data: { batch_id: view.id, status: "RUNNING" },
    });
    const forChild = JSON.parse((await sim.sendCallback({ job_id: child, deliver: false })).body);
    // The child is RUNNING, an event the extract product does not have.
    expect(forChild).toMatchObject({
      event_type: "unmapped_event",
      data: { job_id: child, status: "RUNNING" },
    });
  });
});

describe("control routes for batches", () => {
  it("refuse impossible plans and taken ids, and forget deleted batches", async () => {
    const { sim, get } = tenant("control");
    await expect(
      sim.createBatch({ total_files: 3, unmappable_files: 2, failed_children: 2 }),
    ).rejects.toMatchObject({
      status: 400,
    });
    await expect(
      sim.createBatch({ total_files: 3, throttled_steps: 2, throttle_after_files: 3 }),
    ).rejects.toMatchObject({ status: 400 });
    await sim.createBatch({ id: "bat-fixed" });
    await expect(sim.createBatch({ id: "bat-fixed" })).rejects.toMatchObject({ status: 409 });
    await sim.patchBatch("bat-fixed", {
      status: "PAUSED",
      updated_at: "2020-01-01T00:00:00Z",
      extra: { k: 1 },
    });
    expect(await (await get("/batches/bat-fixed")).json()).toMatchObject({
      status: "PAUSED",
      updated_at: "2020-01-01T00:00:00Z",
      k: 1,
    });
    await sim.deleteBatch("bat-fixed");
    expect((await get("/batches/bat-fixed")).status).toBe(404);
    await expect(sim.batch("bat-fixed")).rejects.toMatchObject({ status: 404 });
  });
});
